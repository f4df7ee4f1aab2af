/**
 * Putting the shadow stack back after a call from JS ends in an exception.
 *
 * A trap (`unreachable`, a Rust panic, an out-of-bounds access) or a JS error thrown through Wasm
 * frames unwinds those frames without running their exits, so `$tm_depth` stays where the
 * exception left it, and after one inside an allocator, so does `$tm_guard`. A WASI command is
 * over by then, but a wasm-bindgen module is called again once JS caught the panic: without this,
 * its later tracebacks carry the dead call's frames under their own (tiktoken: 5 frames became
 * 13), and after a throw out of an allocator every later allocation goes unreported.
 *
 * Only JS sees a call end in an exception: a count kept inside the module cannot tell a stale
 * entry from a live re-entry. So each exported function is handed to the program wrapped: the
 * wrapper reads the state (`__tracemalloc_stack_state`, a few ns) before the call and, if the
 * call throws, sets it back (`__tracemalloc_stack_restore`) and rethrows the same value. That is
 * exact at any nesting: a JS callback re-entering from inside an allocator sees the guard set,
 * and gets it back set, so its allocations stay unreported as nested.
 */
import { STACK_RESTORE_EXPORT, STACK_STATE_EXPORT } from '../instrument/abi.js';
import { TracingSetupError } from './errors.js';
import { engine } from './wasmApi.js';

type WasmFunction = (...args: unknown[]) => unknown;

/**
 * Whether a module's instances can be handed out with wrapped exports. Not for dynamically linked
 * modules (`dylink.0`, Emscripten MAIN_MODULE / SIDE_MODULE): their exports are linked into other
 * instances, Wasm to Wasm, and put in the shared function table, which takes only Wasm functions.
 * Kept per module: reading the custom sections costs ~2 µs, and a module may be instantiated
 * thousands of times.
 */
const recoverable = new WeakMap<WebAssembly.Module, boolean>();
function canRecoverTraps(module: WebAssembly.Module): boolean {
  let can = recoverable.get(module);
  if (can === undefined) {
    can = engine.Module.customSections(module, 'dylink.0').length === 0 && engine.Module.customSections(module, 'dylink').length === 0;
    recoverable.set(module, can);
  }
  return can;
}

/** The instance of `module` to hand to the program: with trap recovery, unless the module is dynamically linked. */
export function handedOutInstance(instance: WebAssembly.Instance, module: WebAssembly.Module): WebAssembly.Instance {
  return canRecoverTraps(module) ? withTrapRecovery(instance) : instance;
}

/**
 * The instance as the program should see it: an Instance whose exported functions put the shadow
 * stack back when they throw; memories, tables, globals and the tracer's own exports as they are.
 */
function withTrapRecovery(instance: WebAssembly.Instance): WebAssembly.Instance {
  const state = instance.exports[STACK_STATE_EXPORT];
  const restore = instance.exports[STACK_RESTORE_EXPORT];
  if (typeof state !== 'function' || typeof restore !== 'function') {
    throw new TracingSetupError(
      `the instrumented module exports no ${STACK_STATE_EXPORT}: it was made by an older wasm-tracemalloc; instrument the original again`,
    );
  }
  const exports: Record<string, unknown> = Object.create(null);
  for (const [name, value] of Object.entries(instance.exports)) {
    // The tracer's own exports (init, the untraced allocators, a self-contained table's API) stay bare.
    exports[name] = typeof value === 'function' && !name.startsWith('__tracemalloc_')
      ? recovering(value as WasmFunction, state as () => number, restore as (saved: number) => void)
      : value;
  }
  // Still an Instance to `instanceof` and to the glue; `exports` shadows the prototype's getter.
  return Object.create(engine.Instance.prototype, { exports: { value: Object.freeze(exports), enumerable: true } }) as WebAssembly.Instance;
}

type Wrap = (fn: WasmFunction, state: () => number, restore: (saved: number) => void) => WasmFunction;

/**
 * Wrappers of the exact arity, by parameter count. In a loop timing 10M calls here, a JS-to-Wasm
 * call with more or fewer arguments than the function's parameters took about 6 ns more, and
 * rest/spread about 5 ns more than a fixed list. `bench/exportCall.bench.ts` times the wrappers.
 */
const BY_ARITY: Wrap[] = [
  (fn, state, restore) => () => { const s = state(); try { return fn(); } catch (error) { restore(s); throw error; } },
  (fn, state, restore) => (a) => { const s = state(); try { return fn(a); } catch (error) { restore(s); throw error; } },
  (fn, state, restore) => (a, b) => { const s = state(); try { return fn(a, b); } catch (error) { restore(s); throw error; } },
  (fn, state, restore) => (a, b, c) => { const s = state(); try { return fn(a, b, c); } catch (error) { restore(s); throw error; } },
  (fn, state, restore) => (a, b, c, d) => { const s = state(); try { return fn(a, b, c, d); } catch (error) { restore(s); throw error; } },
  (fn, state, restore) => (a, b, c, d, e) => { const s = state(); try { return fn(a, b, c, d, e); } catch (error) { restore(s); throw error; } },
  (fn, state, restore) => (a, b, c, d, e, f) => { const s = state(); try { return fn(a, b, c, d, e, f); } catch (error) { restore(s); throw error; } },
  (fn, state, restore) => (a, b, c, d, e, f, g) => { const s = state(); try { return fn(a, b, c, d, e, f, g); } catch (error) { restore(s); throw error; } },
  (fn, state, restore) => (a, b, c, d, e, f, g, h) => { const s = state(); try { return fn(a, b, c, d, e, f, g, h); } catch (error) { restore(s); throw error; } },
];

/** More parameters than BY_ARITY covers: rest and spread. */
const spreadWrap: Wrap = (fn, state, restore) => (...args) => { const s = state(); try { return fn(...args); } catch (error) { restore(s); throw error; } };

/**
 * `fn` wrapped. The exact-arity wrappers already have `fn`'s `length`, as glue reading it (for a
 * signature) expects; the spread one gets it set. (Redefining properties on every wrapper would
 * cost more than the rest of the wrapping: each instance of a short-lived module pays it.)
 */
function recovering(fn: WasmFunction, state: () => number, restore: (saved: number) => void): WasmFunction {
  const byArity = BY_ARITY[fn.length];
  if (byArity !== undefined) return byArity(fn, state, restore);
  return Object.defineProperty(spreadWrap(fn, state, restore), 'length', { value: fn.length });
}
