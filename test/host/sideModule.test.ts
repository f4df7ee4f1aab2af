// Dynamic linking: the Emscripten SIDE_MODULE fixture (fixtures/emscripten/side_alloc.wasm),
// whose malloc/free are imports, loaded by instantiateSideModule against (1) a JavaScript heap
// and (2) a real main module's dlmalloc (the Emscripten -O2 alloc_basic build, which exports
// memory, malloc and free). Its figures are checked against fixtures/src/c/side_alloc.expected.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { instantiateSideModule, readDylink } from '../../src/host/sideModule.js';
import { TracingSetupError } from '../../src/host/errors.js';
import { loadExpected } from '../support/expected.js';
import { JsHeap } from './jsHeap.js';

const SIDE = readFileSync('fixtures/emscripten/side_alloc.wasm');
const expected = loadExpected('fixtures/src/c/side_alloc.expected.json');
const run = expected.runs[0]!;
const cache = mkdtempSync(join(tmpdir(), 'wtm-side-'));

type SideExports = { side_run(): number; side_live_bytes(): number; side_release_all(): number };

/** Statistics by line, as "file:line count size", biggest first. */
function byLine(snapshot: ReturnType<import('../../src/host/tracer.js').Tracemalloc['takeSnapshot']>): string[] {
  return snapshot.statistics('lineno').map((s) => `${s.traceback.at(0)!.filename}:${s.traceback.at(0)!.lineno} ${s.count} ${s.size}`);
}

const expectedLines = run.program.sites
  .filter((s) => s.liveBlocks > 0)
  .sort((a, b) => b.liveBytes - a.liveBytes)
  .map((s) => `${s.file}:${s.line} ${s.liveBlocks} ${s.liveBytes}`);

test('dylink.0 of the fixture: its data and table needs', () => {
  const info = readDylink(new WebAssembly.Module(SIDE));
  assert.ok(info.memorySize > 0, 'it has static data (the held[] arrays)');
  assert.deepEqual(info.needed, []);
  assert.throws(() => readDylink(new WebAssembly.Module(readFileSync('fixtures/emscripten/alloc_basic.O2.wasm'))), /not a side module: it has no dylink\.0 section/);
});

test('against a JavaScript heap: the side module\'s own allocations, symbolized under its own DWARF, equal the known answer', async () => {
  const heap = new JsHeap();
  const side = await instantiateSideModule(SIDE, {
    memory: heap.memory,
    symbols: { malloc: heap.malloc, free: heap.free, memset: heap.memset },
    nframe: 2,
    cache,
    root: 'fixtures/src',
  });
  // The loader's data block and the tracer's shadow-stack block came from the heap, untraced.
  assert.equal(heap.allocated.length, 2);
  assert.ok(side.memoryBase >= 128 * 1024);
  const tm = side.tracemalloc;
  assert.deepEqual(tm.getTracedMemory(), [0, 0]);
  heap.resetCounts();
  const x = side.instance.exports as unknown as SideExports;
  assert.equal(x.side_run(), run.returns!.side_run);
  assert.equal(x.side_live_bytes(), run.returns!.side_live_bytes);
  assert.equal(heap.allocated.length, run.program.allocations, 'the real malloc was called once per traced allocation');
  assert.deepEqual(tm.getTracedMemory(), [run.program.liveBytes, run.program.peakBytes]);
  const snapshot = tm.takeSnapshot();
  assert.deepEqual(byLine(snapshot), expectedLines);
  // nframe = 2: the helper's block carries its caller, side_run.
  const helper = snapshot.statistics('traceback').find((s) => s.traceback.at(0)!.lineno === 24)!;
  assert.equal(helper.traceback.length, 2);
  assert.equal(helper.traceback.at(1)!.filename, 'c/side_alloc.c');
  assert.equal(x.side_release_all(), run.returns!.side_release_all);
  assert.deepEqual(tm.getTracedMemory(), [0, run.program.peakBytes]);
  assert.equal(heap.frees, run.program.frees + run.program.liveBlocks);
});

test('against a main module\'s dlmalloc (Emscripten -O2 alloc_basic, memory shared): same figures, blocks freed back to it', async () => {
  const main = await WebAssembly.instantiate(readFileSync('fixtures/emscripten/alloc_basic.O2.wasm'), {
    env: { emscripten_memcpy_big: () => {}, emscripten_resize_heap: () => 0, setTempRet0: () => {} },
    wasi_snapshot_preview1: { fd_write: () => 0 },
  });
  const m = main.instance.exports as Record<string, unknown> & { memory: WebAssembly.Memory; malloc(n: number): number; free(p: number): void };
  (m.__wasm_call_ctors as () => void)();
  const stack = m.malloc(64 * 1024);
  const side = await instantiateSideModule(SIDE, {
    memory: m.memory,
    symbols: {
      malloc: m.malloc,
      free: m.free,
      memset: (p: number, v: number, n: number) => (new Uint8Array(m.memory.buffer).fill(v, p, p + n), p),
    },
    stackPointer: new WebAssembly.Global({ value: 'i32', mutable: true }, stack + 64 * 1024),
    nframe: 1,
    cache,
    root: 'fixtures/src',
  });
  const x = side.instance.exports as unknown as SideExports;
  assert.equal(x.side_run(), run.returns!.side_run);
  assert.deepEqual(side.tracemalloc.getTracedMemory(), [run.program.liveBytes, run.program.peakBytes]);
  assert.deepEqual(byLine(side.tracemalloc.takeSnapshot()), expectedLines);
  assert.equal(x.side_release_all(), run.returns!.side_release_all);
  assert.deepEqual(side.tracemalloc.getTracedMemory(), [0, run.program.peakBytes]);
  // The main module's heap is still sound: it can allocate and free after the side module freed into it.
  const p = m.malloc(1000);
  assert.ok(p !== 0);
  m.free(p);
});

test('a symbol the side module imports and nobody gives: a clear error', async () => {
  const heap = new JsHeap();
  await assert.rejects(
    instantiateSideModule(SIDE, { memory: heap.memory, symbols: { malloc: heap.malloc, free: heap.free }, cache }),
    (e: Error) => e instanceof TracingSetupError && /imports env\.memset, not given in options\.symbols/.test(e.message),
  );
});
