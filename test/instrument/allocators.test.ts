// Finding the allocator: by name (wasi-libc, C++ name section, Emscripten -g), through the
// Emscripten glue for minified release builds, and the error that lists candidates otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { allocatorsFromGlue } from '../../src/instrument/emscriptenGlue.js';
import { instrumentInWorker } from '../../src/instrument/worker.js';
import { AllocatorNotFoundError } from '../../src/instrument/allocators.js';
import { InstrumentError } from '../../src/instrument/errors.js';
import { instantiateTraced } from '../../src/host/instantiate.js';
import { BUMP_MALLOC, assembleWat } from '../support/wat.js';

const wrapped = async (wasm: string, options = {}) =>
  (await instrumentInWorker(readFileSync(wasm), options)).report.allocators.map((a) => `${a.shape}:${a.name}`).sort();

test('wasi-libc: the public entry points are wrapped, not dlmalloc behind them', async () => {
  assert.deepEqual(await wrapped('fixtures/wasi/alloc_basic.wasm'), [
    'aligned_alloc:aligned_alloc', 'calloc:calloc', 'free:free', 'malloc:malloc', 'posix_memalign:posix_memalign', 'realloc:realloc',
  ]);
});

test('C++: operator new/delete by their demangled names; malloc behind them is not wrapped again', async () => {
  const names = await wrapped('fixtures/wasi/containers.wasm');
  for (const n of ['malloc:operator new(unsigned long)', 'malloc:operator new[](unsigned long)', 'free:operator delete(void*)']) {
    assert.ok(names.includes(n), `${n} not in ${names.join(', ')}`);
  }
  // The program calls malloc/free only through operator new/delete: those report the blocks.
  assert.ok(!names.includes('malloc:malloc') && !names.includes('free:free'), names.join(', '));
});

test('Emscripten -g: dlmalloc and friends, exported as malloc/free', async () => {
  const names = await wrapped('fixtures/emscripten/alloc_basic.g.wasm');
  for (const n of ['malloc:dlmalloc', 'free:dlfree', 'realloc:dlrealloc', 'calloc:dlcalloc']) assert.ok(names.includes(n), `${n} not in ${names.join(', ')}`);
});

test('glue: every form Emscripten binds _malloc in gives the export name', () => {
  const o3 = readFileSync('fixtures/emscripten/alloc_basic.O3.js', 'utf8');
  assert.deepEqual(allocatorsFromGlue(o3).map((s) => [s.shape, s.function]), [['malloc', 'f'], ['free', 'g']]);
  const o2 = readFileSync('fixtures/emscripten/alloc_basic.O2.js', 'utf8');
  assert.deepEqual(allocatorsFromGlue(o2).map((s) => [s.shape, s.function]), [['malloc', 'malloc'], ['free', 'free']]);
  // Newer Emscripten (wasmExports, arrow wrappers, minified assignWasmExports).
  assert.deepEqual(
    allocatorsFromGlue(`var _malloc = Module['_malloc'] = (a0) => (_malloc = Module['_malloc'] = wasmExports['malloc'])(a0);var _free=Module["_free"]=wasmExports["Ja"];`).map((s) => s.function),
    ['malloc', 'Ja'],
  );
  assert.deepEqual(allocatorsFromGlue('a.b();_malloc=a.Ia,_free=a.Ka,_realloc=a.Ma;').map((s) => [s.shape, s.function]), [
    ['malloc', 'Ia'], ['free', 'Ka'], ['realloc', 'Ma'],
  ]);
  assert.throws(() => allocatorsFromGlue('console.log(1)', 'app.js'), /app\.js does not bind _malloc to a wasm export/);
});

test('minified Emscripten -O3: no allocator by name; the glue names it; without it, the candidates are listed', async () => {
  const wasm = readFileSync('fixtures/emscripten/alloc_basic.O3.wasm');
  await assert.rejects(instrumentInWorker(wasm), (e: Error) => {
    assert.ok(e instanceof AllocatorNotFoundError);
    // The real malloc (export "f") is the most called malloc-shaped function: listed first.
    assert.match(e.message, /--glue app\.js/);
    assert.match(e.message, /Candidates with a malloc signature \(i32\) -> i32: \d+ \(exported as "f"\), called from \d+ functions/);
    assert.match(e.message, /Candidates with a free signature \(i32\) -> \(\): \d+ \(exported as "g"\)/);
    return true;
  });
  const glue = { source: readFileSync('fixtures/emscripten/alloc_basic.O3.js', 'utf8'), name: 'alloc_basic.O3.js' };
  const result = await instrumentInWorker(wasm, { glue });
  // The glue names malloc and free; the rest comes from their shape (allocatorShapes.test.ts).
  assert.deepEqual(result.report.allocators.filter((a) => !a.reason.startsWith('its shape: ')).map((a) => [a.shape, a.reason]), [
    ['malloc', 'alloc_basic.O3.js binds _malloc to export "f"'],
    ['free', 'alloc_basic.O3.js binds _free to export "g"'],
  ]);
  assert.ok(result.report.sites > 0);
  await assert.rejects(instrumentInWorker(wasm, { glue: { source: '{}', name: 'x.js' } }), InstrumentError);
});

test('a user-named function of the wrong signature is refused with what it is and what was expected', async () => {
  await assert.rejects(
    instrumentInWorker(readFileSync('fixtures/wasi/alloc_basic.wasm'), { allocators: [{ function: 'free', shape: 'malloc' }] }),
    /--malloc free: function \d+ \("free"\) takes 1 and returns 0 value\(s\); a malloc takes 1 i32 and returns 1/,
  );
  await assert.rejects(
    instrumentInWorker(readFileSync('fixtures/wasi/alloc_basic.wasm'), { allocators: [{ function: 99999, shape: 'malloc' }] }),
    /--malloc 99999: no function with that index/,
  );
});

test('allocator bodies binaryen.js cannot describe (a no-op free, a realloc that is only `unreachable`) are wrapped and traced', async () => {
  const bytes = assembleWat(`(module
    (memory (export "memory") 1)
    ${BUMP_MALLOC}
    (func $free (export "free") (param $p i32) (nop))
    (func $realloc (export "realloc") (param $p i32) (param $n i32) (result i32) (unreachable))
    (func $make (export "make") (param $n i32) (result i32) (call $malloc (local.get $n)))
    (func $drop (export "drop") (param $p i32) (call $free (local.get $p))))`);
  const { instance, tracemalloc, report } = await instantiateTraced(bytes, {}, { nframe: 1, cache: false });
  assert.deepEqual(report!.allocators.map((a) => a.shape).sort(), ['free', 'malloc', 'realloc']);
  const x = instance.exports as unknown as { make(n: number): number; drop(p: number): void; realloc(p: number, n: number): number };
  const a = x.make(40);
  x.make(24);
  x.drop(a);
  assert.equal(tracemalloc.getTracedMemory()[0], 24);
  assert.throws(() => x.realloc(a, 8), /unreachable/);
  assert.equal(x.make(16) - a, 64, 'the heap goes on as untraced: 40 and 24 rounded up to 8, before the 16');
  assert.equal(tracemalloc.getTracedMemory()[0], 40);
});
