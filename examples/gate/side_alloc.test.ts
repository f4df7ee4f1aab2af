// Allocation gates in a node:test file (vitest: the same code with `import { test } from 'vitest'`).
// Run it from the repository root:  node --import tsx --test examples/gate/side_alloc.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AllocationLimitError, expectAllocations } from '../../src/report/gate.js';
import { loadSideAlloc } from './sideModule.js';

test('a full run-and-release cycle leaks nothing and stays within its budget', async () => {
  const { exports, tracemalloc } = await loadSideAlloc();
  const m = await expectAllocations(
    tracemalloc,
    () => {
      exports.side_run();
      exports.side_release_all();
    },
    { maxLeakedBlocks: 0, maxPeakBytes: 880, maxAllocations: 11 },
  );
  // A Wasm guest is deterministic: these are exact, every run.
  assert.equal(m.allocations, 11);
  assert.equal(m.frees, 11);
  assert.equal(m.peakBytes, 880);
});

test('side_run() alone keeps six blocks: the gate fails and says where they were allocated', async () => {
  const { exports, tracemalloc } = await loadSideAlloc();
  await assert.rejects(
    expectAllocations(tracemalloc, () => exports.side_run(), { maxLeakedBlocks: 0, name: 'side_run()' }),
    (e: unknown) => {
      assert.ok(e instanceof AllocationLimitError);
      console.log(e.message); // what a failing test prints
      assert.match(e.message, /leaked blocks: 6 > 0 \(maxLeakedBlocks\)/);
      assert.match(e.message, /c\/side_alloc\.c:40: size=480 B \(\+480 B\), count=5 \(\+5\), average=96 B/);
      return true;
    },
  );
});
