/**
 * The global hook: trace every module that passes through the engine's WebAssembly API, for
 * glue that accepts no `instantiateWasm` (a fixed file path, a base64-embedded module).
 *
 * `installWasmHook()` replaces `WebAssembly.instantiate`, `compile`, `instantiateStreaming`,
 * `compileStreaming` and the `Module` / `Instance` constructors. A module whose imports, exports
 * or name section name an allocator (or the functions named in the options or the glue) is
 * instrumented on its way in (cached on disk) and instantiated beside a trace table; anything
 * else, such as the tiny helper modules Emscripten builds to wrap JS functions, passes through
 * untouched. Opt-in only: nothing is patched until the hook is installed.
 *
 * `new WebAssembly.Module(bytes)` is synchronous and cannot await the instrumenter's worker:
 * on a cache miss it blocks the calling thread on the worker (instrumentSync.ts) — seconds,
 * once per module and machine — unless `syncInstrument: 'refuse'`, which throws a clear error
 * instead. Its symbols are read in the background: a snapshot taken before they are ready names
 * frames by function and offset.
 */
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AllocatorNotFoundError } from '../instrument/allocators.js';
import { Symbolizer } from '../symbols/index.js';
import { glueInstrumentOptions } from './emscripten.js';
import { TracingSetupError } from './errors.js';
import { mayHaveAllocator, namedAllocators } from './allocatorFilter.js';
import {
  attachTracer, compileTraced, resolveNframe, type InstantiateOptions, type TracedInstance, type TracedModule,
} from './instantiate.js';
import { instrumentSync } from './instrumentSync.js';
import { lookupInstrumented, storeInstrumented } from './moduleCache.js';
import { SiteFrames, readSiteTable } from './siteFrames.js';
import type { SiteTable } from '../instrument/siteTable.js';
import { loadTableModule } from './tableWasmNode.js';
import { TraceTable } from './traceTable.js';
import { engine } from './wasmApi.js';
import { patchWebAssembly, type HookedModule } from './wasmHookCore.js';

/** Options of installWasmHook. */
export interface WasmHookOptions extends Omit<InstantiateOptions, 'original' | 'modulePath'> {
  /**
   * Which modules to trace. Default: those with a memory whose imports, exports or function
   * names include an allocator entry point (malloc, operator new, __rust_alloc, …) or one of the
   * functions named in `instrument.allocators` / the glue.
   */
  filter?: (bytes: Uint8Array) => boolean;
  /** Emscripten glue file of the program, read for minified allocator exports. */
  glue?: string | URL | undefined;
  /** Called with each traced instance as soon as it exists (before the glue runs anything). */
  onInstance?: (traced: TracedInstance) => void;
  /** `new WebAssembly.Module` on a cache miss: block on the instrumenter (default) or throw. */
  syncInstrument?: 'block' | 'refuse';
}

/** An installed hook. */
export interface WasmHook {
  /** Every instance traced so far, in creation order. */
  readonly instances: readonly TracedInstance[];
  /** The traced instance of `instance`; a clear error if it was not traced. */
  tracedInstance(instance: WebAssembly.Instance): TracedInstance;
  /** Puts the engine's functions back. Instances traced so far stay traced. */
  uninstall(): void;
}

let installed: WasmHook | null = null;
/** Modules instrumented by any hook of this process (a module may outlive the hook that compiled it). */
const tracedModules = new WeakMap<WebAssembly.Module, HookedModule>();

/**
 * Whether the caller of a patched function is Node itself: undici compiles its HTTP parser
 * (llhttp, which exports malloc and free) through WebAssembly.instantiate on the first fetch or
 * Response. That is not the program's memory; it passes through.
 */
function calledByNodeInternals(): boolean {
  const frames = (new Error().stack ?? '').split('\n').slice(1);
  const caller = frames.find((f) => !HOOK_FILES.some((file) => f.includes(file)) && !/\(?<anonymous>\)?$/.test(f.trim())) ?? '';
  return /\(?node:internal\//.test(caller);
}

const THIS_FILE = fileURLToPath(import.meta.url);
/** The files of the patched functions' own frames: this one and the shared core beside it (.ts under tsx, .js built). */
const HOOK_FILES = [THIS_FILE, join(dirname(THIS_FILE), `wasmHookCore${extname(THIS_FILE)}`)];

export { mayHaveAllocator } from './allocatorFilter.js';

/** The hook in place, if any. */
export function currentWasmHook(): WasmHook | null {
  return installed;
}

/**
 * Installs the global hook (once per process: a second call throws). Prepares what later
 * synchronous paths need (the trace table module) before patching anything.
 */
export async function installWasmHook(options: WasmHookOptions = {}): Promise<WasmHook> {
  if (installed !== null) throw new TracingSetupError('the wasm-tracemalloc global hook is already installed in this process');
  const nframe = resolveNframe(options.nframe);
  const instrument = options.glue === undefined ? options.instrument : glueInstrumentOptions(options.glue, options.instrument);
  // An already instrumented module passing through is traced without source lines: no original here.
  const base: InstantiateOptions = { ...options, instrument, original: null };
  const tableModule = options.traceTable?.source instanceof WebAssembly.Module ? options.traceTable.source : await loadTableModule();
  const allocatorNames = namedAllocators(instrument);
  const shouldTrace = options.filter ?? ((bytes: Uint8Array) => mayHaveAllocator(bytes, allocatorNames));
  const tableOptions = { ...options.traceTable, source: tableModule };
  const named = (url?: string): InstantiateOptions => ({
    ...base,
    moduleName: options.moduleName ?? (url ? url.slice(url.lastIndexOf('/') + 1) : undefined),
  });

  const hook: WasmHook = patchWebAssembly({
    modules: tracedModules,
    async compileBytes(bytes, url) {
      if (!shouldTrace(bytes)) return engine.compile(bytes as Uint8Array<ArrayBuffer>);
      const moduleOptions = named(url);
      let traced: TracedModule;
      try {
        traced = await compileTraced(bytes, moduleOptions);
      } catch (e) {
        if (!(e instanceof AllocatorNotFoundError)) throw e;
        passThroughWarning(e);
        return engine.compile(bytes as Uint8Array<ArrayBuffer>);
      }
      tracedModules.set(traced.module, { traced, options: moduleOptions });
      return traced.module;
    },
    constructModule(bytes, construct) {
      if (!shouldTrace(bytes) || calledByNodeInternals()) return construct();
      const moduleOptions = named();
      let traced: TracedModule;
      try {
        traced = compileTracedSync(bytes, moduleOptions, options.syncInstrument ?? 'block');
      } catch (e) {
        if (!(e instanceof AllocatorNotFoundError)) throw e;
        passThroughWarning(e);
        return construct();
      }
      tracedModules.set(traced.module, { traced, options: moduleOptions });
      return traced.module;
    },
    createTable: () => TraceTable.create(tableOptions),
    createTableSync: () => TraceTable.fromModule(tableModule, tableOptions),
    // Used for new WebAssembly.Instance and for WebAssembly.instantiate(module) alike: a module
    // compiled synchronously (new WebAssembly.Module) has no symbols yet whichever way it is
    // instantiated; its frames get names when they arrive.
    attach(instance, _imports, { traced, options: moduleOptions }, table) {
      const frames = traced.symbolizer === null && traced.original !== null
        ? new DeferredSiteFrames(traced.siteTable, Symbolizer.fromModule(traced.original, { root: options.root }))
        : undefined;
      return attachTracer(instance, traced, table, moduleOptions, nframe, frames);
    },
    bypass: calledByNodeInternals,
    onInstance: options.onInstance,
    notTraced:
      'this instance is not traced: its module names no allocator (pass `filter` or `instrument.allocators` to the hook), ' +
      'or it was compiled before the hook was installed (install it first, e.g. with `node --import wasm-tracemalloc/preload`)',
    onUninstall: () => (installed = null),
  });
  installed = hook;
  return hook;
}

/**
 * A module whose names looked like an allocator's, but the instrumenter found none that fits:
 * it runs untraced, and the user is told rather than the program failing.
 */
function passThroughWarning(e: AllocatorNotFoundError): void {
  process.emitWarning(`wasm-tracemalloc: a module passed through untraced: ${e.message}`);
}

/** compileTraced for `new WebAssembly.Module`: the cache, else the instrumenter with this thread blocked. */
function compileTracedSync(bytes: Uint8Array, options: InstantiateOptions, mode: 'block' | 'refuse'): TracedModule {
  let hit = lookupInstrumented(bytes, options.instrument, options.cache);
  if (hit === null) {
    if (mode === 'refuse') {
      throw new TracingSetupError(
        'new WebAssembly.Module() was given a module to trace that is not in the cache yet, and the hook was told not to ' +
          'block (syncInstrument: "refuse"): instrument it once beforehand (e.g. run it once with syncInstrument "block", or ' +
          'through WebAssembly.instantiate), or let the glue compile asynchronously',
      );
    }
    const result = instrumentSync(bytes, options.instrument);
    storeInstrumented(result.originalHash, options.instrument ?? {}, result.bytes, result.report, options.cache);
    hit = { bytes: result.bytes, report: result.report, originalHash: result.originalHash, fromCache: false, cacheFile: null };
  }
  const module = new engine.Module(hit.bytes as Uint8Array<ArrayBuffer>);
  return { module, siteTable: readSiteTable(module), original: bytes, hash: hit.originalHash, report: hit.report, fromCache: hit.fromCache, symbolizer: null };
}

/**
 * Site frames whose symbolizer arrives later (it loads asynchronously): until then frames are
 * named by function index and offset, and not cached, so that later snapshots get source lines.
 */
class DeferredSiteFrames extends SiteFrames {
  private symbolized: SiteFrames | null = null;
  private readonly unsymbolized: SiteFrames;

  constructor(siteTable: SiteTable, symbolizer: Promise<Symbolizer>) {
    super(siteTable, null);
    this.unsymbolized = new SiteFrames(siteTable, null);
    symbolizer.then((s) => (this.symbolized = new SiteFrames(siteTable, s)), () => {});
  }

  override framesOf(siteId: number) {
    return (this.symbolized ?? this.unsymbolized).framesOf(siteId);
  }
}
