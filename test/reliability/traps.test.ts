// Calls after a trap. A trap, or a JS error thrown through Wasm frames, skips the exits of the
// frames it unwinds; a module used from JS (wasm-bindgen, a reactor) is then called again. The
// instance handed out by instantiateTraced puts the shadow stack back when a call throws
// (src/host/trapRecovery.ts): later tracebacks have their own depth, and a throw out of an
// allocator does not leave its guard set (which would hide every later allocation). The traced
// program must throw the same errors and compute the same results as the untraced one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { instantiateTraced, type TracedInstance } from '../../src/host/instantiate.js';
import { TRAPS_WAT, assembleWat } from '../support/wat.js';

interface Exports {
  make(n: number): number;
  work(n: number): number;
  crash(n: number): void;
}

let built: Uint8Array | null = null;
const build = (): Uint8Array => (built ??= assembleWat(TRAPS_WAT));

/** What `hook` does on the next allocations, set by a scenario. */
type Hook = (n: number, exports: Exports) => void;

/**
 * Runs `scenario` on the module, traced or not; returns what it recorded (results, errors as
 * `Name: message`) and the tracer. The shadow-stack block taken at set-up goes past the hook.
 */
async function run(traced: boolean, scenario: (exports: Exports, setHook: (h: Hook | null) => void, log: unknown[]) => void) {
  let exports: Exports | undefined;
  let hook: Hook | null = null;
  const env = { hook: (n: number) => { if (exports !== undefined && hook !== null) hook(n, exports); } };
  let tracer: TracedInstance | null = null;
  if (traced) {
    tracer = await instantiateTraced(build(), { env }, { nframe: 8, cache: false });
    exports = tracer.instance.exports as unknown as Exports;
  } else {
    exports = new WebAssembly.Instance(new WebAssembly.Module(build() as Uint8Array<ArrayBuffer>), { env }).exports as unknown as Exports;
  }
  const log: unknown[] = [];
  scenario(exports, (h) => (hook = h), log);
  return { log, tracer };
}

/** Calls `fn`, and logs its error (which it must throw) by name and message. */
function expectThrow(log: unknown[], fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    log.push(e instanceof Error ? `${e.constructor.name}: ${e.message}` : `thrown ${String(e)}`);
    return;
  }
  throw new Error('the call was expected to throw');
}

/** Pointers as offsets from the first one: tracing moves the heap by the shadow-stack block. */
function spacing(log: unknown[]): unknown[] {
  const first = log.find((x) => typeof x === 'number') as number;
  return log.map((x) => (typeof x === 'number' ? x - first : x));
}

/** The traced tracebacks of blocks of `size`, as `totalNframe:frame|frame…`. */
function tracebacksOfSize(t: TracedInstance, size: number): string[] {
  return t.tracemalloc.takeSnapshot().traces
    .filter((tr) => tr.size === size)
    .map((tr) => `${tr.traceback.totalNframe}:${tr.traceback.format().join('|')}`);
}

test('a trap two calls deep: the next calls have their own depth, as before the trap', async () => {
  const scenario = (x: Exports, _setHook: unknown, log: unknown[]) => {
    log.push(x.work(40));
    expectThrow(log, () => x.crash(48));
    expectThrow(log, () => x.crash(48));
    log.push(x.work(56));
    log.push(x.make(64));
  };
  const untraced = await run(false, scenario);
  const traced = await run(true, scenario);
  assert.deepEqual(spacing(traced.log), spacing(untraced.log), 'results and errors as untraced');
  assert.equal(untraced.log[1], 'RuntimeError: unreachable');

  const t = traced.tracer!;
  const before = tracebacksOfSize(t, 40);
  assert.equal(before.length, 1);
  assert.match(before[0]!, /^3:/, 'work → inner → make → malloc: three frames');
  // The same three frames after two traps, not 3 + 2 (crash's and deep1's sites) + 2.
  assert.deepEqual(tracebacksOfSize(t, 56), before);
  assert.deepEqual(tracebacksOfSize(t, 64).map((s) => s.split(':')[0]), ['1'], 'make → malloc from JS: one frame');
  // crash's allocations, made before it trapped: crash → deep1 → deep2 → make → malloc.
  const crashed = tracebacksOfSize(t, 48);
  assert.equal(crashed.length, 2);
  for (const tb of crashed) assert.match(tb, /^4:/);
});

test('a JS error thrown from inside the allocator: later allocations are still reported', async () => {
  const scenario = (x: Exports, setHook: (h: Hook | null) => void, log: unknown[]) => {
    log.push(x.work(40));
    setHook((n) => { if (n === 44) throw new TypeError('the hook refused 44 bytes'); });
    expectThrow(log, () => x.work(44));
    setHook(null);
    for (let i = 0; i < 5; i++) log.push(x.work(200 + 8 * i));
  };
  const untraced = await run(false, scenario);
  const traced = await run(true, scenario);
  assert.deepEqual(spacing(traced.log), spacing(untraced.log), 'results and errors as untraced');
  assert.equal(traced.log[1], 'TypeError: the hook refused 44 bytes', 'the same error object reaches the caller');

  const t = traced.tracer!;
  const sizes = t.tracemalloc.takeSnapshot().traces.map((tr) => tr.size).sort((a, b) => a - b);
  // 44 never returned from malloc, so it was never reported; the five after it all were.
  assert.deepEqual(sizes, [40, 200, 208, 216, 224, 232]);
  assert.deepEqual(new Set(sizes.map((s) => tracebacksOfSize(t, s)[0]!.split(':')[0])), new Set(['3']));
});

test('a trap inside a JS callback that re-entered from inside the allocator: the guard stays set, so nested calls stay unreported', async () => {
  const scenario = (x: Exports, setHook: (h: Hook | null) => void, log: unknown[]) => {
    setHook((n, ex) => {
      if (n !== 100) return;
      // Inside malloc(100): the crash is caught here, in JS, and malloc goes on.
      expectThrow(log, () => ex.crash(72));
      log.push(ex.make(24)); // still nested in malloc(100): not reported
    });
    log.push(x.work(100));
    setHook(null);
    log.push(x.work(120));
  };
  const untraced = await run(false, scenario);
  const traced = await run(true, scenario);
  assert.deepEqual(spacing(traced.log), spacing(untraced.log), 'results and errors as untraced');

  const t = traced.tracer!;
  const sizes = t.tracemalloc.takeSnapshot().traces.map((tr) => tr.size).sort((a, b) => a - b);
  assert.deepEqual(sizes, [100, 120], 'the allocations made while malloc(100) ran are nested');
  assert.deepEqual(tracebacksOfSize(t, 120), tracebacksOfSize(t, 100));
  assert.match(tracebacksOfSize(t, 100)[0]!, /^3:/);
  assert.equal(t.tracemalloc.counters().unknownFrees, 0);
});

test('the instance handed out: an Instance whose non-function exports are the engine\'s, functions of the same arity; engineInstance for tables', async () => {
  const plain = new WebAssembly.Instance(new WebAssembly.Module(build() as Uint8Array<ArrayBuffer>), { env: { hook() {} } });
  const { instance, engineInstance } = await instantiateTraced(build(), { env: { hook() {} } }, { nframe: 1, cache: false });
  assert.ok(instance instanceof WebAssembly.Instance);
  assert.ok(instance.exports['memory'] instanceof WebAssembly.Memory);
  assert.ok(Object.isFrozen(instance.exports));
  for (const name of Object.keys(plain.exports)) {
    const mine = instance.exports[name];
    assert.ok(mine !== undefined, `export ${name}`);
    if (typeof mine === 'function') assert.equal(mine.length, (plain.exports[name] as () => void).length, `arity of ${name}`);
  }
  // The tracer's own exports are there too, unwrapped.
  assert.ok(Object.keys(instance.exports).includes('__tracemalloc_init'));
  assert.equal(instance.exports['memory'], engineInstance.exports['memory']);
  // A table takes only the engine's functions: the wrapped ones are JS functions.
  const table = new WebAssembly.Table({ element: 'anyfunc', initial: 1 });
  assert.throws(() => table.set(0, instance.exports['make'] as () => void), TypeError);
  table.set(0, engineInstance.exports['make'] as () => void);
  assert.equal((table.get(0) as (n: number) => number)(8) > 0, true);
});
