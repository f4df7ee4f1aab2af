/**
 * The engine-free half of instantiating a traced module, shared by Node (instantiate.ts, with
 * the on-disk cache and Binaryen in a worker thread) and browsers (src/browser/, Binaryen in a
 * Web Worker): the options and result types, checking an instrumented module against its
 * original, compiling through a given instrumenter, and `attachTracer`. No Node built-ins here.
 */
import { AllocatorNotFoundError } from '../instrument/allocators.js';
import { INIT_EXPORT, SLOT_BYTES_EXPORT } from '../instrument/abi.js';
import type { InstrumentOptions, InstrumentReport } from '../instrument/instrument.js';
import type { SiteTable } from '../instrument/siteTable.js';
import { isInstrumented } from '../instrument/siteTable.js';
import { sha256Hex } from '../instrument/sha256.js';
import { Symbolizer, type SymbolizerOptions } from '../symbols/index.js';
import { nframeFromEnvironment } from './environment.js';
import { TracingSetupError } from './errors.js';
import type { CacheSetting } from './moduleCache.js';
import { SiteFrames, readSiteTable } from './siteFrames.js';
import type { TraceTable, TraceTableOptions } from './traceTable.js';
import { Tracemalloc } from './tracer.js';
import { handedOutInstance } from './trapRecovery.js';
import { engine } from './wasmApi.js';

/** Options of instantiateTraced. */
export interface InstantiateOptions {
  /**
   * Start tracing right away with this many frames (1–16), before any export runs; 0: do not
   * start. Absent: `$WASM_TRACEMALLOC` decides (as `PYTHONTRACEMALLOC` does), else no tracing.
   */
  nframe?: number | undefined;
  /** Name of the module in reports and snapshots. */
  moduleName?: string | undefined;
  /** Source root: file names under it are shown relative to it. */
  root?: string | undefined;
  /** Path of the original module file (to find a separate debug file or source map). */
  modulePath?: string | undefined;
  /**
   * The separate DWARF of a `-gseparate-dwarf` / split build (bytes, or a path read with
   * `readFile`): its line tables name the frames. Absent: looked for as the module names it.
   */
  debugFile?: Uint8Array | string | undefined;
  /**
   * The original module, when the source is already instrumented (for symbolization). `null`
   * says "there is none": frames are then named by function index and code offset.
   */
  original?: Uint8Array | null | undefined;
  /** Instrumenter options (e.g. naming the allocator). */
  instrument?: InstrumentOptions | undefined;
  /**
   * Cache of instrumented modules: a directory, `false` to turn it off, or absent for the default
   * (`$WASM_TRACEMALLOC_CACHE`, `node_modules/.cache/wasm-tracemalloc`, the OS temp dir).
   */
  cache?: CacheSetting;
  /**
   * How the symbolizer reads the files a module names (a separate debug file, a source map):
   * default node:fs; the browser build passes a fetch.
   */
  readFile?: ((path: string) => Promise<Uint8Array | undefined>) | undefined;
  /** Options of the trace table (its module for browsers, a memory limit, realloc(p, 0) semantics). */
  traceTable?: TraceTableOptions | undefined;
}

/** A traced instance. */
export interface TracedInstance {
  /**
   * The instance to run. Its exported functions wrap the engine's so that a call ending in an
   * exception (a trap, a Rust panic) leaves the shadow stack as it was before the call: later
   * tracebacks stay right when the program is called again. A dynamically linked module's are the engine's.
   */
  instance: WebAssembly.Instance;
  /**
   * The engine's own instance, whose exports do not recover from traps: for code that needs the
   * engine's function objects (`WebAssembly.Table.prototype.set` takes only Wasm functions).
   */
  engineInstance: WebAssembly.Instance;
  module: WebAssembly.Module;
  /** The tracemalloc API of this instance. */
  tracemalloc: Tracemalloc;
  /** What the instrumenter did (null when given an already instrumented module). */
  report: InstrumentReport | null;
  /** Version of the tracemalloc API (`tracemalloc.__version__`). */
  version: string;
  /** True when the instrumented module came from the cache (Binaryen did not run). */
  fromCache: boolean;
  /**
   * What the symbolizer could not use (bad or mismatched debug info, a refused source map), one
   * line each. Debug info is read on the first lookup, so ask after taking a snapshot.
   */
  symbolWarnings(): string[];
}

/** What instantiateTraced accepts: a module's bytes, or a compiled module that is already instrumented. */
export type TracedSource = BufferSource | WebAssembly.Module;

/** An instrumented module, compiled, ready to instantiate. */
export interface TracedModule {
  module: WebAssembly.Module;
  siteTable: SiteTable;
  /** The original module's bytes, or null when only the instrumented module is known. */
  original: Uint8Array | null;
  /** SHA-256 of the original module, lowercase hex. */
  hash: string;
  report: InstrumentReport | null;
  fromCache: boolean;
  /** Symbolizes sites against the original module; null when there is no original. */
  symbolizer: Symbolizer | null;
}

/** Version of the tracemalloc API, as `tracemalloc.__version__`. */
export const version = Tracemalloc.version;

/** The bytes of a BufferSource, without copying. */
export function bufferBytes(source: BufferSource): Uint8Array {
  if (source instanceof Uint8Array) return source;
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  return new Uint8Array(source);
}

/**
 * The frame count to start with: `nframe` if given, else `$WASM_TRACEMALLOC`, else 0 (do not
 * start). Checked here, before any work, so that a bad value fails fast and clearly.
 */
export function resolveNframe(nframe: number | undefined): number {
  if (nframe === undefined) return nframeFromEnvironment() ?? 0;
  if (!Number.isInteger(nframe) || nframe < 0 || nframe > 16) {
    throw new RangeError(`nframe must be an integer from 0 (do not start) to 16, got ${nframe}`);
  }
  return nframe;
}

/** The instrumented bytes of a module, and where they came from. */
export interface Instrumented {
  bytes: Uint8Array;
  report: InstrumentReport;
  /** SHA-256 of the original module, lowercase hex. */
  originalHash: string;
  fromCache: boolean;
}

/** Turns an original module into an instrumented one: Binaryen in a worker, maybe behind a cache. */
export type Instrumenter = (bytes: Uint8Array, options: InstantiateOptions) => Promise<Instrumented>;

/**
 * Instruments `source` with `instrumenter` (or takes it as it is, when already instrumented) and
 * compiles it; checks an instrumented module against its original. Does not instantiate.
 */
export async function compileTracedWith(instrumenter: Instrumenter, source: TracedSource, options: InstantiateOptions = {}): Promise<TracedModule> {
  if (source instanceof WebAssembly.Module || source instanceof engine.Module) return compiledTraced(source, options);
  const bytes = bufferBytes(source);
  if (isInstrumented(bytes)) {
    const module = await engine.compile(bytes as Uint8Array<ArrayBuffer>);
    return compiledTraced(module, options);
  }
  let instrumented;
  try {
    instrumented = await instrumenter(bytes, options);
  } catch (e) {
    throw explainAllocatorNotFound(e, options);
  }
  const [module, symbolizer] = await Promise.all([
    engine.compile(instrumented.bytes as Uint8Array<ArrayBuffer>),
    Symbolizer.fromModule(bytes, symbolizerOptions(options)),
  ]);
  return {
    module,
    siteTable: readSiteTable(module),
    original: bytes,
    hash: instrumented.originalHash,
    report: instrumented.report,
    fromCache: instrumented.fromCache,
    symbolizer,
  };
}

/** What the symbolizer needs of the options. */
export function symbolizerOptions(options: InstantiateOptions): SymbolizerOptions {
  const out: SymbolizerOptions = {};
  if (options.root !== undefined) out.root = options.root;
  if (options.modulePath !== undefined) out.modulePath = options.modulePath;
  if (options.debugFile !== undefined) out.debugFile = options.debugFile;
  if (options.readFile !== undefined) out.readFile = options.readFile;
  return out;
}

/** A compiled module that must already be instrumented; its original is options.original. */
async function compiledTraced(module: WebAssembly.Module, options: InstantiateOptions): Promise<TracedModule> {
  const siteTable = readSiteTableOrExplain(module);
  const original = checkOriginal(siteTable, options.original);
  const symbolizer = original === null ? null : await Symbolizer.fromModule(original, symbolizerOptions(options));
  return { module, siteTable, original, hash: siteTable.originalHash, report: null, fromCache: false, symbolizer };
}

/** The site table of a module given as compiled: a clear error if it was not instrumented. */
export function readSiteTableOrExplain(module: WebAssembly.Module): SiteTable {
  if (WebAssembly.Module.customSections(module, 'tracemalloc.sites').length === 0) {
    throw new TracingSetupError(
      'tracing was asked of a compiled WebAssembly.Module that was not instrumented (it has no tracemalloc.sites section), ' +
        'and a compiled module cannot be instrumented: pass its bytes instead, or instrument the file first with ' +
        '`wasm-tracemalloc instrument app.wasm -o app.traced.wasm`',
    );
  }
  return readSiteTable(module);
}

/**
 * The original of an instrumented module: must be given (or explicitly null), and must be the
 * module it was made from (its SHA-256 is in the site table).
 */
export function checkOriginal(siteTable: SiteTable, original: Uint8Array | null | undefined): Uint8Array | null {
  if (original === undefined) {
    throw new TracingSetupError(
      'this module is already instrumented (it has a tracemalloc.sites section) and its original was not given, so ' +
        'its traces could not be shown as source lines: pass the original module as `original: <bytes>`, or ' +
        '`original: null` to trace with frames named by function index and offset',
    );
  }
  if (original === null) return null;
  if (isInstrumented(original)) {
    throw new TracingSetupError('`original` is itself an instrumented module; pass the module as it was before instrumentation');
  }
  const hash = sha256Hex(original);
  if (hash !== siteTable.originalHash) {
    throw new TracingSetupError(
      `\`original\` is not the module this one was instrumented from: its SHA-256 is ${hash.slice(0, 16)}…, ` +
        `the instrumented module was made from ${siteTable.originalHash.slice(0, 16)}…`,
    );
  }
  return original;
}

/** Adds to the instrumenter's "no allocator found" what a library caller can do about it. */
export function explainAllocatorNotFound(e: unknown, options: InstantiateOptions): unknown {
  if (!(e instanceof AllocatorNotFoundError)) return e;
  const where = options.moduleName ? `${options.moduleName}: ` : '';
  const hint = options.instrument?.allocators?.length
    ? ''
    : ' From JavaScript, name them with `instrument: { allocators: [{ function: "_sa", shape: "malloc" }, { function: "_ta", shape: "free" }] }`' +
      ' (export name, symbol or function index); for an Emscripten build, pass its glue file and the names are read from it.';
  return new AllocatorNotFoundError(`${where}${e.message}${hint}`, { cause: e });
}

/**
 * Finishes a traced instance: takes the shadow-stack block (`__tracemalloc_init`, before any
 * other export runs), builds the tracemalloc API and starts tracing if asked. `siteFrames`
 * replaces the default (used when symbols arrive later, see globalHook.ts). The instance handed
 * back has exports that put the shadow stack back when a call throws (trapRecovery.ts), except
 * for a dynamically linked module, whose exports other instances link to as they are.
 */
export function attachTracer(
  instance: WebAssembly.Instance,
  traced: TracedModule,
  table: TraceTable,
  options: InstantiateOptions,
  nframe: number,
  siteFrames: SiteFrames = new SiteFrames(traced.siteTable, traced.symbolizer),
): TracedInstance {
  const init = instance.exports[INIT_EXPORT];
  if (typeof init !== 'function') {
    throw new TracingSetupError(`the instrumented module exports no ${INIT_EXPORT}: it was made by an incompatible wasm-tracemalloc`);
  }
  if ((init as () => number)() !== 1) {
    throw new Error("the program's allocator could not give the tracer its shadow-stack block (malloc returned NULL)");
  }
  const slotBytes = (instance.exports[SLOT_BYTES_EXPORT] as () => number)();
  const tracemalloc = new Tracemalloc(table, siteFrames, { name: options.moduleName ?? '', hash: traced.hash }, slotBytes);
  if (nframe > 0) tracemalloc.start(nframe);
  const symbolWarnings = (): string[] => traced.symbolizer?.warnings ?? [];
  return { instance: handedOutInstance(instance, traced.module), engineInstance: instance, module: traced.module, tracemalloc, report: traced.report, version, fromCache: traced.fromCache, symbolWarnings };
}

