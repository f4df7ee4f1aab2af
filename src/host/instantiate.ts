/**
 * `instantiateTraced`: instrument a module, instantiate it beside a trace table, and hand back
 * the instance with its tracemalloc API.
 */
import { createHash } from 'node:crypto';
import { instrumentInWorker } from '../instrument/worker.js';
import type { InstrumentOptions, InstrumentReport } from '../instrument/instrument.js';
import { INIT_EXPORT, SLOT_BYTES_EXPORT } from '../instrument/abi.js';
import { isInstrumented } from '../instrument/siteTable.js';
import { Symbolizer } from '../symbols/index.js';
import { SiteFrames, readSiteTable } from './siteFrames.js';
import { TraceTable } from './traceTable.js';
import { Tracemalloc } from './tracer.js';

/** Options of instantiateTraced. */
export interface InstantiateOptions {
  /** Start tracing right away with this many frames (before any export runs). */
  nframe?: number;
  /** Name of the module in reports and snapshots. */
  moduleName?: string | undefined;
  /** Source root: file names under it are shown relative to it. */
  root?: string | undefined;
  /** Path of the original module file (to find a separate debug file or source map). */
  modulePath?: string | undefined;
  /** The original module, when `bytes` is already instrumented (for symbolization). */
  original?: Uint8Array | undefined;
  /** Instrumenter options (e.g. naming the allocator). */
  instrument?: InstrumentOptions | undefined;
}

/** A traced instance. */
export interface TracedInstance {
  instance: WebAssembly.Instance;
  module: WebAssembly.Module;
  tracemalloc: Tracemalloc;
  /** What the instrumenter did (null when given an already instrumented module). */
  report: InstrumentReport | null;
}

/**
 * Instantiates `bytes` (an original module, instrumented on the way, or one already
 * instrumented) with `imports` plus the trace table's, and prepares its shadow stack.
 */
export async function instantiateTraced(
  bytes: Uint8Array,
  imports: WebAssembly.Imports,
  options: InstantiateOptions = {},
): Promise<TracedInstance> {
  const alreadyInstrumented = isInstrumented(bytes);
  const original = alreadyInstrumented ? (options.original ?? null) : bytes;
  let instrumented = bytes;
  let report: InstrumentReport | null = null;
  if (!alreadyInstrumented) {
    const result = await instrumentInWorker(bytes, options.instrument);
    instrumented = result.bytes;
    report = result.report;
  }
  const module = await WebAssembly.compile(instrumented as Uint8Array<ArrayBuffer>);
  const siteTable = readSiteTable(module);
  const table = await TraceTable.create();
  const instance = await WebAssembly.instantiate(module, { ...imports, tracemalloc: table.imports });
  const init = instance.exports[INIT_EXPORT] as () => number;
  if (init() !== 1) throw new Error('the program\'s allocator could not give the tracer its shadow-stack block (malloc returned NULL)');
  const slotBytes = (instance.exports[SLOT_BYTES_EXPORT] as () => number)();
  const symbolizer = original === null ? null : await Symbolizer.fromModule(original, { root: options.root, modulePath: options.modulePath });
  const hash = original === null ? siteTable.originalHash : createHash('sha256').update(original).digest('hex');
  const tracemalloc = new Tracemalloc(table, new SiteFrames(siteTable, symbolizer), { name: options.moduleName ?? '', hash }, slotBytes);
  if (options.nframe !== undefined) tracemalloc.start(options.nframe);
  return { instance, module, tracemalloc, report };
}
