// Re-entry from JS during an allocation: the program's malloc calls a JS import, and the JS
// calls back into the module, through an export that allocates and one that frees. The program
// must compute what it computes untraced; an allocator call made from inside another one is
// nested (neither its allocation nor its free is reported: the wrapper counts only the
// outermost allocator call, as tracemalloc ignores its own re-entrant allocations), and the shadow
// stack is whole afterwards: later allocations get their own tracebacks, at the same depth.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { instantiateTraced } from '../../src/host/instantiate.js';
import { assembleWat, bumpMalloc } from '../support/wat.js';

// A bump allocator that calls env.grew whenever it passes a 256-byte boundary; `make` and `work`
// allocate through it (work is two calls deep), `drop` frees.
const WAT = `(module
  (import "env" "grew" (func $grew (param i32)))
  (memory (export "memory") 1)
  ${bumpMalloc(`(if (i32.ne (i32.shr_u (local.get $p) (i32.const 8)) (i32.shr_u (global.get $top) (i32.const 8)))
    (then (call $grew (global.get $top))))`)}
  (func $free (export "free") (param $p i32))
  (func $make (export "make") (param $n i32) (result i32) (call $malloc (local.get $n)))
  (func $drop (export "drop") (param $p i32) (call $free (local.get $p)))
  (func $inner (param $n i32) (result i32) (call $make (local.get $n)))
  (func $work (export "work") (param $n i32) (result i32) (call $inner (local.get $n))))`;

const build = (): Uint8Array => assembleWat(WAT);

interface Exports {
  make(n: number): number;
  drop(p: number): void;
  work(n: number): number;
}

test('JS re-entering the module from inside malloc: same results as untraced; the nested allocation is not reported; tracebacks whole afterwards', async () => {
  const bytes = build();
  const run = async (traced: boolean) => {
    let exports: Exports | undefined;
    let reentered = 0;
    let inside = false;
    const env = {
      grew: () => {
        // Traced, the shadow-stack block is taken from this malloc while the module is set up.
        if (inside || exports === undefined) return;
        inside = true;
        reentered++;
        exports!.drop(exports!.make(24));
        inside = false;
      },
    };
    const results: number[] = [];
    let tracer: Awaited<ReturnType<typeof instantiateTraced>> | null = null;
    if (traced) {
      tracer = await instantiateTraced(bytes, { env }, { nframe: 8, cache: false });
      exports = tracer.instance.exports as unknown as Exports;
    } else {
      exports = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), { env }).exports as unknown as Exports;
    }
    for (let i = 0; i < 40; i++) results.push(exports.work(40 + i));
    return { results, reentered, tracer };
  };
  const untraced = await run(false);
  const traced = await run(true);
  assert.ok(untraced.reentered >= 5, `the allocator called out only ${untraced.reentered} times`);
  // Addresses shift by the tracer's shadow-stack block (docs/reliability.md); their spacing does not.
  const spacing = (r: number[]) => r.map((p) => p - r[0]!);
  assert.deepEqual(spacing(traced.results), spacing(untraced.results), "the program's results");
  assert.equal(traced.reentered, untraced.reentered);

  const tm = traced.tracer!.tracemalloc;
  const snapshot = tm.takeSnapshot();
  // The 40 blocks of `work` are traced; the 24-byte blocks JS made from inside malloc are not.
  assert.deepEqual(snapshot.traces.map((t) => t.size).sort((a, b) => a - b), Array.from({ length: 40 }, (_, i) => 40 + i));
  // JS freed them from inside malloc too: nested as well, so the table never heard of them.
  assert.equal(tm.counters().unknownFrees, 0);
  assert.equal(tm.counters().allocations, 40);
  // Every traceback is the same: work → inner → make → malloc, however many times JS re-entered.
  const tracebacks = new Set(snapshot.traces.map((t) => `${t.traceback.totalNframe}:${t.traceback.format().join('|')}`));
  assert.equal(tracebacks.size, 1, [...tracebacks].join('\n'));
  assert.equal(snapshot.traces[0]!.traceback.totalNframe, 3);
});
