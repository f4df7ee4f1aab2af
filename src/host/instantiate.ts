/**
 * `instantiateTraced`: instrument a module, instantiate it beside a trace table, and hand back
 * the instance with its tracemalloc API.
 *
 * Three steps, exported apart so that the other routes (the Emscripten hook, the global hook,
 * side modules) share them:
 *   compileTraced   original bytes → instrumented module (from the cache, or Binaryen in a
 *                   worker) + its site table + a symbolizer of the original;
 *   (the caller instantiates it with its imports + `{ tracemalloc: table.imports }`);
 *   attachTracer    runs `__tracemalloc_init` before anything else, builds the API, starts
 *                   tracing if asked (options.nframe, else $WASM_TRACEMALLOC).
 *
 * The engine-free parts live in tracedModule.ts (the browser build uses them); this file adds
 * Node's instrumenter: the on-disk cache in front of Binaryen in a worker thread.
 */
import { instrumentCached } from './moduleCache.js';
import {
  attachTracer, compileTracedWith, resolveNframe,
  type InstantiateOptions, type Instrumenter, type TracedInstance, type TracedModule, type TracedSource,
} from './tracedModule.js';
import { TraceTable } from './traceTable.js';
import { engine } from './wasmApi.js';

export {
  attachTracer, bufferBytes, checkOriginal, readSiteTableOrExplain, resolveNframe, version,
  type InstantiateOptions, type TracedInstance, type TracedModule, type TracedSource,
} from './tracedModule.js';

/** Node's instrumenter: the cache of instrumented modules, else Binaryen in a worker thread. */
const nodeInstrumenter: Instrumenter = (bytes, options) => instrumentCached(bytes, options.instrument, options.cache);

/**
 * Instruments (or reads from the cache) and compiles a module; checks an instrumented one
 * against its original. Does not instantiate.
 */
export function compileTraced(source: TracedSource, options: InstantiateOptions = {}): Promise<TracedModule> {
  return compileTracedWith(nodeInstrumenter, source, options);
}

/**
 * Instantiates `source` (an original module, instrumented on the way, or one already
 * instrumented: bytes or compiled) with `imports` plus the trace table's, and prepares its
 * shadow stack. Tracing starts with `options.nframe` frames, else with `$WASM_TRACEMALLOC`'s.
 */
export async function instantiateTraced(
  source: TracedSource,
  imports: WebAssembly.Imports = {},
  options: InstantiateOptions = {},
): Promise<TracedInstance> {
  const nframe = resolveNframe(options.nframe);
  const traced = await compileTraced(source, options);
  const table = await TraceTable.create(options.traceTable);
  const instance = await engine.instantiate(traced.module, { ...imports, tracemalloc: table.imports });
  return attachTracer(instance, traced, table, options, nframe);
}
