/**
 * The host side of a self-contained module (`wasm-tracemalloc instrument --self-contained`):
 * the trace table is merged into the target, so the module imports nothing of the tracer and
 * exports the table's functions as `__tracemalloc_<name>`. Its one memory holds the target's
 * memory at 0 and the table's after it; `__tracemalloc_memory_base()` says where, now (the
 * table's part moves up when the program grows its memory). The tracemalloc API reads the
 * table there, exactly as it reads a separate table instance.
 *
 *   const { instance, tracemalloc } = await instantiateSelfContained(bytes, imports, { original, nframe: 4 });
 *
 * or, for a loader that instantiates the module itself:
 *
 *   const traced = await compileTraced(module, { original });
 *   const { tracemalloc } = attachSelfContained(instance, traced, { nframe: 4 });
 */
import { MEMORY_BASE_EXPORT, SELF_CONTAINED_PREFIX } from '../instrument/selfContainedAbi.js';
import { TracingSetupError } from './errors.js';
import { attachTracer, bufferBytes, compileTraced, resolveNframe, type InstantiateOptions, type TracedInstance, type TracedModule } from './instantiate.js';
import { TraceTable, type TraceTableExports } from './traceTable.js';
import { engine } from './wasmApi.js';

/** Whether a compiled module is a self-contained traced module. */
export function isSelfContained(module: WebAssembly.Module): boolean {
  return WebAssembly.Module.exports(module).some((e) => e.name === MEMORY_BASE_EXPORT && e.kind === 'function');
}

/**
 * Attaches the tracemalloc API to an instance of a self-contained module: takes its
 * shadow-stack block (`__tracemalloc_init`, before any other export runs) and starts tracing
 * with `options.nframe` frames (else `$WASM_TRACEMALLOC`'s; 0: do not start).
 */
export function attachSelfContained(instance: WebAssembly.Instance, traced: TracedModule, options: InstantiateOptions = {}): TracedInstance {
  const nframe = resolveNframe(options.nframe);
  const exports = instance.exports;
  const memoryBase = exports[MEMORY_BASE_EXPORT];
  if (typeof memoryBase !== 'function') {
    throw new TracingSetupError(
      `this instance is not of a self-contained module (it exports no ${MEMORY_BASE_EXPORT}): make one with ` +
        '`wasm-tracemalloc instrument --self-contained`, or instantiate a two-instance module with instantiate()',
    );
  }
  const table: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(exports)) if (name.startsWith(SELF_CONTAINED_PREFIX)) table[name.slice(SELF_CONTAINED_PREFIX.length)] = value;
  const base = memoryBase as () => number;
  const traceTable = TraceTable.fromMergedExports(table as unknown as TraceTableExports, () => base() >>> 0, options.traceTable);
  return attachTracer(instance, traced, traceTable, options, nframe);
}

/**
 * Instantiates a self-contained module (bytes or compiled) with the program's own imports only,
 * and attaches the tracemalloc API. `options.original` (the module before instrumentation, or
 * null) gives source lines, as for any already instrumented module.
 */
export async function instantiateSelfContained(
  source: BufferSource | WebAssembly.Module,
  imports: WebAssembly.Imports = {},
  options: InstantiateOptions = {},
): Promise<TracedInstance> {
  resolveNframe(options.nframe);
  const module = source instanceof engine.Module ? source : await engine.compile(bufferBytes(source as BufferSource) as Uint8Array<ArrayBuffer>);
  if (!isSelfContained(module)) {
    throw new TracingSetupError(
      `not a self-contained module (it exports no ${MEMORY_BASE_EXPORT}): make one with \`wasm-tracemalloc instrument --self-contained\``,
    );
  }
  const traced = await compileTraced(module, options);
  const instance = await engine.instantiate(module, imports);
  return attachSelfContained(instance, traced, options);
}
