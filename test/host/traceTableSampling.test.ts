// The sampler of the trace table, checked against its theory.
//
// Sampling points form a Poisson process of rate 1/T over the allocated bytes, so a block of
// size s is sampled with probability p(s) = 1 − exp(−s/T), independently of every other block,
// and the estimator of the live bytes
//     X = Σ_sampled w(s),   w(s) = s / p(s)
// has E[X] = Σ s (unbiased) and Var[X] = Σ w(s)² p(s)(1 − p(s)) = Σ s² (1 − p(s)) / p(s).
// Every check below is "within 4 standard deviations" of what the theory says.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { TraceTable } from '../../src/host/traceTable.js';
import { xorshift32 as rng } from '../support/random.js';

type Call = (...args: number[]) => void;

/** alloc(ptr, size) from a one-frame stack at site 1. */
function alloc(t: TraceTable, ptr: number, size: number): void {
  (t.imports.alloc as Call)(ptr, size, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
}


/** A mix of sizes like a real heap: mostly small, some medium, a few large. */
function sizes(n: number, seed: number): Uint32Array {
  const rand = rng(seed);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const r = rand() % 100;
    out[i] = r < 70 ? 8 + (rand() % 249) : r < 95 ? 256 + (rand() % 7937) : 8192 + (rand() % 253953);
  }
  return out;
}

const p = (s: number, T: number): number => -Math.expm1(-s / T);
const weight = (s: number, T: number): number => (s === 0 ? 0 : s / p(s, T));

/** Σ s and Var[X] for the blocks whose sizes are given. */
function theory(blockSizes: Iterable<number>, T: number): { mean: number; variance: number } {
  let mean = 0;
  let variance = 0;
  for (const s of blockSizes) {
    if (s === 0) continue;
    mean += s;
    variance += (s * s * (1 - p(s, T))) / p(s, T);
  }
  return { mean, variance };
}

/** X from the table's traces: Σ w(size) over the sampled live blocks. */
function estimate(t: TraceTable): number {
  const r = t.readTraces();
  let x = 0;
  for (const s of r.traceSizes) x += weight(s, r.samplingInterval);
  return x;
}

describe('sampling: the estimate of the live bytes', () => {
  test('one run, fixed seed: within 4σ of the truth, before and after freeing half the blocks', async () => {
    const T = 64 * 1024;
    const n = 1_000_000;
    const sz = sizes(n, 1);
    const t = await TraceTable.create();
    t.setSampling(T, 12345);
    t.start(1);
    for (let i = 0; i < n; i++) alloc(t, 16 * (i + 1), sz[i]!);

    let th = theory(sz, T);
    let x = estimate(t);
    assert.ok(Math.abs(x - th.mean) < 4 * Math.sqrt(th.variance),
      `estimate ${x} vs ${th.mean}: off by ${((x - th.mean) / Math.sqrt(th.variance)).toFixed(2)}σ`);
    // the table's running estimate is the same sum, and getTracedMemory reports it
    const state = t.getSampling();
    assert.ok(Math.abs(state.estimatedCurrent - x) < 1e-6 * x);
    assert.equal(t.getTracedMemory()[0], Math.round(state.estimatedCurrent));
    assert.equal(t.readTraces().samplingInterval, T);
    // every byte allocated was either sampled or skipped (skipped bytes are counted lazily)
    const allBytes = sz.reduce((a, b) => a + b, 0);
    const sampledBytes = t.readTraces().traceSizes.reduce((a, b) => a + b, 0);
    assert.equal(t.counters().skippedBytes + sampledBytes, allBytes);

    // free every other block: frees of sampled blocks are exact, the rest are "unsampled"
    const rand = rng(7);
    const kept: number[] = [];
    let freed = 0;
    for (let i = 0; i < n; i++) {
      if (rand() & 1) { (t.imports.free as Call)(16 * (i + 1)); freed++; } else kept.push(sz[i]!);
    }
    th = theory(kept, T);
    x = estimate(t);
    assert.ok(Math.abs(x - th.mean) < 4 * Math.sqrt(th.variance),
      `after frees: estimate ${x} vs ${th.mean}: off by ${((x - th.mean) / Math.sqrt(th.variance)).toFixed(2)}σ`);
    const c = t.counters();
    assert.equal(c.frees + c.unsampledFrees, freed);
    assert.equal(c.unknownFrees, 0);
  });

  test('unbiased over 200 seeds, and the spread is the theory\'s', async () => {
    const T = 4096;
    const n = 20_000;
    const K = 200;
    const sz = sizes(n, 2);
    const th = theory(sz, T);
    const t = await TraceTable.create();
    const xs: number[] = [];
    for (let k = 0; k < K; k++) {
      t.setSampling(T, 1000 + k);
      t.stop();
      t.start(1);
      for (let i = 0; i < n; i++) alloc(t, 16 * (i + 1), sz[i]!);
      xs.push(estimate(t));
    }
    const mean = xs.reduce((a, b) => a + b, 0) / K;
    const sd = Math.sqrt(th.variance);
    assert.ok(Math.abs(mean - th.mean) < (4 * sd) / Math.sqrt(K),
      `mean of ${K} estimates ${mean} vs ${th.mean}: off by ${((mean - th.mean) / (sd / Math.sqrt(K))).toFixed(2)} standard errors`);
    // sample variance / Var[X]: about 1, with a standard deviation of sqrt(2/(K−1)) for a normal X
    const sampleVar = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (K - 1);
    const ratio = sampleVar / th.variance;
    assert.ok(Math.abs(ratio - 1) < 4 * Math.sqrt(2 / (K - 1)), `variance ratio ${ratio.toFixed(3)}`);
  });
});

describe('sampling: which blocks are sampled', () => {
  test('a block of size s is sampled with probability 1 − exp(−s/T), independently of its neighbours', async () => {
    const T = 4096;
    const s = 1000;
    const n = 200_000;
    const t = await TraceTable.create();
    t.setSampling(T, 99);
    t.start(1);
    for (let i = 0; i < n; i++) alloc(t, 16 * (i + 1), s);
    const sampled = new Uint8Array(n);
    for (const ptr of t.readTraces().tracePointers) sampled[ptr / 16 - 1] = 1;
    const q = p(s, T);
    let count = 0;
    let pairs = 0;
    for (let i = 0; i < n; i++) {
      count += sampled[i]!;
      if (i > 0) pairs += sampled[i]! & sampled[i - 1]!;
    }
    const sdCount = Math.sqrt(n * q * (1 - q));
    assert.ok(Math.abs(count - n * q) < 4 * sdCount, `${count} sampled, expected ${n * q} ± ${sdCount}`);
    // neighbours both sampled: (n−1)q² if independent (variance bounded by 3(n−1)q²(1−q²) for 1-dependent pairs)
    const expectedPairs = (n - 1) * q * q;
    const sdPairs = Math.sqrt(3 * (n - 1) * q * q * (1 - q * q));
    assert.ok(Math.abs(pairs - expectedPairs) < 4 * sdPairs, `${pairs} sampled pairs, expected ${expectedPairs} ± ${sdPairs}`);
  });

  test('the same seed samples the same blocks; another seed, others', async () => {
    const run = async (seed: number): Promise<string> => {
      const t = await TraceTable.create();
      t.setSampling(2048, seed);
      t.start(1);
      for (let i = 0; i < 5000; i++) alloc(t, 16 * (i + 1), 100 + (i % 700));
      return [...t.readTraces().tracePointers].sort((a, b) => a - b).join(',');
    };
    assert.equal(await run(5), await run(5));
    assert.notEqual(await run(5), await run(6));
  });

  test('the host reads the interval and the sampler state; bad intervals are refused', async () => {
    const t = await TraceTable.create();
    assert.equal(t.getSampling().interval, 0);
    t.setSampling(512 * 1024, 1n << 40n);
    const st = t.getSampling();
    assert.equal(st.interval, 512 * 1024);
    assert.ok(st.countdown > 0);
    assert.throws(() => t.setSampling(-5), /interval must be a finite number/);
    assert.throws(() => t.setSampling(NaN), /got NaN/);
    assert.throws(() => t.setSampling(100, 1.5), /seed must be an integer/);
    t.setExact();
    assert.equal(t.getSampling().interval, 0);
  });
});
