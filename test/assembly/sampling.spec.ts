import { start, stop, free, setSampling, findBlock, isTracing, clearTraces } from "../../assembly/table";
import {
  GET32, GET64, GETF, GETFLAGS, SAMPLING, E_INTERVAL, OK, FREEBUCKET, FREE_BUCKETS,
  H_SKIPPED_BYTES, H_DRAWN, H_UNSAMPLED_FREES, H_UNKNOWN_FREES, H_EST_CURRENT, H_SAMPLING_INTERVAL,
  H_FREE_BITS, H_FREE_COUNTS, ROOT, sampleCountdown, freeFilter,
} from "../../assembly/layout";
import { sampleWeight } from "../../assembly/sampler";
import { GETSIZE } from "../../assembly/blocks";
import { freshTable, alloc1, realloc1, live, allocations, current } from "./helpers";

describe("sampling", () => {
  beforeEach(() => { freshTable(); });

  it("is off by default and rejects bad intervals", () => {
    expect(GETFLAGS() & SAMPLING).toBe(0);
    expect(setSampling(-1, 0, 0)).toBe(E_INTERVAL);
    expect(setSampling(NaN, 0, 0)).toBe(E_INTERVAL);
    expect(setSampling(Infinity, 0, 0)).toBe(E_INTERVAL);
    expect(setSampling(4096, 1, 0)).toBe(OK);
    expect(GETFLAGS() & SAMPLING).toBe(SAMPLING);
    expect(GETF(H_SAMPLING_INTERVAL)).toBe(4096);
    expect(sampleCountdown).toBeGreaterThan(0);
    expect(sampleCountdown).toBe(GETF(H_DRAWN));
    expect(setSampling(0, 0, 0)).toBe(OK);
    expect(GETFLAGS() & SAMPLING).toBe(0);
    expect(sampleCountdown).toBe(-Infinity);
  });

  it("replays exactly from a seed", () => {
    let first = new Array<u32>();
    for (let run = 0; run < 2; ++run) {
      freshTable();
      setSampling(1000, 42, 0);
      start(1);
      for (let i: u32 = 1; i <= 2000; ++i) alloc1(i << 4, 100);
      if (run == 0) {
        for (let i: u32 = 1; i <= 2000; ++i) if (findBlock(i << 4) != 0) first.push(i);
      } else {
        let same = true;
        let k = 0;
        for (let i: u32 = 1; i <= 2000; ++i) {
          if (findBlock(i << 4) != 0) {
            if (k >= first.length || first[k] != i) same = false;
            ++k;
          }
        }
        expect(same && k == first.length).toBe(true);
      }
    }
    // about one 100-byte block in ten is sampled (p = 1 - exp(-0.1) = 0.095)
    expect(first.length).toBeGreaterThan(120);
    expect(first.length).toBeLessThan(260);
  });

  it("counts skipped bytes and frees of unsampled blocks apart from unknown frees", () => {
    setSampling(<f64>(1 << 12), 7, 0);
    start(1);
    for (let i: u32 = 1; i <= 1000; ++i) alloc1(i << 4, 16);
    let sampled = live();
    expect(sampled).toBeGreaterThan(0);
    // skipped bytes: those up to the last sample point, plus drawn − countdown since
    let skipped = GETF(H_SKIPPED_BYTES) + (GETF(H_DRAWN) - sampleCountdown);
    expect(Math.round(skipped) + <f64>current()).toBe(16000);
    for (let i: u32 = 1; i <= 1000; ++i) free(i << 4);
    expect(live()).toBe(0);
    expect(GET64(H_UNSAMPLED_FREES)).toBe(1000 - <u64>sampled);
    expect(GET64(H_UNKNOWN_FREES)).toBe(0);
  });

  it("keeps the free filter: a bit per bucket holding a live sampled block, all ones in exact mode, 0 when not tracing", () => {
    expect(freeFilter).toBe(0);
    start(1);
    expect(freeFilter).toBe(-1);
    stop();
    expect(freeFilter).toBe(0);
    setSampling(256, 11, 0);
    start(1);
    expect(freeFilter).toBe(0);
    for (let i: u32 = 1; i <= 3000; ++i) alloc1(i << 4, 8 + (i % 100));
    // every live sampled block has its bucket's bit set; the counts add up to the live blocks
    let bits: u32 = 0;
    let counted: u32 = 0;
    for (let b: u32 = 0; b < FREE_BUCKETS; ++b) {
      let n = load<u32>(ROOT + H_FREE_COUNTS + (<usize>b << 2));
      counted += n;
      if (n != 0) bits |= 1 << b;
    }
    expect(counted).toBe(live());
    expect(GET32(H_FREE_BITS)).toBe(bits);
    expect(<u32>freeFilter).toBe(bits);
    let missed = 0;
    for (let i: u32 = 1; i <= 3000; ++i) {
      if (findBlock(i << 4) != 0 && !(<u32>freeFilter & (1 << FREEBUCKET(i << 4)))) ++missed;
    }
    expect(missed).toBe(0);
    for (let i: u32 = 1; i <= 3000; ++i) free(i << 4);
    expect(live()).toBe(0);
    expect(freeFilter).toBe(0);
    alloc1(16, 1 << 20);
    expect(<u32>freeFilter).toBe(<u32>1 << FREEBUCKET(16));
    clearTraces();
    expect(freeFilter).toBe(0);
  });

  it("always samples a block much larger than the interval, and never one of size 0", () => {
    setSampling(64, 3, 0);
    start(1);
    for (let i: u32 = 1; i <= 100; ++i) alloc1(i << 4, 1 << 16);
    expect(live()).toBe(100);
    for (let i: u32 = 101; i <= 1100; ++i) alloc1(i << 4, 0);
    expect(live()).toBe(100);
  });

  it("keeps an estimate of the live bytes: the sum of the weights", () => {
    setSampling(512, 9, 0);
    start(1);
    for (let i: u32 = 1; i <= 5000; ++i) alloc1(i << 4, 100 + (i % 300));
    for (let i: u32 = 1; i <= 5000; i += 2) free(i << 4);
    let sum: f64 = 0;
    for (let i: u32 = 1; i <= 5000; ++i) {
      let e = findBlock(i << 4);
      if (e != 0) sum += sampleWeight(GETSIZE(e));
    }
    expect(GETF(H_EST_CURRENT)).toBeCloseTo(sum, 6);
    // the raw counter holds the sampled bytes only
    expect(<f64>current()).toBeLessThan(sum);
  });

  it("weight(s) = s / (1 - exp(-s/T))", () => {
    setSampling(1000, 0, 0);
    expect(sampleWeight(1000)).toBeCloseTo(1000 / (1 - Math.exp(-1)), 9);
    expect(sampleWeight(1)).toBeCloseTo(1000.5, 3);
    expect(sampleWeight(0)).toBe(0);
  });

  it("a change of mode while tracing clears the traces", () => {
    start(1);
    alloc1(16, 10);
    expect(live()).toBe(1);
    setSampling(100, 1, 0);
    expect(live()).toBe(0);
    expect(isTracing()).toBe(1);
    // reseeding with the same interval keeps them
    alloc1(32, 1000);
    let n = live();
    setSampling(100, 2, 0);
    expect(live()).toBe(n);
  });

  it("realloc samples the new block by its size and drops the old one if it was sampled", () => {
    setSampling(64, 5, 0);
    start(1);
    alloc1(16, 1 << 16);          // surely sampled
    realloc1(16, 32, 1 << 16);    // surely sampled again
    expect(findBlock(16)).toBe(0);
    expect(findBlock(32)).not.toBe(0);
    realloc1(32, 48, 0);          // size 0: never sampled, old dropped
    expect(live()).toBe(0);
  });
});
