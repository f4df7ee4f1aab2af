/**
 * `benchWasi`: runs a WASI program once with the allocator probe (allocatorProbe.ts) and turns
 * what it saw into an AllocatorReport — counts, bytes, size classes, peak live bytes against
 * the linear memory, who grew the memory, block lifetimes, time inside the allocator. The
 * library call behind `wasm-tracemalloc bench`; src/report/allocatorReport.ts prints it.
 */
import v8 from 'node:v8';
import { WASI } from 'node:wasi';
import { SLOT_BYTES_EXPORT } from '../instrument/abi.js';
import { isInstrumented } from '../instrument/siteTable.js';
import { AllocatorProbe, LIFETIME_BOUNDS, SIZE_CLASS_BOUNDS, emptyBracketMs } from './allocatorProbe.js';
import { TracingSetupError } from './errors.js';
import { attachTracer, compileTraced, type InstantiateOptions } from './instantiate.js';
import { SiteFrames } from './siteFrames.js';
import { TraceTable } from './traceTable.js';
import { engine } from './wasmApi.js';

// Node's WASI crash on GC inside a fast API call (see wasiRunner.ts).
v8.setFlagsFromString('--no-turbo-fast-api-calls');

/** Options of benchWasi. */
export interface BenchOptions {
  /** argv[0] and the program's arguments. */
  args?: string[];
  env?: Record<string, string>;
  /** Guest path → host path. */
  preopens?: Record<string, string>;
  /** Frames kept per "who grew the memory" stack (1–16, default 4). */
  nframe?: number;
  /** File descriptors for the guest's stdio (default: this process's). */
  stdin?: number;
  stdout?: number;
  stderr?: number;
  moduleName?: string;
  root?: string;
  modulePath?: string;
  /** Instrumenter options (e.g. naming the allocator); allocatorHooks is always set. */
  instrument?: InstantiateOptions['instrument'];
  cache?: InstantiateOptions['cache'];
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
  /** Blocks freed with no other allocation in between (heaptrack's "temporary"; memray threshold 0). */
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

/** The target's linear memory: its exported memory (WASI commands export "memory"). */
function memoryOf(instance: WebAssembly.Instance): WebAssembly.Memory {
  const named = instance.exports['memory'];
  if (named instanceof WebAssembly.Memory) return named;
  for (const value of Object.values(instance.exports)) if (value instanceof WebAssembly.Memory) return value;
  throw new TracingSetupError('the module exports no linear memory, so the bench cannot watch it grow (export it, as WASI commands do)');
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

/** Instruments `original` with allocator hooks, runs it as a WASI command, and reports on its allocator. */
export async function benchWasi(original: Uint8Array, options: BenchOptions = {}): Promise<AllocatorReport> {
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
  const wasi = new WASI({
    version: 'preview1',
    args: options.args ?? [name],
    env: options.env ?? {},
    preopens: options.preopens ?? {},
    returnOnExit: true,
    stdin: options.stdin ?? 0,
    stdout: options.stdout ?? 1,
    stderr: options.stderr ?? 2,
  });
  const table = await TraceTable.create();
  const probe = new AllocatorProbe(table);
  const imports: WebAssembly.Imports = { ...emscriptenStandaloneImports(traced.module), ...options.imports };
  const instance = await engine.instantiate(traced.module, { ...imports, ...(wasi.getImportObject() as WebAssembly.Imports), tracemalloc: probe.imports });
  const siteFrames = new SiteFrames(traced.siteTable, traced.symbolizer);
  const { tracemalloc } = attachTracer(instance, traced, table, instantiateOptions, nframe, siteFrames);
  probe.attach(memoryOf(instance), nframe);
  const bracketMs = emptyBracketMs();

  const t0 = performance.now();
  let exitCode: number;
  try {
    exitCode = wasi.start(instance);
  } catch (e) {
    const stackOverflow = e instanceof RangeError && /call stack size/i.test(e.message);
    if (!(e instanceof WebAssembly.RuntimeError) && !stackOverflow) throw e;
    exitCode = 134;
  }
  const wallMs = performance.now() - t0;
  probe.finish();
  const counters = tracemalloc.counters();
  const r = probe.record;
  const tracerBytes = (instance.exports[SLOT_BYTES_EXPORT] as () => number)();
  const stack = (sites: readonly number[]): string[] =>
    siteFrames.traceback(sites, sites.length, nframe).frames.map((f) => f.toString());
  const growth = [...r.growthBySites.values()]
    .map((g) => ({ where: stack(g.sites), count: g.count, bytes: g.bytes }))
    .sort((a, b) => b.bytes - a.bytes || b.count - a.count);
  const temporarySites = [...r.temporaryBySite.values()]
    .map((t) => ({ where: siteFrames.framesOf(t.site)[0]!.toString(), count: t.count, bytes: t.bytes }))
    .sort((a, b) => b.count - a.count || b.bytes - a.bytes);
  const allocatorMsMeasured = r.allocatorMsRaw;
  return {
    module: name,
    exitCode,
    wallMs,
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
    allocatorMs: Math.max(0, allocatorMsMeasured - bracketMs * r.allocatorCalls),
    allocatorMsMeasured,
    bracketNs: bracketMs * 1e6,
    tableAllocations: counters.allocations,
    tableFrees: counters.frees,
  };
}

/** Histogram rows from per-class counts (and bytes) over inclusive upper bounds, plus one unbounded class. */
function histogram(bounds: readonly number[], counts: readonly number[], bytes?: readonly number[]): HistogramRow[] {
  return counts.map((count, i) => ({ upTo: bounds[i] ?? null, count, ...(bytes ? { bytes: bytes[i]! } : {}) }));
}
