import { start, free, findBlock, tracemallocMemory } from "../../assembly/table";
import { GET32, GET64, H_BLOCKS_CAP, H_HIGH_WATER, H_REPLACED, H_UNKNOWN_FREES, HEADER_SIZE, R_BLOCKS, GETREGIONBYTES } from "../../assembly/layout";
import { GETSIZE, countBlocks, misplacedBlocks, BLOCK_ENTRY, BLOCKS_MIN_CAP } from "../../assembly/blocks";
import { freshTable, alloc1, realloc1, current, peak, live, allocations, frees } from "./helpers";

/** xorshift32: the test's own random numbers, fixed seed. */
let rng: u32 = 0x12345678;
function rand(): u32 {
  rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5;
  return rng;
}

describe("the blocks table under churn", () => {
  beforeEach(() => { freshTable(16 << 20); start(1); });

  it("matches a Map over 200k random allocs, frees and reallocs", () => {
    let model = new Map<u32, u32>();
    let keys = new Array<u32>();  // live pointers, for picking one at random
    let modelCurrent: u64 = 0;
    let modelPeak: u64 = 0;
    let unknown: u64 = 0;
    for (let op = 0; op < 200000; ++op) {
      let r = rand();
      let kind = r % 10;
      if (kind < 5 || keys.length == 0) {
        // pointers from a small space so that the allocator "reuses" addresses
        let ptr = ((rand() % 40000) + 1) << 3;
        let size = rand() % 1000;
        if (model.has(ptr)) {
          modelCurrent -= model.get(ptr);
        } else {
          keys.push(ptr);
        }
        model.set(ptr, size);
        modelCurrent += size;
        alloc1(ptr, size, r & 7);
      } else if (kind < 9) {
        let i = rand() % <u32>keys.length;
        let ptr = keys[i];
        keys[i] = keys[keys.length - 1];
        keys.pop();
        modelCurrent -= model.get(ptr);
        model.delete(ptr);
        free(ptr);
      } else {
        let i = rand() % <u32>keys.length;
        let ptr = keys[i];
        let moved = ((rand() % 40000) + 1) << 3 | 4; // a disjoint set of addresses
        let size = rand() % 2000;
        modelCurrent -= model.get(ptr);
        model.delete(ptr);
        if (model.has(moved)) {
          modelCurrent -= model.get(moved);
          keys[i] = keys[keys.length - 1];
          keys.pop();
        } else {
          keys[i] = moved;
        }
        model.set(moved, size);
        modelCurrent += size;
        realloc1(ptr, moved, size, 3);
      }
      if (modelCurrent > modelPeak) modelPeak = modelCurrent;
      if (op % 1000 == 0) { free(7); ++unknown; }
    }
    expect(live()).toBe(model.size);
    expect(countBlocks()).toBe(model.size);
    expect(misplacedBlocks()).toBe(0);
    expect(current()).toBe(modelCurrent);
    expect(peak()).toBe(modelPeak);
    expect(GET64(H_UNKNOWN_FREES)).toBe(unknown);
    expect(<u64>live()).toBe(allocations() - frees() - GET64(H_REPLACED));
    let ptrs = model.keys();
    let wrong = 0;
    for (let i = 0; i < ptrs.length; ++i) {
      let e = findBlock(ptrs[i]);
      if (e == 0 || GETSIZE(e) != model.get(ptrs[i])) ++wrong;
    }
    expect(wrong).toBe(0);
  });

  it("keeps probe runs intact when deleting inside clusters", () => {
    // many pointers, then delete every other one, then every third: runs must stay reachable
    for (let i: u32 = 1; i <= 20000; ++i) alloc1(i << 4, 1);
    for (let i: u32 = 1; i <= 20000; i += 2) free(i << 4);
    expect(misplacedBlocks()).toBe(0);
    for (let i: u32 = 2; i <= 20000; i += 6) free(i << 4);
    expect(misplacedBlocks()).toBe(0);
    let n: u32 = 0;
    let wrong = 0;
    for (let i: u32 = 1; i <= 20000; ++i) {
      let expected = (i & 1) == 0 && (i - 2) % 6 != 0;
      if ((findBlock(i << 4) != 0) != expected) ++wrong;
      if (expected) ++n;
    }
    expect(wrong).toBe(0);
    expect(live()).toBe(n);
  });
});

describe("growth", () => {
  beforeEach(() => { freshTable(32 << 20); start(1); });

  it("grows from the minimum, staying between 1/2 and 7/10 full", () => {
    expect(GET32(H_BLOCKS_CAP)).toBe(BLOCKS_MIN_CAP);
    let grown = 0;
    let tooFull = 0;
    let notHalf = 0;
    let cap = GET32(H_BLOCKS_CAP);
    for (let i: u32 = 1; i <= 500000; ++i) {
      alloc1(i << 4, 16);
      let now = GET32(H_BLOCKS_CAP);
      if (now != cap) {
        ++grown;
        cap = now;
        if (<u64>live() * 2 != <u64>cap) ++notHalf; // just grown: exactly half full
      }
      if (<u64>live() * 10 > <u64>cap * 7) ++tooFull;
    }
    expect(notHalf).toBe(0, "half full after each growth");
    expect(tooFull).toBe(0, "never more than 7/10 full");
    expect(grown).toBeGreaterThan(10);
    expect(GETREGIONBYTES(R_BLOCKS)).toBe(<usize>cap * BLOCK_ENTRY);
    let perBlock = <f64>GETREGIONBYTES(R_BLOCKS) / <f64>live();
    expect(perBlock <= 24.0).toBe(true, "at most 24 bytes a block");
    expect(misplacedBlocks()).toBe(0);
  });

  it("reuses the gaps left by moved regions", () => {
    for (let i: u32 = 1; i <= 200000; ++i) alloc1(i << 4, 16, i & 255);
    // the span reached stays within a small factor of the memory in use
    let span = <f64>GET32(H_HIGH_WATER);
    let used = <f64>tracemallocMemory();
    expect(span < used * 2.5).toBe(true);
    expect(used).toBeGreaterThan(<f64>HEADER_SIZE);
  });

  it("realloc moving blocks around keeps the totals", () => {
    for (let i: u32 = 1; i <= 1000; ++i) alloc1(i << 4, i);
    for (let i: u32 = 1; i <= 1000; ++i) realloc1(i << 4, (i + 5000) << 4, 2 * i);
    let expected: u64 = 0;
    for (let i: u64 = 1; i <= 1000; ++i) expected += 2 * i;
    expect(current()).toBe(expected);
    expect(live()).toBe(1000);
  });
});
