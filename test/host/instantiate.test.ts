// instantiateTraced as a library user meets it: the API it hands back, $WASM_TRACEMALLOC,
// the cache of instrumented modules, and the errors of a wrong setup. The module is the
// Emscripten side module fixture (tiny, allocator imported), run against a JavaScript heap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { instantiateTraced, version, type InstantiateOptions } from '../../src/host/instantiate.js';
import { EnvironmentError, nframeFromEnvironment } from '../../src/host/environment.js';
import { TracingSetupError } from '../../src/host/errors.js';
import { instrumentCached, readCacheEntry, writeCacheEntry } from '../../src/host/moduleCache.js';
import { Tracemalloc } from '../../src/host/tracer.js';
import { AllocatorNotFoundError } from '../../src/instrument/allocators.js';
import type { InstrumentReport } from '../../src/instrument/instrument.js';
import { JsHeap, NO_ALLOCATOR_MODULE, sideAllocEnv } from './jsHeap.js';

const SIDE = readFileSync('fixtures/emscripten/side_alloc.wasm');
const cacheDir = mkdtempSync(join(tmpdir(), 'wtm-cache-'));

type SideExports = { __wasm_call_ctors(): void; side_run(): number; side_live_bytes(): number; side_release_all(): number };

async function side(options: InstantiateOptions = {}, bytes: Uint8Array | WebAssembly.Module = SIDE) {
  const heap = new JsHeap();
  const traced = await instantiateTraced(bytes, { env: sideAllocEnv(heap) }, { cache: cacheDir, root: 'fixtures/src', ...options });
  const x = traced.instance.exports as unknown as SideExports;
  x.__wasm_call_ctors();
  return { traced, heap, x };
}

/** Runs `fn` with WASM_TRACEMALLOC set to `value` (undefined: unset), restoring it after. */
async function withNframeVariable<T>(value: string | undefined, fn: () => Promise<T>): Promise<T> {
  const saved = process.env.WASM_TRACEMALLOC;
  if (value === undefined) delete process.env.WASM_TRACEMALLOC;
  else process.env.WASM_TRACEMALLOC = value;
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env.WASM_TRACEMALLOC;
    else process.env.WASM_TRACEMALLOC = saved;
  }
}

test('the result carries the instance, every tracemalloc function, the report and the version', async () => {
  const { traced, x } = await side({ nframe: 2 });
  assert.equal(traced.version, Tracemalloc.version);
  assert.equal(version, Tracemalloc.version);
  assert.ok(traced.module instanceof WebAssembly.Module);
  assert.deepEqual(traced.report!.allocators.map((a) => `${a.shape}:${a.imported}`).sort(), ['free:true', 'malloc:true']);
  // Python's tracemalloc functions, camelCased (README's table).
  const api = ['start', 'stop', 'isTracing', 'clearTraces', 'getTracebackLimit', 'getTracedMemory', 'resetPeak',
    'getTracemallocMemory', 'getObjectTraceback', 'takeSnapshot'] as const;
  for (const name of api) assert.equal(typeof traced.tracemalloc[name], 'function', name);
  const tm = traced.tracemalloc;
  assert.equal(tm.isTracing(), true);
  assert.equal(tm.getTracebackLimit(), 2);
  assert.equal(x.side_run(), 6);
  assert.deepEqual(tm.getTracedMemory(), [680, 880]);
  assert.ok(tm.getTracemallocMemory() > 0);
  const stats = tm.takeSnapshot().statistics('lineno').map((s) => `${s.traceback.at(0)!.filename}:${s.traceback.at(0)!.lineno} ${s.count} ${s.size}`);
  assert.deepEqual(stats, ['c/side_alloc.c:40 5 480', 'c/side_alloc.c:24 1 200']);
  tm.resetPeak();
  assert.deepEqual(tm.getTracedMemory(), [680, 680]);
  assert.equal(x.side_release_all(), 6);
  assert.deepEqual(tm.getTracedMemory(), [0, 680]);
  tm.stop();
  assert.equal(tm.isTracing(), false);
});

test('WASM_TRACEMALLOC starts tracing with its frame count when nframe is absent; nframe wins; 0 does not start', async () => {
  await withNframeVariable('3', async () => {
    assert.equal((await side()).traced.tracemalloc.getTracebackLimit(), 3);
    assert.equal((await side({ nframe: 5 })).traced.tracemalloc.getTracebackLimit(), 5);
    assert.equal((await side({ nframe: 0 })).traced.tracemalloc.isTracing(), false);
  });
  await withNframeVariable('0', async () => assert.equal((await side()).traced.tracemalloc.isTracing(), false));
  await withNframeVariable(undefined, async () => assert.equal((await side()).traced.tracemalloc.isTracing(), false));
  await withNframeVariable('', async () => assert.equal((await side()).traced.tracemalloc.isTracing(), false));
});

test('an invalid WASM_TRACEMALLOC is a clear error, raised before any work', async () => {
  for (const bad of ['abc', '-1', '17', '1.5', '2x']) {
    await withNframeVariable(bad, async () => {
      await assert.rejects(side(), (e: Error) => {
        assert.ok(e instanceof EnvironmentError, String(e));
        assert.match(e.message, /^WASM_TRACEMALLOC=".*": invalid number of frames; expected an integer from 0 \(do not trace\) to 16/);
        return true;
      });
    });
  }
  assert.equal(nframeFromEnvironment({ WASM_TRACEMALLOC: ' 16 ' }), 16);
  assert.equal(nframeFromEnvironment({}), undefined);
  await assert.rejects(side({ nframe: 17 }), /nframe must be an integer from 0 \(do not start\) to 16, got 17/);
});

test('cache: the second instantiation reads the instrumented module instead of running Binaryen', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wtm-cache-'));
  const first = await side({ cache: dir, nframe: 1 });
  assert.equal(first.traced.fromCache, false);
  const entries = readdirSync(dir);
  assert.equal(entries.length, 1, 'one entry, no temporary file left behind');
  assert.match(entries[0]!, /^[0-9a-f]{64}\.wtm$/);
  const second = await side({ cache: dir, nframe: 1 });
  assert.equal(second.traced.fromCache, true);
  assert.deepEqual(second.traced.report, first.traced.report);
  assert.equal(second.x.side_run(), 6);
  assert.deepEqual(second.traced.tracemalloc.getTracedMemory(), [680, 880]);

  // Other instrument options are another entry.
  const named = await side({ cache: dir, nframe: 1, instrument: { allocators: [{ function: 'malloc', shape: 'malloc' }, { function: 'free', shape: 'free' }] } });
  assert.equal(named.traced.fromCache, false);
  assert.equal(readdirSync(dir).length, 2);
});

test('cache: a corrupt or truncated entry is ignored and rebuilt', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wtm-cache-'));
  await side({ cache: dir });
  const file = join(dir, readdirSync(dir)[0]!);
  const good = readFileSync(file);
  const key = readdirSync(dir)[0]!.replace(/\.wtm$/, '');
  const goodEntry = readCacheEntry(file, key)!;
  assert.ok(goodEntry !== null);
  const damages: Array<[string, Buffer]> = [
    ['one byte flipped in the module', Buffer.from(good.map((b, i) => (i === good.length - 100 ? b ^ 0xff : b)))],
    ['truncated', good.subarray(0, good.length >> 1)],
  ];
  for (const [what, bytes] of damages) {
    writeFileSync(file, bytes);
    const again = await side({ cache: dir, nframe: 1 });
    assert.equal(again.traced.fromCache, false, what);
    assert.equal(again.x.side_run(), 6, what);
    assert.deepEqual(again.traced.tracemalloc.getTracedMemory(), [680, 880], what);
    // Rewritten whole: a valid entry again, holding the same module (the report may hold timings).
    assert.deepEqual(readCacheEntry(file, key)?.bytes, goodEntry.bytes, `${what}: the entry was rewritten`);
  }
  assert.equal((await side({ cache: dir })).traced.fromCache, true);
});

test('cache: false turns it off', async () => {
  const { traced } = await side({ cache: false });
  assert.equal(traced.fromCache, false);
});

test('errors: a module with no allocator says what to do', async () => {
  await assert.rejects(instantiateTraced(NO_ALLOCATOR_MODULE, {}, { cache: cacheDir, moduleName: 'empty.wasm' }), (e: Error) => {
    assert.ok(e instanceof AllocatorNotFoundError);
    assert.match(e.message, /^empty\.wasm: no allocator found/);
    assert.match(e.message, /instrument: \{ allocators: \[/);
    assert.match(e.message, /glue file/);
    return true;
  });
});

test('errors: an instrumented module needs its original, or an explicit null', async () => {
  const instrumented = (await instrumentCached(SIDE, {}, cacheDir)).bytes;
  await assert.rejects(side({}, instrumented), (e: Error) => {
    assert.ok(e instanceof TracingSetupError);
    assert.match(e.message, /already instrumented .* its original was not given/);
    assert.match(e.message, /original: null/);
    return true;
  });
  // The wrong original.
  await assert.rejects(side({ original: NO_ALLOCATOR_MODULE }, instrumented), /`original` is not the module this one was instrumented from/);
  // The instrumented module as its own original.
  await assert.rejects(side({ original: instrumented }, instrumented), /`original` is itself an instrumented module/);
  // The right original: source lines.
  const withOriginal = await side({ original: SIDE, nframe: 1 }, instrumented);
  withOriginal.x.side_run();
  assert.equal(withOriginal.traced.report, null);
  assert.equal(withOriginal.traced.tracemalloc.takeSnapshot().statistics('lineno')[0]!.traceback.at(0)!.filename, 'c/side_alloc.c');
  // None: frames named by function index.
  const without = await side({ original: null, nframe: 1 }, instrumented);
  without.x.side_run();
  assert.match(without.traced.tracemalloc.takeSnapshot().statistics('lineno')[0]!.traceback.at(0)!.filename, /^wasm-function\[\d+\]$/);
  // Compiled, instrumented, with its original.
  const compiled = await side({ original: SIDE, nframe: 1 }, new WebAssembly.Module(instrumented as Uint8Array<ArrayBuffer>));
  assert.equal(compiled.x.side_run(), 6);
  assert.deepEqual(compiled.traced.tracemalloc.getTracedMemory(), [680, 880]);
});

test('errors: tracing asked of a compiled module that was not instrumented', async () => {
  await assert.rejects(side({}, new WebAssembly.Module(SIDE)), (e: Error) => {
    assert.ok(e instanceof TracingSetupError);
    assert.match(e.message, /compiled WebAssembly\.Module that was not instrumented .* pass its bytes instead/);
    return true;
  });
});

test('cache entries: anything but a whole, matching entry reads as a miss', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wtm-cache-'));
  const file = join(dir, 'x.wtm');
  const report = { allocators: [], instrumentedFunctions: 0, totalFunctions: 0, openTables: [], sites: 0, sitesWithoutOffset: 0, warnings: [], elapsedMs: 1 } as InstrumentReport;
  assert.equal(writeCacheEntry(file, 'k', NO_ALLOCATOR_MODULE, report), true);
  assert.deepEqual(readCacheEntry(file, 'k'), { bytes: NO_ALLOCATOR_MODULE, report });
  assert.equal(readCacheEntry(file, 'another key'), null);
  assert.equal(readCacheEntry(join(dir, 'missing.wtm'), 'k'), null);
  for (const bytes of [Buffer.alloc(0), Buffer.from('not a cache entry, but long enough to have a header and a checksum')]) {
    writeFileSync(file, bytes);
    assert.equal(readCacheEntry(file, 'k'), null);
  }
  assert.deepEqual(readdirSync(dir), ['x.wtm'], 'no temporary file left behind');
});
