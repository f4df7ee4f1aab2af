// The global hook in this process: every WebAssembly entry point it patches, on the side module
// fixture (allocator imported) against a JavaScript heap; modules without an allocator pass
// through; the synchronous constructor blocks on the instrumenter or refuses, as asked.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { installWasmHook, mayHaveAllocator, type WasmHook } from '../../src/host/globalHook.js';
import { TracingSetupError } from '../../src/host/errors.js';
import { JsHeap, NO_ALLOCATOR_MODULE, sideAllocEnv } from './jsHeap.js';

const SIDE = readFileSync('fixtures/emscripten/side_alloc.wasm');
const compiledBefore = new WebAssembly.Module(SIDE);
/** `(module (func (export "f") (result i32) i32.const 7))`: a helper module, no memory. */
const HELPER = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00,
  0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00, 0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x07, 0x0b,
]);

/** `(module (memory 1) (func (export "malloc") (result i32) i32.const 7))`: named like an allocator, shaped like none. */
const FAKE_MALLOC = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00,
  0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x0a, 0x01, 0x06, 0x6d, 0x61, 0x6c, 0x6c, 0x6f, 0x63, 0x00, 0x00,
  0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x07, 0x0b,
]);

type SideExports = { __wasm_call_ctors(): void; side_run(): number; side_release_all(): number };

let hook: WasmHook | null = null;
after(() => hook?.uninstall());

async function install(cache: string, syncInstrument: 'block' | 'refuse' = 'block'): Promise<WasmHook> {
  hook?.uninstall();
  hook = await installWasmHook({ nframe: 1, cache, root: 'fixtures/src', syncInstrument });
  return hook;
}

function run(instance: WebAssembly.Instance): SideExports {
  const x = instance.exports as unknown as SideExports;
  x.__wasm_call_ctors();
  assert.equal(x.side_run(), 6);
  return x;
}

test('the default filter: a memory and an allocator name', () => {
  assert.equal(mayHaveAllocator(SIDE), true, 'imports env.malloc');
  assert.equal(mayHaveAllocator(HELPER), false, 'no memory');
  assert.equal(mayHaveAllocator(NO_ALLOCATOR_MODULE), false, 'memory, no allocator name');
  assert.equal(mayHaveAllocator(readFileSync('fixtures/emscripten/alloc_basic.O2.wasm')), true, 'exports malloc');
  assert.equal(mayHaveAllocator(readFileSync('fixtures/emscripten/alloc_basic.O3.wasm')), false, 'minified: f, g');
  assert.equal(mayHaveAllocator(readFileSync('fixtures/emscripten/alloc_basic.O3.wasm'), new Set(['f'])), true, 'f named by the glue');
});

test('WebAssembly.instantiate(bytes), compile + instantiate(module), the streaming forms: traced', async () => {
  const h = await install(mkdtempSync(join(tmpdir(), 'wtm-hook-')));
  const heap = new JsHeap();
  const { instance, module } = await WebAssembly.instantiate(SIDE, { env: sideAllocEnv(heap) });
  assert.ok(instance instanceof WebAssembly.Instance && module instanceof WebAssembly.Module);
  run(instance);
  const tm = h.tracedInstance(instance).tracemalloc;
  assert.deepEqual(tm.getTracedMemory(), [680, 880]);
  const lines = tm.takeSnapshot().statistics('lineno').map((s) => `${s.traceback.at(0)!.filename}:${s.traceback.at(0)!.lineno} ${s.count} ${s.size}`);
  assert.deepEqual(lines, ['c/side_alloc.c:40 5 480', 'c/side_alloc.c:24 1 200']);

  const compiled = await WebAssembly.compile(SIDE);
  run(await WebAssembly.instantiate(compiled, { env: sideAllocEnv(new JsHeap()) }));
  const response = () => new Response(SIDE, { headers: { 'content-type': 'application/wasm' } });
  const streamed = await WebAssembly.instantiateStreaming(response(), { env: sideAllocEnv(new JsHeap()) });
  run(streamed.instance);
  run(await WebAssembly.instantiate(await WebAssembly.compileStreaming(response()), { env: sideAllocEnv(new JsHeap()) }));
  // 4, not 5: the first Response made Node (undici) compile its llhttp parser, which exports
  // malloc and free; called from node:internal, it passed through.
  assert.equal(h.instances.length, 4);
  for (const t of h.instances) assert.deepEqual(t.tracemalloc.getTracedMemory(), [680, 880]);
});

test('passing through: a helper module, and a module compiled before the hook, with a clear error when asked for tracing', async () => {
  const h = await install(mkdtempSync(join(tmpdir(), 'wtm-hook-')));
  const helper = new WebAssembly.Instance(new WebAssembly.Module(HELPER));
  assert.equal((helper.exports.f as () => number)(), 7);
  const before = await WebAssembly.instantiate(compiledBefore, { env: sideAllocEnv(new JsHeap()) });
  run(before);
  assert.equal(h.instances.length, 0);
  for (const instance of [helper, before]) {
    assert.throws(() => h.tracedInstance(instance), (e: Error) => {
      assert.ok(e instanceof TracingSetupError);
      assert.match(e.message, /^this instance is not traced: its module names no allocator .* or it was compiled before the hook was installed/);
      return true;
    });
  }
});

test('a module named like an allocator but shaped like none runs untraced, with a warning', async () => {
  const h = await install(mkdtempSync(join(tmpdir(), 'wtm-hook-')));
  assert.equal(mayHaveAllocator(FAKE_MALLOC), true);
  const warned = new Promise<Error>((resolve) => process.once('warning', resolve));
  const { instance } = await WebAssembly.instantiate(FAKE_MALLOC);
  assert.equal((instance.exports.malloc as () => number)(), 7);
  assert.equal(h.instances.length, 0);
  assert.match((await warned).message, /^wasm-tracemalloc: a module passed through untraced: no allocator found/);
});

test('new WebAssembly.Module (synchronous): blocks on the instrumenter, then symbols arrive', async () => {
  const h = await install(mkdtempSync(join(tmpdir(), 'wtm-hook-')));
  const module = new WebAssembly.Module(SIDE);
  const instance = new WebAssembly.Instance(module, { env: sideAllocEnv(new JsHeap()) });
  run(instance);
  const traced = h.tracedInstance(instance);
  assert.equal(traced.fromCache, false);
  assert.deepEqual(traced.tracemalloc.getTracedMemory(), [680, 880]);
  const top = () => traced.tracemalloc.takeSnapshot().statistics('lineno')[0]!.traceback.at(0)!;
  for (let i = 0; i < 100 && top().filename !== 'c/side_alloc.c'; i++) await sleep(50);
  assert.equal(`${top().filename}:${top().lineno}`, 'c/side_alloc.c:40');
  // Now in the cache: the next one does not block.
  const again = new WebAssembly.Instance(new WebAssembly.Module(SIDE), { env: sideAllocEnv(new JsHeap()) });
  run(again);
  assert.equal(h.tracedInstance(again).fromCache, true);
});

test('new WebAssembly.Module, then WebAssembly.instantiate(module): symbols arrive too', async () => {
  const h = await install(mkdtempSync(join(tmpdir(), 'wtm-hook-')));
  const instance = await WebAssembly.instantiate(new WebAssembly.Module(SIDE), { env: sideAllocEnv(new JsHeap()) });
  run(instance);
  const traced = h.tracedInstance(instance);
  assert.deepEqual(traced.tracemalloc.getTracedMemory(), [680, 880]);
  const top = () => traced.tracemalloc.takeSnapshot().statistics('lineno')[0]!.traceback.at(0)!;
  for (let i = 0; i < 100 && top().filename !== 'c/side_alloc.c'; i++) await sleep(50);
  assert.equal(`${top().filename}:${top().lineno}`, 'c/side_alloc.c:40');
});

test('new WebAssembly.Module with syncInstrument "refuse": a clear error on a cache miss, fine on a hit', async () => {
  const cache = mkdtempSync(join(tmpdir(), 'wtm-hook-'));
  await install(cache, 'refuse');
  assert.throws(() => new WebAssembly.Module(SIDE), (e: Error) => {
    assert.ok(e instanceof TracingSetupError);
    assert.match(e.message, /not in the cache yet, and the hook was told not to block \(syncInstrument: "refuse"\)/);
    return true;
  });
  await WebAssembly.compile(SIDE); // fills the cache
  const instance = new WebAssembly.Instance(new WebAssembly.Module(SIDE), { env: sideAllocEnv(new JsHeap()) });
  run(instance);
  assert.deepEqual(hook!.tracedInstance(instance).tracemalloc.getTracedMemory(), [680, 880]);
});

test('installing twice is refused; uninstall puts the engine back', async () => {
  const h = await install(mkdtempSync(join(tmpdir(), 'wtm-hook-')));
  await assert.rejects(installWasmHook(), /already installed/);
  h.uninstall();
  hook = null;
  const { instance } = await WebAssembly.instantiate(SIDE, { env: sideAllocEnv(new JsHeap()) });
  assert.equal(instance.exports.__tracemalloc_init, undefined, 'not instrumented any more');
});
