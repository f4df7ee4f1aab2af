// The `__tracemalloc_untraced_<allocator>` exports (docs/abi.md): what Emscripten side modules
// allocate through (src/host/dynamicLinking.ts). They run the program's allocator and report
// nothing — neither the call itself nor the allocator calls nested inside it — while the
// exports under the plain names keep reporting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { instantiateTraced } from '../../src/host/instantiate.js';
import { BUMP_MALLOC, assembleWat } from '../support/wat.js';

// A bump allocator whose realloc calls malloc inside (as dlrealloc does).
const WAT = `(module
  (memory (export "memory") 1)
  ${BUMP_MALLOC}
  (func $free (export "free") (param $p i32))
  (func $realloc (export "realloc") (param $p i32) (param $n i32) (result i32) (call $malloc (local.get $n))))`;

const build = (): Uint8Array => assembleWat(WAT);

test('__tracemalloc_untraced_* run the allocator without reporting, nested calls included; the plain exports still report', async () => {
  const traced = await instantiateTraced(build(), {}, { nframe: 1, cache: false });
  const x = traced.instance.exports as Record<string, (...args: number[]) => number>;
  for (const name of ['malloc', 'free', 'realloc']) assert.equal(typeof x[`__tracemalloc_untraced_${name}`], 'function', `no untraced ${name}`);
  const tm = traced.tracemalloc;
  const before = tm.counters();

  const a = x['__tracemalloc_untraced_malloc']!(24);
  const b = x['__tracemalloc_untraced_realloc']!(0, 40); // its inner malloc must not report either
  assert.ok(a > 0 && b > a, 'the untraced entries did not allocate');
  assert.deepEqual([tm.counters().allocations, tm.getTracedMemory()[0]], [before.allocations, 0]);

  const c = x['malloc']!(16);
  const d = x['realloc']!(0, 48); // reported once, as the realloc, not again for its inner malloc
  assert.deepEqual([tm.counters().allocations - before.allocations, tm.getTracedMemory()[0]], [2, 16 + 48]);
  // A traced block freed through the untraced free stays traced: the table never hears of it.
  x['__tracemalloc_untraced_free']!(c);
  assert.equal(tm.getTracedMemory()[0], 16 + 48);
  x['free']!(d);
  assert.equal(tm.getTracedMemory()[0], 16);
});
