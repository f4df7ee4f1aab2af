/**
 * instantiateTraced for browsers: the same steps and result as on Node (host/instantiate.ts),
 * with Binaryen in a Web Worker and the trace table fetched from beside the bundle.
 */
import {
  attachTracer, compileTracedWith, resolveNframe,
  type InstantiateOptions, type TracedInstance, type TracedModule, type TracedSource,
} from '../host/tracedModule.js';
import { TraceTable } from '../host/traceTable.js';
import { engine } from '../host/wasmApi.js';
import { loadTableModule, prepareSourceMaps } from './assets.js';
import { browserInstrumenter } from './instrumenter.js';
import { recordImportedMemory } from './linearMemory.js';

/**
 * Options of the browser routes: InstantiateOptions, where `cache: false` turns off the origin's
 * cache of instrumented modules (a directory means nothing in a page).
 */
export type BrowserInstantiateOptions = Omit<InstantiateOptions, 'cache'> & { cache?: false | undefined };

/** Instruments (Binaryen in a Web Worker) and compiles a module; does not instantiate. */
export function compileTraced(source: TracedSource, options: BrowserInstantiateOptions = {}): Promise<TracedModule> {
  prepareSourceMaps();
  return compileTracedWith(browserInstrumenter, source, withFetch(options));
}

/** A new trace table: the shipped module unless options.traceTable.source names another. */
export async function createTraceTable(options: BrowserInstantiateOptions): Promise<TraceTable> {
  const source = options.traceTable?.source ?? (await loadTableModule());
  const module = source instanceof WebAssembly.Module ? source : await TraceTable.compile(source);
  return TraceTable.fromModule(module, options.traceTable ?? {});
}

/**
 * Instantiates `source` (original bytes, instrumented on the way, or an instrumented module)
 * with `imports` plus the trace table's; tracing starts with `options.nframe` frames.
 */
export async function instantiateTraced(
  source: TracedSource,
  imports: WebAssembly.Imports = {},
  options: BrowserInstantiateOptions = {},
): Promise<TracedInstance> {
  const nframe = resolveNframe(options.nframe);
  const [traced, table] = await Promise.all([compileTraced(source, options), createTraceTable(options)]);
  const instance = await engine.instantiate(traced.module, { ...imports, tracemalloc: table.imports });
  recordImportedMemory(instance, imports);
  return attachTracer(instance, traced, table, options, nframe);
}

/** Side files a module names (source map, separate debug file) come by fetch, relative to the page. */
export function withFetch(options: BrowserInstantiateOptions): InstantiateOptions {
  return options.readFile !== undefined ? options : { ...options, readFile: fetchFile };
}

/** Reads a URL; undefined when the server says it is not there. */
export async function fetchFile(path: string): Promise<Uint8Array | undefined> {
  const response = await fetch(new URL(path, globalThis.location?.href));
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}
