// The trace table driven by a real instrumented target: the allocator wrapper decides by itself,
// from the table's exported globals, when to call in (docs/abi.md §2). In sampling mode it calls
// alloc only when its countdown reaches 0 and free only when the free filter's bit is set; the
// table must still see the free of every sampled block. churn.c frees every block it allocates,
// so at exit the only traces left must be blocks that are live at exit (libc's argv), exactly as
// in an exact run; a missed free would leave a stale trace (and count as "replaced" when the
// allocator hands the address out again).
import v8 from 'node:v8';
v8.setFlagsFromString('--no-turbo-fast-api-calls');
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSync, readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';
import { instantiateTraced } from '../../src/host/instantiate.js';

const PAIRS = 200_000;
const devnull = openSync('/dev/null', 'w');
const original = new Uint8Array(readFileSync('fixtures/wasi/churn.wasm'));

/** Runs churn traced with nframe 1, sampled at `interval` bytes (0: exact); returns the tracer afterwards. */
async function runChurn(interval: number, seed: number) {
  const wasi = new WASI({ version: 'preview1', args: ['churn', String(PAIRS)], env: {}, returnOnExit: true, stdout: devnull });
  const traced = await instantiateTraced(original, wasi.getImportObject() as WebAssembly.Imports, { original, nframe: 0 });
  const tm = traced.tracemalloc;
  if (interval > 0) tm.setSampling(interval, seed);
  tm.start(1);
  assert.equal(wasi.start(traced.instance), 0);
  const traces = tm.takeSnapshot().traces;
  return { counters: tm.counters(), sizes: traces.map((t) => t.size), tracer: tm };
}

test('sampling: no free of a sampled block is missed, and most frees and allocations make no call', async () => {
  const exact = await runChurn(0, 0);
  assert.equal(exact.counters.replaced, 0);
  assert.equal(exact.counters.allocations, PAIRS + 2); // the pairs, plus libc's argv strings and array
  const leaked = exact.counters.liveBlocks;
  for (const [interval, seed] of [[512, 2], [4096, 1], [64 * 1024, 3], [512 * 1024, 4]] as const) {
    const { counters } = await runChurn(interval, seed);
    assert.equal(counters.replaced, 0, `interval ${interval}: a sampled block's free was missed`);
    assert.ok(counters.liveBlocks <= leaked, `interval ${interval}: ${counters.liveBlocks} traces left, the program leaks ${leaked} blocks`);
    assert.equal(counters.allocations - counters.frees, counters.liveBlocks);
    assert.ok(counters.allocations > 0 && counters.allocations < PAIRS / 2, `interval ${interval}: ${counters.allocations} sampled`);
    // Frees of unsampled blocks that reached the table: those whose filter bucket held a live
    // sampled block. churn keeps ~560 KB live: at 512 KiB about one sampled block is live, so a
    // few percent of the frees call in; at 4 KiB ~140 are, every bucket is set, and all do.
    if (interval >= 64 * 1024) {
      assert.ok(counters.unsampledFrees < PAIRS / 3, `interval ${interval}: ${counters.unsampledFrees} frees of unsampled blocks called in`);
    }
    assert.ok(counters.skippedBytes > 0);
  }
});

test('exact mode: every free reaches the table (the filter is all ones)', async () => {
  const { counters } = await runChurn(0, 0);
  assert.equal(counters.frees, PAIRS); // churn frees every block it allocates
  assert.equal(counters.unknownFrees, 0);
  assert.equal(counters.allocations - counters.frees, counters.liveBlocks);
  assert.equal(counters.skippedBytes, 0);
});
