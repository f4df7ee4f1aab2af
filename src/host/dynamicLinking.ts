/**
 * Emscripten dynamic linking, traced as one program: a MAIN_MODULE (traced through its glue's
 * `Module.instantiateWasm`) and the SIDE_MODULEs its glue loads later with
 * `Module.loadWebAssemblyModule` (web-tree-sitter's grammars, `dlopen`).
 *
 * A side module has no allocator: it imports `env.malloc`, `free`, `calloc`, `realloc`, which the
 * glue resolves to the main module's exports. The instrumenter wraps those imports (re-import +
 * wrapper), so each side module keeps its own shadow stack and site ids. Here the side module is
 * linked into the main module's tracer instead of getting one of its own:
 *
 *   - its `tracemalloc` imports are the main module's trace table, through a small Wasm link
 *     (assembly/sideLink.wat, build/sidelink.wasm) that moves its site ids past the main
 *     module's (and past earlier side modules') and continues its tracebacks with the main
 *     module's active call sites: one table, one snapshot, no JS per allocation, and the side
 *     module's frames symbolized with its own names and DWARF (LinkedSiteFrames);
 *   - its re-imported allocator (`env.malloc` behind the wrapper) is the main module's
 *     `__tracemalloc_untraced_malloc` (Wasm to Wasm; a main module without it: its export called
 *     from JS with reporting paused), so a block the side module allocates is traced once, with
 *     the side module's call sites, not a second time by the main module's wrapper;
 *   - the glue's loader runs unchanged (memory and table placement, GOT.mem / GOT.func,
 *     relocations, constructors): it is handed the instrumented module, and for the moment it
 *     instantiates that one module, `WebAssembly.Instance` adds the imports above and runs
 *     `__tracemalloc_init` before the loader applies relocations.
 *
 *   const tracing = emscriptenDynamicTracing({ wasm: 'node_modules/web-tree-sitter/tree-sitter.wasm', nframe: 8 });
 *   const moduleOptions = { instantiateWasm: tracing.instantiateWasm };
 *   await Parser.init(moduleOptions);          // the glue's Module object is moduleOptions
 *   tracing.traceSideModules(moduleOptions);   // from now on Language.load(...) is traced
 *
 * A side module that imports no allocator (a grammar without an allocating scanner) is loaded
 * untraced: it has no allocation of its own to attribute.
 */
import { readFileSync } from 'node:fs';
import { AllocatorNotFoundError, KNOWN_ALLOCATORS } from '../instrument/allocators.js';
import { INIT_EXPORT, SLOT_BYTES_EXPORT, UNTRACED_EXPORT_PREFIX } from '../instrument/abi.js';
import type { SiteTable } from '../instrument/siteTable.js';
import { UNKNOWN } from '../instrument/siteTable.js';
import { Frame } from '../snapshot/index.js';
import { readNameSection, type Symbolizer } from '../symbols/index.js';
import { emscriptenInstantiateWasm, type EmscriptenTraceOptions, type EmscriptenTracing } from './emscripten.js';
import { TracingSetupError } from './errors.js';
import { mayHaveAllocator } from './allocatorFilter.js';
import {
  attachTracer, bufferBytes, compileTraced, resolveNframe, type InstantiateOptions, type TracedInstance, type TracedModule,
} from './instantiate.js';
import { SiteFrames } from './siteFrames.js';
import { instrumentCached } from './moduleCache.js';
import { compileTracedWith } from './tracedModule.js';
import { Reader, customName, nameBytes, readSections, uleb, vector, withVector, writeModule } from '../instrument/wasmSections.js';
import { TraceTable, type TracemallocImports } from './traceTable.js';
import { engine } from './wasmApi.js';

const UNKNOWN_FRAME = new Frame('<unknown>', 0);

/** A side module traced through the main module's table. */
export interface LinkedSideModule {
  /** Its name in frames: the loader's library name, else its first exported symbol. */
  readonly name: string;
  /** SHA-256 of the original side module. */
  readonly hash: string;
  /** Its site i is site `siteBase + i` of the main module's table. */
  readonly siteBase: number;
  readonly sites: number;
  readonly instance: WebAssembly.Instance;
  readonly fromCache: boolean;
}

/** Options of emscriptenDynamicTracing. */
export interface EmscriptenDynamicTraceOptions extends EmscriptenTraceOptions {
  /** Options for instrumenting the side modules (default: none; their allocators are imports). */
  sideModuleInstrument?: InstantiateOptions['instrument'];
}

/** The main module's `instantiateWasm`, and the switch that traces the side modules its glue loads. */
export interface EmscriptenDynamicTracing extends EmscriptenTracing {
  /**
   * Wraps `moduleObject.loadWebAssemblyModule` (the glue's Module object, after the factory ran)
   * so that every side module loaded from then on is traced into the main module's table.
   */
  traceSideModules(moduleObject: object): void;
  /** Side modules linked so far, in load order. */
  readonly sideModules: readonly LinkedSideModule[];
  /** Side modules loaded untraced, with the reason. */
  readonly untracedSideModules: ReadonlyArray<{ name: string; reason: string }>;
}

/** Frames of one side module's sites, named after the module where it has no source lines. */
class SideFrames {
  private readonly cache = new Map<number, readonly Frame[]>();

  constructor(
    readonly name: string,
    readonly siteTable: SiteTable,
    private readonly symbolizer: Symbolizer | null,
  ) {}

  /** Frames of the side module's site `localId`, innermost first. */
  framesOf(localId: number): readonly Frame[] {
    let frames = this.cache.get(localId);
    if (frames === undefined) {
      frames = this.symbolize(localId);
      this.cache.set(localId, frames);
    }
    return frames;
  }

  private symbolize(localId: number): readonly Frame[] {
    const site = this.siteTable.sites[localId - 1];
    if (site === undefined) return [UNKNOWN_FRAME];
    const offset = site.codeOffset === UNKNOWN ? 0 : site.codeOffset;
    if (this.symbolizer === null) return [new Frame(`${this.name}!wasm-function[${site.funcIndex}]`, offset)];
    const frames = this.symbolizer.framesForSite(site.funcIndex, site.codeOffset);
    if (frames.length === 0) return [UNKNOWN_FRAME];
    // A frame from the name section (or `wasm-function[N]`) says which module it is in: the main
    // module may have a function of the same name or index. Source files name themselves.
    return frames.map((f) => new Frame(f.origin === 'names' ? `${this.name}!${f.filename}` : f.filename, f.lineno));
  }
}

/**
 * The main module's site frames, extended by the side modules linked into its table: site ids
 * past the main module's own belong to the side module whose range holds them.
 */
export class LinkedSiteFrames extends SiteFrames {
  private readonly sides: Array<{ base: number; frames: SideFrames }> = [];
  private next: number;

  constructor(siteTable: SiteTable, symbolizer: Symbolizer | null) {
    super(siteTable, symbolizer);
    this.next = siteTable.sites.length;
  }

  /** Gives a side module a range of site ids; returns its base (its site i is base + i). */
  link(name: string, siteTable: SiteTable, symbolizer: Symbolizer | null): number {
    const base = this.next;
    this.sides.push({ base, frames: new SideFrames(name, siteTable, symbolizer) });
    this.next += siteTable.sites.length;
    return base;
  }

  override framesOf(siteId: number): readonly Frame[] {
    if (siteId <= this.siteTable.sites.length) return super.framesOf(siteId);
    for (let i = this.sides.length - 1; i >= 0; i--) {
      const side = this.sides[i]!;
      if (siteId > side.base) return side.frames.framesOf(siteId - side.base);
    }
    return [UNKNOWN_FRAME];
  }
}

/** What the main module's instantiation left for linking side modules into it. */
interface MainModule {
  traced: TracedInstance;
  table: TraceTable;
  frames: LinkedSiteFrames;
  /** The imports `main` of build/sidelink.wasm: the memory and the shadow-stack globals. */
  link: WebAssembly.ModuleImports;
}

/**
 * The main module's shadow-stack globals (src/instrument/shadowStackGlobals.ts: their names in
 * the name section), the names they are exported under, and build/sidelink.wasm's imports of them.
 */
const SHADOW_STACK_GLOBALS = [
  { global: 'tm_depth', exported: '__tracemalloc_depth', linkImport: 'depth' },
  { global: 'tm_base', exported: '__tracemalloc_base', linkImport: 'base' },
  { global: 'tm_mask', exported: '__tracemalloc_mask', linkImport: 'mask' },
] as const;

/**
 * The instrumented main module with its shadow-stack globals exported (found by the names the
 * instrumenter gives them in the name section), so that a side module's traceback can go on
 * into the main module's frames that called it.
 */
export function exportShadowStack(instrumented: Uint8Array): Uint8Array {
  const sections = readSections(instrumented);
  const nameSection = sections.find((s) => customName(s) === 'name');
  const globalNames = new Map<string, number>();
  if (nameSection !== undefined) {
    const r = new Reader(nameSection.payload);
    r.name();
    for (const [index, name] of readNameSection(nameSection.payload.subarray(r.at), []).globalNames) globalNames.set(name, index);
  }
  const entries = SHADOW_STACK_GLOBALS.map(({ global, exported }) => {
    const index = globalNames.get(global);
    if (index === undefined) {
      throw new TracingSetupError('the instrumented main module names no shadow-stack globals (tm_depth, tm_base, tm_mask): it was made by an incompatible wasm-tracemalloc');
    }
    return Uint8Array.from([...nameBytes(exported), 0x03, ...uleb(index)]);
  });
  const at = sections.findIndex((x) => x.id === 7);
  if (at === -1) throw new TracingSetupError('the instrumented main module has no export section');
  const { count, items } = vector(sections[at]!.payload);
  sections[at] = { id: 7, payload: withVector(count + entries.length, items, ...entries) };
  return writeModule(sections);
}

/** The main module's memory and exported shadow-stack globals, as build/sidelink.wasm imports them. */
function mainLinkImports(exports: WebAssembly.Exports, memory: WebAssembly.Memory): WebAssembly.ModuleImports {
  const link: WebAssembly.ModuleImports = { memory };
  for (const { exported, linkImport } of SHADOW_STACK_GLOBALS) link[linkImport] = exports[exported] as WebAssembly.Global;
  return link;
}

/** Where the compiled side-module link is: build/ at the package root (from src/host/ and dist/host/). */
const sideLinkUrl = new URL('../../build/sidelink.wasm', import.meta.url);
let sideLinkModule: WebAssembly.Module | undefined;

/** build/sidelink.wasm, compiled once per process. */
function sideLink(): WebAssembly.Module {
  if (sideLinkModule === undefined) {
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = new Uint8Array(readFileSync(sideLinkUrl));
    } catch (err) {
      throw new TracingSetupError(`cannot read the side-module link ${sideLinkUrl.pathname}: ${(err as Error).message} (build it with \`npm run build:table\`)`);
    }
    sideLinkModule = new engine.Module(bytes);
  }
  return sideLinkModule;
}

type LoadWebAssemblyModule = (binary: unknown, flags?: { loadAsync?: boolean }, libName?: string, ...rest: unknown[]) => unknown;

/**
 * `Module.instantiateWasm` for an Emscripten MAIN_MODULE, and `traceSideModules` to trace the
 * SIDE_MODULEs its glue loads afterwards into the same table (see the top of this file).
 */
export function emscriptenDynamicTracing(options: EmscriptenDynamicTraceOptions): EmscriptenDynamicTracing {
  let main: MainModule | null = null;
  const sideModules: LinkedSideModule[] = [];
  const untracedSideModules: Array<{ name: string; reason: string }> = [];

  const tracing = emscriptenInstantiateWasm(options, async (bytes, imports, instantiateOptions) => {
    const nframe = resolveNframe(instantiateOptions.nframe);
    const traced = await compileTracedWith(
      async (original, o) => {
        const instrumented = await instrumentCached(original, o.instrument, o.cache);
        return { ...instrumented, bytes: exportShadowStack(instrumented.bytes) };
      },
      bytes,
      instantiateOptions,
    );
    const table = await TraceTable.create(instantiateOptions.traceTable);
    const instance = await engine.instantiate(traced.module, { ...imports, tracemalloc: table.imports });
    const frames = new LinkedSiteFrames(traced.siteTable, traced.symbolizer);
    const result = attachTracer(instance, traced, table, instantiateOptions, nframe, frames);
    const memory = (imports.env as Record<string, unknown> | undefined)?.memory ?? instance.exports.memory;
    if (!(memory instanceof WebAssembly.Memory)) throw new TracingSetupError('the main module neither imports env.memory nor exports memory: its shadow stack cannot be read');
    main = { traced: result, table, frames, link: mainLinkImports(instance.exports, memory) };
    return result;
  });

  async function linkAsync(load: LoadWebAssemblyModule, binary: unknown, flags: { loadAsync?: boolean }, libName: string | undefined, rest: unknown[]): Promise<unknown> {
    const loaded = await binary;
    if (main === null) throw new TracingSetupError('a side module was loaded before the main module was traced: call traceSideModules after the module factory resolved');
    if (loaded instanceof engine.Module) {
      untracedSideModules.push({ name: libName ?? 'a compiled module', reason: 'given compiled: only bytes can be instrumented' });
      return load(loaded, flags, libName, ...rest);
    }
    const bytes = bufferBytes(loaded as BufferSource);
    const name = libName ?? sideModuleName(bytes);
    const allocatorImports = importedAllocators(bytes);
    if (allocatorImports.length === 0 || !mayHaveAllocator(bytes)) {
      untracedSideModules.push({ name, reason: 'it imports no allocator' });
      return load(loaded, flags, libName, ...rest);
    }
    const mainExports = main.traced.instance.exports;
    const missing = allocatorImports.filter((n) => typeof mainExports[n] !== 'function');
    if (missing.length > 0) {
      // The glue would resolve them elsewhere (another side module, JS): tracing would miss or double-count them.
      const reason = `it imports env.${missing.join(', env.')}, which the main module does not export`;
      process.emitWarning(`wasm-tracemalloc: side module ${name} runs untraced: ${reason}`);
      untracedSideModules.push({ name, reason });
      return load(loaded, flags, libName, ...rest);
    }
    let side: TracedModule;
    try {
      side = await compileTraced(bytes, { ...options, moduleName: name, modulePath: undefined, instrument: options.sideModuleInstrument });
    } catch (e) {
      if (!(e instanceof AllocatorNotFoundError)) throw e;
      // Named like an allocator user, but the instrumenter found nothing to wrap: run it as it is.
      process.emitWarning(`wasm-tracemalloc: side module ${name} runs untraced: ${e.message}`);
      untracedSideModules.push({ name, reason: e.message });
      return load(loaded, flags, libName, ...rest);
    }
    const base = main.frames.link(name, side.siteTable, side.symbolizer);
    // The main module's untraced entry points (Wasm to Wasm). An export that has none (it is not
    // one of the allocators the instrumenter wrapped) is called from JS with reporting paused.
    const untracedAllocators = Object.fromEntries(
      allocatorImports.map((n) => {
        const direct = mainExports[`${UNTRACED_EXPORT_PREFIX}${n}`];
        return [n, typeof direct === 'function' ? direct : pausedReporting(main!.table.imports, mainExports[n] as (...args: number[]) => number)];
      }),
    ) as Record<string, (...args: number[]) => number>;
    const tracemallocImports = linkedTableImports(main, base);
    const record = (instance: WebAssembly.Instance): void => {
      initShadowStack(instance, name);
      main!.traced.tracemalloc.addShadowStackBytes((instance.exports[SLOT_BYTES_EXPORT] as () => number)());
      sideModules.push({ name, hash: side.hash, siteBase: base, sites: side.siteTable.sites.length, instance, fromCache: side.fromCache });
    };
    return withLinkedInstance(side, untracedAllocators, tracemallocImports, record, () => load(side.module, flags, libName, ...rest));
  }

  function traceSideModules(moduleObject: object): void {
    const target = moduleObject as { loadWebAssemblyModule?: LoadWebAssemblyModule };
    const load = target.loadWebAssemblyModule;
    if (typeof load !== 'function') {
      throw new TracingSetupError(
        'this Module object has no loadWebAssemblyModule: the program is not an Emscripten MAIN_MODULE build, ' +
          'or its factory has not run yet (call traceSideModules after it resolved, on the object the glue was given)',
      );
    }
    target.loadWebAssemblyModule = (binary, flags = {}, libName, ...rest) => {
      if (!flags.loadAsync) {
        // A synchronous load (dlopen without loadAsync) cannot wait for the instrumenter.
        untracedSideModules.push({ name: libName ?? 'a synchronously loaded module', reason: 'loaded synchronously' });
        return load(binary, flags, libName, ...rest);
      }
      return linkAsync(load, binary, flags, libName, rest);
    };
  }

  return { ...tracing, traceSideModules, sideModules, untracedSideModules };
}

/** Names of the allocator functions a module imports from `env` (malloc, free, calloc, realloc, …). */
function importedAllocators(bytes: Uint8Array): string[] {
  const module = new engine.Module(bytes as Uint8Array<ArrayBuffer>);
  return WebAssembly.Module.imports(module)
    .filter((i) => i.kind === 'function' && i.module === 'env' && i.name in KNOWN_ALLOCATORS)
    .map((i) => i.name);
}

/** A name for a side module the loader gave none: its first exported symbol (`tree_sitter_python`). */
function sideModuleName(bytes: Uint8Array): string {
  const module = new engine.Module(bytes as Uint8Array<ArrayBuffer>);
  const symbol = WebAssembly.Module.exports(module).find((e) => !e.name.startsWith('__'));
  return symbol?.name ?? 'side-module';
}

/**
 * The main module's allocator export, called with its reporting paused: the side module's
 * wrapper reports the block itself, with its own call sites.
 */
function pausedReporting(table: TracemallocImports, allocator: (...args: number[]) => number): (...args: number[]) => number {
  const { reportFrames, freeFilter } = table;
  return (...args: number[]): number => {
    const frames = reportFrames.value as number;
    const filter = freeFilter.value as number;
    reportFrames.value = 0;
    freeFilter.value = 0;
    try {
      return allocator(...args);
    } finally {
      reportFrames.value = frames;
      freeFilter.value = filter;
    }
  };
}

/**
 * The main table's imports for a side module whose site i is the table's site `siteBase + i`:
 * the reporting functions through an instance of build/sidelink.wasm, the rest as they are.
 */
function linkedTableImports(main: MainModule, siteBase: number): TracemallocImports {
  const table = main.table.imports;
  const link = new engine.Instance(sideLink(), {
    main: main.link,
    link: { siteBase: new WebAssembly.Global({ value: 'i32', mutable: false }, siteBase) },
    table: { alloc: table.alloc, alloc1: table.alloc1, realloc: table.realloc, realloc1: table.realloc1 },
  }).exports as unknown as Pick<TracemallocImports, 'alloc' | 'alloc1' | 'realloc' | 'realloc1'>;
  return { ...table, alloc: link.alloc, alloc1: link.alloc1, realloc: link.realloc, realloc1: link.realloc1 };
}

/** Takes the side module's shadow-stack block (from the main module's allocator, untraced). */
function initShadowStack(instance: WebAssembly.Instance, name: string): void {
  const init = instance.exports[INIT_EXPORT];
  if (typeof init !== 'function') throw new TracingSetupError(`the instrumented side module ${name} exports no ${INIT_EXPORT}`);
  if ((init as () => number)() !== 1) throw new Error(`the main module's allocator could not give side module ${name} its shadow-stack block (malloc returned NULL)`);
}

/**
 * Runs `load` (the glue's loader, given the instrumented module) while `new WebAssembly.Instance`
 * of that one module gets the tracer's imports: `env`'s allocators replaced, `tracemalloc` added.
 * Any other module instantiated meanwhile passes through untouched.
 */
async function withLinkedInstance(
  side: TracedModule,
  allocators: Record<string, (...args: number[]) => number>,
  tracemalloc: TracemallocImports,
  record: (instance: WebAssembly.Instance) => void,
  load: () => unknown,
): Promise<unknown> {
  const linkedImports = (imports: WebAssembly.Imports): WebAssembly.Imports => {
    const glueEnv = imports.env as WebAssembly.ModuleImports;
    const env = new Proxy(glueEnv, {
      get: (t, p) => (typeof p === 'string' && Object.hasOwn(allocators, p) ? allocators[p] : Reflect.get(t, p)),
    });
    return { ...imports, env, tracemalloc };
  };
  let linked = false;
  const savedInstance = WebAssembly.Instance;
  const savedInstantiate = WebAssembly.instantiate;
  WebAssembly.Instance = new Proxy(savedInstance, {
    construct(target, args, newTarget) {
      const [module, imports] = args as [WebAssembly.Module, WebAssembly.Imports];
      if (module !== side.module) return Reflect.construct(target, args, newTarget) as object;
      const instance = Reflect.construct(target, [module, linkedImports(imports)], newTarget) as WebAssembly.Instance;
      record(instance);
      linked = true;
      return instance;
    },
  });
  // Glue versions that instantiate a compiled side module asynchronously.
  WebAssembly.instantiate = (async (source: BufferSource | WebAssembly.Module, imports?: WebAssembly.Imports) => {
    if (source !== side.module) return savedInstantiate(source as BufferSource, imports);
    const instance = await engine.instantiate(side.module, linkedImports(imports ?? {}));
    record(instance);
    linked = true;
    return instance;
  }) as typeof WebAssembly.instantiate;
  try {
    const result = await load();
    if (!linked) throw new TracingSetupError("the glue's loadWebAssemblyModule did not instantiate the side module it was given: this glue is not supported");
    return result;
  } finally {
    WebAssembly.Instance = savedInstance;
    WebAssembly.instantiate = savedInstantiate;
  }
}
