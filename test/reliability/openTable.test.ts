// Indirect calls through a table the outside world can change (exported or imported: Emscripten's
// addFunction, dynamic linking) may land on a function the module never saw, whatever their
// signature: JS re-exported as Wasm, or another module's export. When that function re-enters
// the module and allocates, the indirect call must be a call site of its own; otherwise the
// traceback shows the caller's previous call site instead (a silent wrong answer). The same
// holds for a function of the module that is in no element segment but whose reference the
// code takes (ref.func) and puts into a table itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { instantiateTraced } from '../../src/host/instantiate.js';
import { assembleWat, BUMP_MALLOC } from '../support/wat.js';

// `g` allocates once through `make` and once through a callback slot of the table; no function
// of the module has the callback's signature, so only the outside world can fill the slot.
const moduleWat = (table: string): string => `(module
  (type $cb (func (param i32 i32) (result i32)))
  ${table}
  (memory (export "memory") 1)
  ${BUMP_MALLOC}
  (func $free (export "free") (param $p i32))
  (func $make (export "make") (param $n i32) (result i32) (call $malloc (local.get $n)))
  (func $callback (param $slot i32) (param $n i32) (result i32)
    (call_indirect (type $cb) (local.get $n) (i32.const 0) (local.get $slot)))
  (func $g (export "g") (param $n i32) (result i32)
    (drop (call $make (local.get $n)))
    (call $callback (i32.const 0) (i32.add (local.get $n) (i32.const 1)))))`;

// A JS function re-exported by a module of its own is a Wasm function: a table accepts it.
const RELAY_WAT = `(module
  (import "env" "cb" (func $cb (param i32 i32) (result i32)))
  (export "cb" (func $cb)))`;

interface Exports {
  make(n: number): number;
  g(n: number): number;
  table?: WebAssembly.Table;
}

const frameNames = (frames: readonly { filename: string; lineno: number }[]): string[] => frames.map((f) => f.filename);

for (const kind of ['exported', 'imported'] as const) {
  test(`a callback through an ${kind} table that re-enters and allocates is a call site of its own`, async () => {
    const table = new WebAssembly.Table({ element: 'anyfunc', initial: 4 });
    const bytes = assembleWat(moduleWat(kind === 'exported'
      ? '(table $t (export "table") 4 funcref)'
      : '(import "env" "table" (table $t 4 funcref))'));
    let exports: Exports | undefined;
    const relay = new WebAssembly.Instance(new WebAssembly.Module(assembleWat(RELAY_WAT) as Uint8Array<ArrayBuffer>), {
      env: { cb: (n: number) => exports!.make(n) },
    });
    const tracer = await instantiateTraced(bytes, { env: { table } }, { nframe: 8, cache: false });
    exports = tracer.instance.exports as unknown as Exports;
    (exports.table ?? table).set(0, relay.exports.cb as WebAssembly.ExportValue as (...a: unknown[]) => unknown);
    exports.g(40);

    const traces = tracer.tracemalloc.takeSnapshot().traces;
    const bySize = new Map(traces.map((t) => [t.size, t.traceback]));
    assert.equal(traces.length, 2);
    const direct = bySize.get(40)!;
    const viaCallback = bySize.get(41)!;
    assert.equal(direct.totalNframe, 2, 'g → make → malloc');
    // g → callback → (JS) → make → malloc: the JS frame is invisible, the three Wasm call sites are not.
    assert.equal(viaCallback.totalNframe, 3, `callback's traceback: ${viaCallback.format().join(' | ')}`);
    const names = frameNames(viaCallback.frames);
    assert.notDeepEqual(names.slice(0, 2), frameNames(direct.frames).slice(0, 2), 'the callback allocation must not take the direct call\'s frames');
  });
}

// A closed table, filled by the module itself: `g` puts a reference to `viaRef` (in no element
// segment) into slot 0 with table.set and calls it with a signature no segment function has.
const REF_FUNC_WAT = `(module
  (type $cb (func (param i32 i32) (result i32)))
  (table $t 4 funcref)
  (memory (export "memory") 1)
  ${BUMP_MALLOC}
  (func $free (export "free") (param $p i32))
  (func $make (param $n i32) (result i32) (call $malloc (local.get $n)))
  (func $viaRef (param $n i32) (param $unused i32) (result i32) (call $malloc (local.get $n)))
  (func $g (export "g") (param $n i32) (result i32)
    (drop (call $make (local.get $n)))
    (table.set $t (i32.const 0) (ref.func $viaRef))
    (call_indirect $t (type $cb) (i32.add (local.get $n) (i32.const 1)) (i32.const 0) (i32.const 0))))`;

test('a function the module takes a reference to and calls through a table is reached by that indirect call', async () => {
  const tracer = await instantiateTraced(assembleWat(REF_FUNC_WAT, ['--enable-reference-types']), {}, { nframe: 8, cache: false });
  (tracer.instance.exports as unknown as Exports).g(40);
  const traces = tracer.tracemalloc.takeSnapshot().traces;
  const bySize = new Map(traces.map((t) => [t.size, t.traceback]));
  const direct = bySize.get(40)!;
  const viaRef = bySize.get(41)!;
  assert.equal(direct.totalNframe, 2, 'g → make → malloc');
  assert.equal(viaRef.totalNframe, 2, `g → viaRef → malloc: ${viaRef.format().join(' | ')}`);
  // Most recent frame first: the call of malloc, then g's call site (named by its code offset).
  assert.notEqual(viaRef.frames[1]!.lineno, direct.frames[1]!.lineno, 'the indirect call must not take g\'s call of make as its frame');
});
