/**
 * The global hook in the page: trace every module that passes through the page's WebAssembly
 * API, for an app whose glue we do not control (a fixed file path, a base64-embedded module).
 * The browser form of host/globalHook.ts.
 *
 * `installWasmHook()` replaces `WebAssembly.instantiate`, `compile`, `instantiateStreaming`,
 * `compileStreaming`, and the `Module` / `Instance` constructors. A module whose imports,
 * exports or names include an allocator (or the names the glue gives) is instrumented in the
 * page (Binaryen in a Web Worker) and instantiated beside a trace table; anything else, such
 * as Emscripten's tiny helper modules, passes through untouched.
 *
 * Installed synchronously, so a classic `<script>` placed before the app's scripts is in time;
 * the trace table and the worker load on first use.
 *
 * `new WebAssembly.Module(bytes)` is synchronous, and a page cannot wait for a worker: a module
 * worth tracing that comes that way runs untraced, with a warning on the console (Emscripten
 * uses it only with `-sWASM_ASYNC_COMPILATION=0`). `new WebAssembly.Instance` of a module the
 * hook compiled through an asynchronous path is traced (the trace table module is fetched when
 * the hook is installed, so it is ready by then).
 *
 * Errors never break the app: a module the tracer cannot handle (not wasm, no allocator found)
 * passes through to the engine as it was, and the reason goes to `onError` and the console.
 */
import { compiledMayHaveAllocator, namedAllocators } from '../host/allocatorFilter.js';
import { TracingSetupError } from '../host/errors.js';
import { attachTracer, resolveNframe, type TracedInstance } from '../host/tracedModule.js';
import { TraceTable } from '../host/traceTable.js';
import { engine } from '../host/wasmApi.js';
import { patchWebAssembly, type HookedModule, type HookRoute } from '../host/wasmHookCore.js';
import { loadTableModule } from './assets.js';
import { glueInstrumentOptions, type GlueSource } from './emscripten.js';
import { compileTraced, type BrowserInstantiateOptions } from './instantiate.js';
import { recordImportedMemory } from './linearMemory.js';

/** Options of the browser's installWasmHook. */
export interface BrowserWasmHookOptions extends Omit<BrowserInstantiateOptions, 'original' | 'modulePath'> {
  /** Which modules to trace; default: a memory and an allocator name (see allocatorFilter.ts). */
  filter?: (bytes: Uint8Array) => boolean;
  /** The app's Emscripten glue (its URL, or `{ source }`), read for minified allocator exports; fetched on first use. */
  glue?: GlueSource | undefined;
  /** Called with each traced instance as soon as it exists (before the glue runs anything). */
  onInstance?: (traced: TracedInstance) => void;
  /** Called when a module that looked traceable passes through untraced, with the reason. */
  onError?: (error: Error) => void;
}

/** An installed hook. */
export interface BrowserWasmHook {
  /** Every instance traced so far, in creation order. */
  readonly instances: readonly TracedInstance[];
  /** Why modules passed through untraced (bad bytes, no allocator found), in order. */
  readonly errors: readonly Error[];
  /** The traced instance of `instance`; a clear error if it was not traced. */
  tracedInstance(instance: WebAssembly.Instance): TracedInstance;
  /** Puts the page's functions back. Instances traced so far stay traced. */
  uninstall(): void;
}

let installed: BrowserWasmHook | null = null;
/** Modules the hook instrumented (a module may outlive the hook that compiled it). */
const tracedModules = new WeakMap<WebAssembly.Module, HookedModule>();

/** The hook in place, if any. */
export function currentWasmHook(): BrowserWasmHook | null {
  return installed;
}

/** Installs the hook (once per page: a second call throws). */
export function installWasmHook(options: BrowserWasmHookOptions = {}): BrowserWasmHook {
  if (installed !== null) throw new TracingSetupError('the wasm-tracemalloc global hook is already installed in this page');
  const nframe = resolveNframe(options.nframe);
  const { filter, glue, onInstance, onError, ...rest } = options;
  // The glue is read once, when the first module comes (installing stays synchronous).
  let settings: Promise<{ base: BrowserInstantiateOptions; allocatorNames: Set<string> }> | null = null;
  const prepare = () =>
    (settings ??= (glue === undefined ? Promise.resolve(options.instrument) : glueInstrumentOptions(glue, options.instrument)).then((instrument) => ({
      // An already instrumented module passing through is traced without source lines: no original here.
      base: { ...rest, instrument, original: null },
      allocatorNames: namedAllocators(instrument),
    })));

  // The table module, fetched now: `new WebAssembly.Instance` is synchronous and needs it compiled.
  let tableModule: WebAssembly.Module | null = options.traceTable?.source instanceof WebAssembly.Module ? options.traceTable.source : null;
  const tableLoading = tableModule !== null ? Promise.resolve(tableModule) : loadTableModule().then((m) => (tableModule = m));
  tableLoading.catch(() => {}); // reported by compileBytes, per module

  const errors: Error[] = [];
  const named = (base: BrowserInstantiateOptions, url?: string): BrowserInstantiateOptions => ({
    ...base,
    moduleName: options.moduleName ?? (url ? new URL(url).pathname.split('/').pop() : undefined),
  });
  const passThrough = (error: Error): void => {
    errors.push(error);
    console.warn(`wasm-tracemalloc: a module passed through untraced: ${error.message}`);
    onError?.(error);
  };
  const attach: HookRoute['attach'] = (instance, imports, { traced, options: moduleOptions }, table) => {
    recordImportedMemory(instance, imports);
    return attachTracer(instance, traced, table, moduleOptions, nframe);
  };

  const patched = patchWebAssembly({
    modules: tracedModules,
    async compileBytes(bytes, url) {
      // The page's own compile first: invalid bytes fail exactly as without the hook, and a module
      // that is not worth tracing is used as it is.
      const plain = await engine.compile(bytes as Uint8Array<ArrayBuffer>);
      try {
        const { base, allocatorNames } = await prepare();
        await tableLoading; // no table, no tracing: the module runs as it is
        const worthTracing = filter ? filter(bytes) : compiledMayHaveAllocator(plain, bytes, allocatorNames);
        if (!worthTracing) return plain;
        const moduleOptions = named(base, url);
        const traced = await compileTraced(bytes, moduleOptions);
        tracedModules.set(traced.module, { traced, options: moduleOptions });
        return traced.module;
      } catch (e) {
        // Whatever stops tracing (no allocator found, a glue or table that cannot be fetched, the
        // worker failing) must not stop the app: it runs untraced, and the reason is reported.
        passThrough(e instanceof Error ? e : new Error(String(e)));
        return plain;
      }
    },
    constructModule(bytes, construct) {
      const module = construct();
      if (filter ? filter(bytes) : compiledMayHaveAllocator(module, bytes)) {
        passThrough(new TracingSetupError(
          'new WebAssembly.Module() is synchronous and a page cannot wait for the instrumenter: this module runs untraced ' +
            '(build with asynchronous compilation, or trace it through Module.instantiateWasm)',
        ));
      }
      return module;
    },
    createTable: async () => TraceTable.fromModule(tableModule ?? (await tableLoading), options.traceTable ?? {}),
    createTableSync() {
      if (tableModule === null) {
        throw new TracingSetupError('new WebAssembly.Instance() of a traced module before the trace table module was loaded; instantiate it with WebAssembly.instantiate');
      }
      return TraceTable.fromModule(tableModule, options.traceTable ?? {});
    },
    attach,
    onInstance,
    notTraced:
      'this instance is not traced: its module names no allocator (pass `filter`, `glue` or `instrument.allocators` to the hook), ' +
      'it passed through with an error (see hook.errors), or it was compiled before the hook was installed',
    onUninstall: () => (installed = null),
  });
  const hook: BrowserWasmHook = { ...patched, errors };
  installed = hook;
  return hook;
}
