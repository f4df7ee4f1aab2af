/**
 * The scaffolding of a global hook, shared by Node's (globalHook.ts) and the page's
 * (src/browser/wasmHook.ts); engine-free, no Node built-ins.
 *
 * Here: replacing `WebAssembly.compile`, `instantiate`, `compileStreaming`,
 * `instantiateStreaming` and the `Module` / `Instance` constructors, and putting them back;
 * instantiating a module the hook instrumented beside a new trace table (`{ tracemalloc:
 * table.imports }` added to the program's imports); keeping the traced instances.
 *
 * Left to each route (`HookRoute`): which bytes are worth tracing and how they are instrumented
 * (Node: a disk cache and a worker thread; a page: a Web Worker), what `new WebAssembly.Module`
 * does with a module worth tracing (Node blocks on the instrumenter, a page cannot), where the
 * trace table comes from, and how the tracer is attached.
 */
import { TracingSetupError } from './errors.js';
import { bufferBytes, type InstantiateOptions, type TracedInstance, type TracedModule } from './tracedModule.js';
import type { TraceTable } from './traceTable.js';
import { engine } from './wasmApi.js';

/** The WebAssembly functions a hook replaces. */
type Patched = Pick<typeof WebAssembly, 'compile' | 'instantiate' | 'Module' | 'Instance' | 'compileStreaming' | 'instantiateStreaming'>;

/** A module a hook instrumented, and the options it was compiled with. */
export interface HookedModule {
  traced: TracedModule;
  options: InstantiateOptions;
}

/** What differs between the hook of Node and the hook of a page. */
export interface HookRoute {
  /**
   * The modules this route instrumented (kept by the route's module, not by one hook: a module
   * may outlive the hook that compiled it).
   */
  modules: WeakMap<WebAssembly.Module, HookedModule>;
  /** Compiles bytes given to compile/instantiate (or fetched by the streaming forms): traced and put in `modules`, or as they are. */
  compileBytes(bytes: Uint8Array, url?: string): Promise<WebAssembly.Module>;
  /** `new WebAssembly.Module(bytes)`; `construct()` builds the untraced module the engine would. */
  constructModule(bytes: Uint8Array, construct: () => WebAssembly.Module): WebAssembly.Module;
  /** A new trace table for an instance made by `WebAssembly.instantiate`. */
  createTable(): Promise<TraceTable>;
  /** The same for `new WebAssembly.Instance`, which cannot wait. */
  createTableSync(): TraceTable;
  /** The traced instance of a hooked module once the engine instantiated it (attachTracer, and what the route adds). */
  attach(instance: WebAssembly.Instance, imports: WebAssembly.Imports | undefined, hooked: HookedModule, table: TraceTable): TracedInstance;
  /** `attach` for `new WebAssembly.Instance`, when it differs. */
  attachSync?: HookRoute['attach'];
  /**
   * True when a call to compile or instantiate (with bytes) must reach the engine untouched
   * (Node's own wasm, see globalHook.ts). Called from inside the patched functions.
   */
  bypass?: () => boolean;
  /** Called with each traced instance as soon as it exists (before the glue runs anything). */
  onInstance?: ((traced: TracedInstance) => void) | undefined;
  /** What `tracedInstance` says of an instance that was not traced. */
  notTraced: string;
  /** Called by the first `uninstall()` (the route forgets its installed hook). */
  onUninstall: () => void;
}

/** WebAssembly, patched by `patchWebAssembly`: the part of a hook both routes share. */
export interface PatchedWebAssembly {
  /** Every instance traced so far, in creation order. */
  readonly instances: readonly TracedInstance[];
  /** The traced instance of `instance`; a clear error (route.notTraced) if it was not traced. */
  tracedInstance(instance: WebAssembly.Instance): TracedInstance;
  /** Puts back the functions that were there before (once; later calls do nothing). Instances traced so far stay traced. */
  uninstall(): void;
}

/** Replaces WebAssembly's compile and instantiate paths with ones that go through `route`. */
export function patchWebAssembly(route: HookRoute): PatchedWebAssembly {
  const { modules, compileBytes } = route;
  const tracedInstances = new WeakMap<WebAssembly.Instance, TracedInstance>();
  const instances: TracedInstance[] = [];
  const saved: Patched = {
    compile: WebAssembly.compile,
    instantiate: WebAssembly.instantiate,
    Module: WebAssembly.Module,
    Instance: WebAssembly.Instance,
    compileStreaming: WebAssembly.compileStreaming,
    instantiateStreaming: WebAssembly.instantiateStreaming,
  };
  const register = (traced: TracedInstance): TracedInstance => {
    tracedInstances.set(traced.instance, traced);
    instances.push(traced);
    route.onInstance?.(traced);
    return traced;
  };

  async function instantiateModule(module: WebAssembly.Module, imports: WebAssembly.Imports | undefined): Promise<WebAssembly.Instance> {
    const hooked = modules.get(module);
    if (hooked === undefined) return engine.instantiate(module, imports);
    const table = await route.createTable();
    const instance = await engine.instantiate(module, { ...imports, tracemalloc: table.imports });
    return register(route.attach(instance, imports, hooked, table)).instance;
  }

  async function instantiateBytes(bytes: Uint8Array, imports: WebAssembly.Imports | undefined, url?: string): Promise<WebAssembly.WebAssemblyInstantiatedSource> {
    const module = await compileBytes(bytes, url);
    return { module, instance: await instantiateModule(module, imports) };
  }

  async function responseBytes(source: Response | PromiseLike<Response>): Promise<{ bytes: Uint8Array; url: string }> {
    const response = await source;
    return { bytes: new Uint8Array(await response.arrayBuffer()), url: response.url };
  }

  function compile(source: BufferSource): Promise<WebAssembly.Module> {
    if (route.bypass?.()) return engine.compile(source);
    return compileBytes(bufferBytes(source));
  }
  function instantiate(source: BufferSource | WebAssembly.Module, imports?: WebAssembly.Imports): Promise<unknown> {
    if (source instanceof engine.Module) return instantiateModule(source, imports);
    if (route.bypass?.()) return engine.instantiate(source, imports);
    return instantiateBytes(bufferBytes(source), imports);
  }
  const patched: Patched = {
    compile: compile as typeof WebAssembly.compile,
    instantiate: instantiate as typeof WebAssembly.instantiate,
    compileStreaming: (async (source: Response | PromiseLike<Response>) => {
      const { bytes, url } = await responseBytes(source);
      return compileBytes(bytes, url);
    }) as typeof WebAssembly.compileStreaming,
    instantiateStreaming: (async (source: Response | PromiseLike<Response>, imports?: WebAssembly.Imports) => {
      const { bytes, url } = await responseBytes(source);
      return instantiateBytes(bytes, imports, url);
    }) as typeof WebAssembly.instantiateStreaming,
    Module: new Proxy(engine.Module, {
      construct(target, args, newTarget) {
        return route.constructModule(bufferBytes(args[0] as BufferSource), () => Reflect.construct(target, args, newTarget) as WebAssembly.Module);
      },
    }),
    Instance: new Proxy(engine.Instance, {
      construct(target, args, newTarget) {
        const [module, imports] = args as [WebAssembly.Module, WebAssembly.Imports | undefined];
        const hooked = modules.get(module);
        if (hooked === undefined) return Reflect.construct(target, args, newTarget) as object;
        const table = route.createTableSync();
        const instance = new engine.Instance(module, { ...imports, tracemalloc: table.imports });
        return register((route.attachSync ?? route.attach)(instance, imports, hooked, table)).instance;
      },
    }),
  };
  Object.assign(WebAssembly, patched);

  let uninstalled = false;
  return {
    instances,
    tracedInstance(instance) {
      const traced = tracedInstances.get(instance);
      if (traced === undefined) throw new TracingSetupError(route.notTraced);
      return traced;
    },
    uninstall() {
      if (uninstalled) return;
      uninstalled = true;
      Object.assign(WebAssembly, saved);
      route.onUninstall();
    },
  };
}

