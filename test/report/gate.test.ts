// The allocation gate on a real traced instance: the Emscripten side module
// fixtures/emscripten/side_alloc.wasm (see examples/gate/sideModule.ts), whose figures are known:
// side_run() makes 11 allocations (peak 880 B), frees 5 and keeps 6 blocks (480 B at line 40,
// 200 B at line 24 called from line 49); side_release_all() frees those 6.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { AllocationLimitError, checkLimits, expectAllocations, formatAllocationReport, measureAllocations } from '../../src/report/gate.js';
import { Filter } from '../../src/snapshot/index.js';
import { NotTracingError } from '../../src/host/tracer.js';
import { loadSideAlloc } from '../../examples/gate/sideModule.js';

test('a call within its limits returns exact figures and its result', async () => {
  const { exports, tracemalloc } = await loadSideAlloc();
  const m = await expectAllocations(tracemalloc, () => exports.side_run(), {
    maxLeakedBlocks: 6,
    maxLeakedBytes: 680,
    maxPeakBytes: 880,
    maxAllocations: 11,
    maxFrees: 5,
  });
  assert.equal(m.result, 6);
  assert.deepEqual(
    [m.allocations, m.frees, m.startBytes, m.endBytes, m.peakBytes, m.leakedBlocks, m.leakedBytes, m.sampled],
    [11, 5, 0, 680, 880, 6, 680, false],
  );
  assert.deepEqual(m.leaks.map((d) => [d.traceback.frames.map(String), d.size, d.countDiff]), [
    [['c/side_alloc.c:40'], 480, 5],
    [['c/side_alloc.c:24', 'c/side_alloc.c:49'], 200, 1],
  ]);

  // the next call is measured from where the first left off
  const release = await expectAllocations(tracemalloc, () => exports.side_release_all(), { maxLeakedBlocks: 0, maxPeakBytes: 0, maxAllocations: 0 });
  assert.deepEqual([release.result, release.allocations, release.frees, release.startBytes, release.endBytes, release.peakBytes], [6, 0, 6, 680, 0, 0]);
});

test('one over a limit fails: the error is an AssertionError whose message is the report', async () => {
  const { exports, tracemalloc } = await loadSideAlloc();
  const error = await expectAllocations(tracemalloc, () => exports.side_run(), { maxLeakedBlocks: 5, maxAllocations: 10, maxPeakBytes: 879, name: 'side_run()' }).then(
    () => assert.fail('the gate passed'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof AllocationLimitError);
  assert.ok(error instanceof assert.AssertionError, 'node:test and vitest show it as an assertion failure');
  assert.equal(
    error.message,
    [
      'allocation limits exceeded by side_run():',
      '  leaked blocks: 6 > 5 (maxLeakedBlocks)',
      '  peak: 880 B > 879 B (maxPeakBytes)',
      '  allocations: 11 > 10 (maxAllocations)',
      'measured: 11 allocations, 5 frees, peak 880 B above the 0 B traced at the start, 6 blocks (680 B) leaked',
      '[ Top 10 leaks, by traceback ]',
      'c/side_alloc.c:40: size=480 B (+480 B), count=5 (+5), average=96 B',
      '  File "c/side_alloc.c", line 40',
      'c/side_alloc.c:49: size=200 B (+200 B), count=1 (+1), average=200 B',
      '  File "c/side_alloc.c", line 49',
      '  File "c/side_alloc.c", line 24',
    ].join('\n'),
  );
  assert.deepEqual(error.violations.map((v) => v.limit), ['maxLeakedBlocks', 'maxPeakBytes', 'maxAllocations']);
  assert.deepEqual(error.actual, { maxLeakedBlocks: 6, maxPeakBytes: 880, maxAllocations: 11 });
  assert.deepEqual(error.expected, { maxLeakedBlocks: 5, maxPeakBytes: 879, maxAllocations: 10 });
});

test('a peak broken by blocks freed before the call returns says that nothing leaked', async () => {
  const { exports, tracemalloc } = await loadSideAlloc();
  await assert.rejects(
    expectAllocations(
      tracemalloc,
      async () => {
        exports.side_run();
        await Promise.resolve(); // async functions are awaited
        exports.side_release_all();
      },
      { maxPeakBytes: 512 },
    ),
    (e: AllocationLimitError) => {
      assert.match(e.message, /^allocation limits exceeded by the call:\n {2}peak: 880 B > 512 B \(maxPeakBytes\)\n/);
      assert.match(e.message, /nothing leaked/);
      return true;
    },
  );
});

test('filters limit what counts as a leak', async () => {
  const { exports, tracemalloc } = await loadSideAlloc();
  const m = await expectAllocations(tracemalloc, () => exports.side_run(), {
    maxLeakedBlocks: 1,
    filters: [new Filter(false, 'c/side_alloc.c', 40)],
  });
  assert.equal(m.leakedBlocks, 1);
  assert.equal(m.leakedBytes, 200);
});

test('misuse is reported, and errors of the call itself pass through unchanged', async () => {
  const { exports, tracemalloc } = await loadSideAlloc();
  await assert.rejects(expectAllocations(tracemalloc, () => 0, { maxLeakBlocks: 0 } as never), /unknown option "maxLeakBlocks"/);
  await assert.rejects(expectAllocations(tracemalloc, () => 0, { maxPeakBytes: -1 }), RangeError);
  const boom = new Error('boom');
  await assert.rejects(
    expectAllocations(tracemalloc, () => {
      exports.side_run();
      throw boom;
    }),
    (e) => e === boom,
  );
  tracemalloc.stop();
  await assert.rejects(expectAllocations(tracemalloc, () => exports.side_run()), NotTracingError);
});

test('measureAllocations and formatAllocationReport work without limits', async () => {
  const { exports, tracemalloc } = await loadSideAlloc();
  const { measurement } = await measureAllocations(tracemalloc, () => exports.side_run());
  assert.deepEqual(checkLimits(measurement, { maxLeakedBlocks: 6 }), []);
  assert.match(formatAllocationReport(measurement, [], { name: 'side_run()', limit: 1 }), /^allocations of side_run\(\): within the limits\n.*\n\[ Top 1 leaks, by traceback \]\nc\/side_alloc\.c:40: .*\n {2}File .*\n1 other leaking tracebacks$/);
});

test('the worked example in examples/gate runs green', () => {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT; // run it as a test run of its own, not as a child of this one
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', 'examples/gate/side_alloc.test.ts'], { encoding: 'utf8', env });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /# pass 2/);
});
