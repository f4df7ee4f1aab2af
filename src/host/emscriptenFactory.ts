/**
 * A tracing `Module.instantiateWasm` for Emscripten glue, and running a module factory with it:
 * shared by the Node route (emscripten.ts) and the browser's (src/browser/emscripten.ts).
 * Engine-free.
 */
import { TracingSetupError } from './errors.js';
import type { TracedInstance } from './tracedModule.js';

/** `Module.instantiateWasm` for the glue, and the traced instance once the glue called it. */
export interface EmscriptenTracing {
  /** Set as `Module.instantiateWasm` (or pass in the module factory's argument). */
  readonly instantiateWasm: (
    imports: WebAssembly.Imports,
    successCallback: (instance: WebAssembly.Instance, module?: WebAssembly.Module) => void,
  ) => Record<string, never>;
  /** Settles after the glue asked for the instance: the traced instance, or why it failed. */
  readonly traced: Promise<TracedInstance>;
}

/**
 * The glue's side of `Module.instantiateWasm`, for one instance: hands `instantiate` the imports
 * the glue built, calls the glue back with the traced instance, and settles `traced` either way.
 * How the bytes are found and instrumented is the caller's (`instantiate`).
 */
export function instantiateWasmOnce(instantiate: (imports: WebAssembly.Imports) => Promise<TracedInstance>): EmscriptenTracing {
  let settle!: { resolve: (t: TracedInstance) => void; reject: (e: unknown) => void };
  const traced = new Promise<TracedInstance>((resolve, reject) => (settle = { resolve, reject }));
  let called = false;
  const instantiateWasm: EmscriptenTracing['instantiateWasm'] = (imports, successCallback) => {
    if (called) throw new TracingSetupError('this instantiateWasm was already used: make one per module instance');
    called = true;
    instantiate(imports).then((t) => {
      settle.resolve(t);
      successCallback(t.instance, t.module);
    }, settle.reject);
    // The glue's contract: an empty object means "asynchronous, wait for the callback".
    return {};
  };
  return { instantiateWasm, traced };
}

/**
 * Runs `factory` with `tracing.instantiateWasm` added to `moduleArg`. A failure to trace rejects
 * instead of leaving the glue waiting forever; a factory that never called instantiateWasm
 * (glue without the hook) is an error, since the program then ran untraced.
 */
export async function runFactoryTraced<T, A extends object>(
  factory: (moduleArg: A & { instantiateWasm: EmscriptenTracing['instantiateWasm'] }) => Promise<T>,
  moduleArg: A,
  tracing: EmscriptenTracing,
): Promise<{ module: T; traced: TracedInstance }> {
  const failed = tracing.traced.then(() => new Promise<never>(() => {}));
  let settled: TracedInstance | null = null;
  void tracing.traced.then((t) => (settled = t), () => {});
  const module = await Promise.race([factory({ ...moduleArg, instantiateWasm: tracing.instantiateWasm }), failed]);
  if (settled === null) {
    throw new TracingSetupError('the module factory finished without calling Module.instantiateWasm: this glue does not support it, so the program ran untraced (try the global hook, installWasmHook)');
  }
  return { module, traced: settled };
}
