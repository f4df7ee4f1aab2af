// The allocator's guard after a Wasm exception thrown out of the allocator (src/instrument/unwinding.ts).
// The wrapper sets the guard around the outermost allocator call; a throw from inside skips the
// reset, so every catch body restores the guard the function had at entry, after the catch's
// `pop`. A catch body can have any shape Binaryen accepts: a block, a lone `local.set` of the pop,
// or a lone value expression whose first operand is the pop. Each shape here catches the throw of
// `malloc(5000)` (this malloc throws for 5000 bytes, as operator new throws bad_alloc) and then
// allocates 16 bytes: that block must be traced. Without the restore it is not (the guard stays set).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import binaryen from 'binaryen';
import { instantiateTraced } from '../../src/host/instantiate.js';

const module = (catchBody: string, result: 'i32' | ''): string => `
(module
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 4096))
  (global $sink (export "sink") (mut i32) (i32.const 0))
  (tag $oom (param i32))
  (func $malloc (export "malloc") (param $n i32) (result i32)
    (local $p i32)
    (if (i32.eq (local.get $n) (i32.const 5000)) (then (throw $oom (local.get $n))))
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (local.get $p) (i32.and (i32.add (local.get $n) (i32.const 15)) (i32.const -16))))
    (local.get $p))
  (func $free (export "free") (param i32))
  (func $run (export "run") ${result ? `(result ${result})` : ''} (local $x i32)
    (try ${result ? `(result ${result})` : ''}
      (do ${result ? '(call $malloc (i32.const 5000))' : '(drop (call $malloc (i32.const 5000)))'})
      (catch $oom ${catchBody}))))`;

/** [shape, catch body, result type, the run's result minus the 16-byte block's address] */
const shapes: Array<[string, string, 'i32' | '', number]> = [
  ['a block starting with local.set of the pop', '(local.set $x (pop i32)) (global.set $sink (call $malloc (i32.const 16)))', '', 0],
  ['a lone value expression starting with the pop', '(i32.add (pop i32) (call $malloc (i32.const 16)))', 'i32', 5000],
  ['a value expression with the pop two levels down', '(i32.add (i32.mul (pop i32) (i32.const 2)) (call $malloc (i32.const 16)))', 'i32', 10000],
];

for (const [shape, catchBody, result, popPart] of shapes) {
  test(`a Wasm exception out of malloc, caught by ${shape}: the catch's allocation is traced`, async () => {
    const source = binaryen.parseText(module(catchBody, result));
    source.setFeatures(binaryen.Features.All);
    assert.ok(source.validate(), 'the test module validates');
    const bytes = source.emitBinary();
    source.dispose();
    const { instance, tracemalloc } = await instantiateTraced(bytes, {}, { nframe: 1, cache: false });
    const run = instance.exports['run'] as () => number | undefined;
    const value = run();
    const block = result ? value! - popPart : ((instance.exports['sink'] as WebAssembly.Global).value as number);
    assert.ok(block > 0, 'the catch body allocated');
    assert.notEqual(tracemalloc.getObjectTraceback(block), null, "the catch body's block is traced");
    const traces = tracemalloc.takeSnapshot().traces;
    assert.deepEqual(traces.map((t) => t.size), [16], 'the 16-byte block of the catch body, and nothing else');
    // A second call: the guard was restored, so tracing goes on.
    run();
    assert.equal(tracemalloc.takeSnapshot().traces.length, 2);
  });
}

// The shadow stack's depth after an exception out of a call chain (not out of the allocator):
// while a function runs, the depth counts its own slot (docs/abi.md §1), and the unwound frames
// skipped the exits that would have put it back, so the catch body restores it too. Without
// that, the catch's allocation gets the thrower's depth and stale frames.
const chain = `
(module
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 4096))
  (tag $e (param i32))
  (func $malloc (export "malloc") (param $n i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (local.get $p) (i32.and (i32.add (local.get $n) (i32.const 15)) (i32.const -16))))
    (local.get $p))
  (func $free (export "free") (param i32))
  (func $deep2 (result i32)
    (drop (call $malloc (i32.const 8)))
    (throw $e (i32.const 7)))
  (func $deep1 (result i32) (call $deep2))
  (func $run (export "run") (result i32)
    (try (result i32)
      (do (call $deep1))
      (catch $e (drop (pop i32)) (call $malloc (i32.const 16))))))`;

test('a Wasm exception out of a 2-deep call chain: the catch body allocates at its own depth', async () => {
  const source = binaryen.parseText(chain);
  source.setFeatures(binaryen.Features.All);
  assert.ok(source.validate(), 'the test module validates');
  const bytes = source.emitBinary();
  source.dispose();
  const { instance, tracemalloc } = await instantiateTraced(bytes, {}, { nframe: 4, cache: false });
  const run = instance.exports['run'] as () => number;
  for (let round = 0; round < 2; round++) {
    const block = run();
    const depths = new Map(tracemalloc.takeSnapshot().traces.map((t) => [t.size, t.traceback.totalNframe]));
    assert.equal(depths.get(8), 3, 'the thrower allocated three frames deep: run, deep1, deep2');
    assert.equal(tracemalloc.getObjectTraceback(block)?.totalNframe, 1, `round ${round}: the catch body's block is one frame deep`);
    tracemalloc.clearTraces();
  }
});
