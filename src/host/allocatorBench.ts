/**
 * `benchWasi`: runs a WASI program once with the allocator probe (allocatorProbe.ts) and turns
 * what it saw into an AllocatorReport — counts, bytes, size classes, peak live bytes against the
 * linear memory, who grew the memory, block lifetimes, time inside the allocator. The library
 * call behind `wasm-tracemalloc bench`; src/report/allocatorReport.ts prints it.
 * `instantiateProbed` is the same for any other route (an Emscripten glue's instantiateWasm, a
 * wasm-bindgen glue): the caller runs the program, then asks for the report.
 */
import { SLOT_BYTES_EXPORT } from '../instrument/abi.js';
import { isInstrumented } from '../instrument/siteTable.js';
import { AllocatorProbe, LIFETIME_BOUNDS, SIZE_CLASS_BOUNDS, emptyBracketMs, type ProbeRecord } from './allocatorProbe.js';
import { TracingSetupError } from './errors.js';
import { attachTracer, compileTraced, type InstantiateOptions } from './instantiate.js';
import { SiteFrames } from './siteFrames.js';
import { TraceTable, type TableCounters } from './traceTable.js';
import { engine } from './wasmApi.js';
// wasiRunner.ts also turns off V8's fast API calls, before any WASI object exists (its header says why).
import { newWasi, startWasi, type WasiProcessOptions } from './wasiRunner.js';

/** Options of benchWasi. */
export interface BenchOptions extends ProbeOptions, WasiProcessOptions {
  /** Imports besides WASI's (by module name). */
  imports?: WebAssembly.Imports;
}

/** A row of a histogram: the class's inclusive upper bound (null: no bound), and its figures. */
export interface HistogramRow {
  upTo: number | null;
  count: number;
  bytes?: number;
}

/** Memory growth charged to a place. */
export interface GrowthRow {
  /** The allocation's stack, most recent frame first ("file:line" each), or what grew it. */
  where: string[];
  /** Times the memory grew there, and by how many bytes in all. */
  count: number;
  bytes: number;
}

/** Temporary allocations of one call site. */
export interface TemporaryRow {
  where: string;
  count: number;
  bytes: number;
}

/** What `wasm-tracemalloc bench` reports for one run. Sizes are requested sizes, in bytes. */
export interface AllocatorReport {
  module: string;
  exitCode: number;
  /** Wall-clock milliseconds of the program's run (with the probe: slower than untraced). */
  wallMs: number;
  /** Blocks allocated: malloc, calloc, aligned allocations, and realloc results (tracemalloc's view). */
  allocations: number;
  /** Blocks freed: frees, and the old block of each realloc. free(NULL) is not counted. */
  frees: number;
  /** realloc calls that returned a block. */
  reallocs: number;
  /** Frees of pointers never seen allocated. */
  unknownFrees: number;
  bytesRequested: number;
  sizeClasses: HistogramRow[];
  liveBlocksAtExit: number;
  liveBytesAtExit: number;
  peakLiveBlocks: number;
  peakLiveBytes: number;
  /** Linear memory before the program started (static data, stack, the heap's first pages) and at its largest. */
  initialMemoryBytes: number;
  peakMemoryBytes: number;
  /** The tracer's own bytes in the program's memory (the shadow-stack block). */
  tracerBytes: number;
  /** peakMemoryBytes − peakLiveBytes − tracerBytes: the allocator's overhead and fragmentation, plus static data and stack. */
  overheadBytes: number;
  /** Growth charged to allocation stacks, largest first; then growth outside or unattributed. */
  growth: GrowthRow[];
  growthOutsideAllocator: { count: number; bytes: number };
  growthUnattributed: { count: number; bytes: number };
  /** Freed blocks per lifetime class: other allocations made between the block's allocation and its free (LIFETIME_BOUNDS). */
  lifetimes: HistogramRow[];
  /** Blocks freed with no other allocation in between (memray's threshold 0; see docs/bench.md on heaptrack's). */
  temporary: number;
  /** Blocks freed with at most one other allocation in between (memray's --temporary-allocations). */
  temporaryWithin1: number;
  temporarySites: TemporaryRow[];
  /** Outermost allocator calls (free included). */
  allocatorCalls: number;
  /** Time inside the allocator: measured, minus the cost of an empty measurement per call. */
  allocatorMs: number;
  allocatorMsMeasured: number;
  /** What one empty enter/leave bracket measures, in nanoseconds (subtracted per call). */
  bracketNs: number;
  /** The trace table's own counts, for a cross-check: they must equal allocations and frees. */
  tableAllocations: number;
  tableFrees: number;
}

/** The target's linear memory: exported (WASI commands export "memory"), else imported (Emscripten's env.memory). */
function memoryOf(instance: WebAssembly.Instance, imports: WebAssembly.Imports): WebAssembly.Memory {
  const named = instance.exports['memory'];
  if (named instanceof WebAssembly.Memory) return named;
  for (const value of Object.values(instance.exports)) if (value instanceof WebAssembly.Memory) return value;
  for (const module of Object.values(imports)) {
    for (const value of Object.values(module)) if (value instanceof WebAssembly.Memory) return value;
  }
  throw new TracingSetupError('the module neither exports nor imports a linear memory, so the bench cannot watch it grow');
}

/**
 * Emscripten's standalone (`-sSTANDALONE_WASM`) builds are WASI commands that also import
 * `env.emscripten_notify_memory_growth`, a notice that the memory grew: given a no-op (the
 * probe sees growth by itself). Merged under options.imports, which may replace it.
 */
function emscriptenStandaloneImports(module: WebAssembly.Module): WebAssembly.Imports {
  const wanted = WebAssembly.Module.imports(module).some((i) => i.module === 'env' && i.name === 'emscripten_notify_memory_growth');
  return wanted ? { env: { emscripten_notify_memory_growth: () => {} } } : {};
}

/** Options of instantiateProbed. */
export interface ProbeOptions {
  /** Frames kept per "who grew the memory" stack (1–16, default 4). */
  nframe?: number;
  moduleName?: string;
  root?: string;
  modulePath?: string;
  /** Instrumenter options (e.g. naming the allocator, an Emscripten glue); allocatorHooks is always set. */
  instrument?: InstantiateOptions['instrument'];
  cache?: InstantiateOptions['cache'];
}

/** An instance under the allocator probe, tracing exactly from before its first export runs. */
export interface ProbedInstance {
  instance: WebAssembly.Instance;
  /** The instrumented module (what an Emscripten `instantiateWasm` hands back with the instance). */
  module: WebAssembly.Module;
  /**
   * Ends the observation (growth since the last allocator call is noted) and computes the
   * report. Call once the program's work is done; `run` adds its exit code and duration.
   */
  report(run?: { exitCode?: number; wallMs?: number }): AllocatorReport;
}

/**
 * Instruments `original` with allocator hooks and instantiates it with `imports` and the
 * probe: the route for programs that are not WASI commands (an Emscripten glue calls it from
 * `Module.instantiateWasm`; a wasm-bindgen glue gets `instance.exports`). benchWasi is this plus
 * node:wasi.
 */
export async function instantiateProbed(original: Uint8Array, imports: WebAssembly.Imports = {}, options: ProbeOptions = {}): Promise<ProbedInstance> {
  const nframe = options.nframe ?? 4;
  if (!Number.isInteger(nframe) || nframe < 1 || nframe > 16) throw new RangeError(`nframe must be an integer from 1 to 16, got ${nframe}`);
  const name = options.moduleName ?? 'app.wasm';
  if (isInstrumented(original)) {
    throw new TracingSetupError(`${name} is already instrumented; bench instruments a module itself (with allocator hooks): give it the original`);
  }
  const instantiateOptions: InstantiateOptions = {
    moduleName: name,
    root: options.root,
    modulePath: options.modulePath,
    instrument: { ...options.instrument, allocatorHooks: true },
    cache: options.cache,
  };
  const traced = await compileTraced(original, instantiateOptions);
  const hooked = WebAssembly.Module.imports(traced.module).some((i) => i.module === 'tracemalloc' && i.name === 'enterAllocator');
  // A cache entry written by an instrumenter that did not know the option would lack them.
  if (!hooked) throw new Error(`internal error: ${name} was instrumented without the allocator hooks asked for`);
  const table = await TraceTable.create();
  const probe = new AllocatorProbe(table);
  const allImports: WebAssembly.Imports = { ...emscriptenStandaloneImports(traced.module), ...imports, tracemalloc: probe.imports };
  const instance = await engine.instantiate(traced.module, allImports);
  const siteFrames = new SiteFrames(traced.siteTable, traced.symbolizer);
  const { tracemalloc } = attachTracer(instance, traced, table, instantiateOptions, nframe, siteFrames);
  probe.attach(memoryOf(instance, allImports), nframe);
  const bracketMs = emptyBracketMs();
  const tracerBytes = (instance.exports[SLOT_BYTES_EXPORT] as () => number)();
  let reported: AllocatorReport | null = null;
  const report = (run: { exitCode?: number; wallMs?: number } = {}): AllocatorReport => {
    if (reported !== null) return { ...reported, ...run };
    probe.finish();
    reported = buildReport(name, probe.record, tracemalloc.counters(), siteFrames, nframe, tracerBytes, bracketMs);
    return { ...reported, ...run };
  };
  return { instance, module: traced.module, report };
}

/** Instruments `original` with allocator hooks, runs it as a WASI command, and reports on its allocator. */
export async function benchWasi(original: Uint8Array, options: BenchOptions = {}): Promise<AllocatorReport> {
  const name = options.moduleName ?? 'app.wasm';
  const wasi = newWasi(options, name);
  const probed = await instantiateProbed(original, { ...options.imports, ...(wasi.getImportObject() as WebAssembly.Imports) }, options);
  const t0 = performance.now();
  const { exitCode } = startWasi(wasi, probed.instance);
  return probed.report({ exitCode, wallMs: performance.now() - t0 });
}

/** The report from what the probe recorded. */
function buildReport(
  name: string,
  r: ProbeRecord,
  counters: TableCounters,
  siteFrames: SiteFrames,
  nframe: number,
  tracerBytes: number,
  bracketMs: number,
): AllocatorReport {
  const stack = (sites: readonly number[]): string[] =>
    siteFrames.traceback(sites, sites.length, nframe).frames.map((f) => f.toString());
  const growth = [...r.growthBySites.values()]
    .map((g) => ({ where: stack(g.sites), count: g.count, bytes: g.bytes }))
    .sort((a, b) => b.bytes - a.bytes || b.count - a.count);
  const temporarySites = [...r.temporaryBySite.values()]
    .map((t) => ({ where: siteFrames.framesOf(t.site)[0]!.toString(), count: t.count, bytes: t.bytes }))
    .sort((a, b) => b.count - a.count || b.bytes - a.bytes);
  return {
    module: name,
    exitCode: 0,
    wallMs: 0,
    allocations: r.allocations,
    frees: r.frees,
    reallocs: r.reallocs,
    unknownFrees: r.unknownFrees,
    bytesRequested: r.bytesRequested,
    sizeClasses: histogram(SIZE_CLASS_BOUNDS, r.sizeClassCounts, r.sizeClassBytes),
    liveBlocksAtExit: r.liveBlocks,
    liveBytesAtExit: r.liveBytes,
    peakLiveBlocks: r.peakLiveBlocks,
    peakLiveBytes: r.peakLiveBytes,
    initialMemoryBytes: r.initialMemoryBytes,
    peakMemoryBytes: r.peakMemoryBytes,
    tracerBytes,
    overheadBytes: r.peakMemoryBytes - r.peakLiveBytes - tracerBytes,
    growth,
    growthOutsideAllocator: { ...r.growthOutsideAllocator },
    growthUnattributed: { ...r.growthUnattributed },
    lifetimes: histogram(LIFETIME_BOUNDS, r.lifetimes),
    temporary: r.lifetimes[0]!,
    temporaryWithin1: r.lifetimes[0]! + r.lifetimes[1]!,
    temporarySites,
    allocatorCalls: r.allocatorCalls,
    allocatorMs: Math.max(0, r.allocatorMsRaw - bracketMs * r.allocatorCalls),
    allocatorMsMeasured: r.allocatorMsRaw,
    bracketNs: bracketMs * 1e6,
    tableAllocations: counters.allocations,
    tableFrees: counters.frees,
  };
}

/** Histogram rows from per-class counts (and bytes) over inclusive upper bounds, plus one unbounded class. */
function histogram(bounds: readonly number[], counts: readonly number[], bytes?: readonly number[]): HistogramRow[] {
  return counts.map((count, i) => ({ upTo: bounds[i] ?? null, count, ...(bytes ? { bytes: bytes[i]! } : {}) }));
}
