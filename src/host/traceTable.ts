/**
 * The host side of the trace table (build/tracetable.wasm, source in assembly/).
 *
 * One TraceTable per traced instance: it instantiates the table module (compiled once per
 * process), hands the instrumented target its `tracemalloc` imports — the table's own exported
 * functions, so every alloc/free/realloc is a Wasm → Wasm call — and reads the table's memory
 * directly for counters, lookups and snapshots (layout in tableLayout.ts): no JS call per trace.
 *
 * Works in Node and in browsers: give `create` the module bytes, a Response, or a compiled
 * WebAssembly.Module. With no source, Node loads build/tracetable.wasm (tableWasmNode.ts,
 * reached by a dynamic import).
 */
import {
  FRAMES, Header, Region, REGION_SIZE, Flag, BlockGroup, BlockValue, TracebackRecord, ResultCode, NO_LIMIT, blockGroupsStart, decodeBlockValue,
  HEADER_SIZE, readU64, checkHeader,
} from './tableLayout.js';

/** A function exported by the table, called by the instrumented target. */
type WasmFunction = (...args: number[]) => void;

/**
 * What the instrumented target imports under the module name "tracemalloc" (docs/abi.md §2).
 * A type alias, not an interface, so that it is assignable to WebAssembly.ModuleImports.
 */
export type TracemallocImports = {
  readonly alloc: WasmFunction;
  readonly free: WasmFunction;
  readonly realloc: WasmFunction;
  readonly alloc1: WasmFunction;
  readonly realloc1: WasmFunction;
  /** nframe while tracing, else 0: the target's wrapper reads it before calling in. */
  readonly reportFrames: WebAssembly.Global;
  /** Bytes left before the next sample point (−Infinity in exact mode): the wrapper calls alloc only when it reaches 0. */
  readonly sampleCountdown: WebAssembly.Global;
  /** Bit FREEBUCKET(ptr) set: the wrapper calls free(ptr); 0 while not tracing, all ones in exact mode. */
  readonly freeFilter: WebAssembly.Global;
};

/** The exports of build/tracetable.wasm (assembly/index.ts): the target's imports, and the host's controls. */
export type TraceTableExports = TracemallocImports & {
  readonly memory: WebAssembly.Memory;
  readonly FRAMES: WebAssembly.Global;
  start(nframe: number): number;
  stop(): void;
  clearTraces(): void;
  isTracing(): number;
  getTracebackLimit(): number;
  resetPeak(): void;
  setSampling(interval: number, seedLo: number, seedHi: number): number;
  setReallocZeroFrees(frees: number): void;
  setMemoryLimit(bytes: number): void;
  findBlock(ptr: number): number;
  tracebackAddress(id: number): number;
  tracemallocMemory(): number;
  layout(): number;
};

/** The bytes of a table module, or a (promised) fetch Response for them. */
export type TableBytes = BufferSource | Response | PromiseLike<Response>;

/** Where the table module comes from. */
export type TableSource = WebAssembly.Module | TableBytes;

/** Options of TraceTable.create / fromModule. */
export interface TraceTableOptions {
  /** The table module or its bytes; default (Node only): build/tracetable.wasm. */
  source?: TableSource;
  /** Whether the target's realloc(p, 0) frees p when it returns NULL (glibc: yes; musl: no). Default false. */
  reallocZeroFrees?: boolean;
  /** Most bytes the table may span; past it tracing stops by itself (oomStopped). Default: no limit. */
  memoryLimit?: number;
}

/** A traceback as the table stores it: site ids, most recent first, and the depth before truncation. */
export interface RawTraceback {
  /** Site ids (docs/abi.md §4), most recent first; 0 = a frame with no known site. */
  readonly frames: Uint32Array;
  /** Frames on the stack when it was captured (CPython's total_nframe), ≥ frames.length. */
  readonly totalNframe: number;
}

/** Every live trace, read in one pass over the table's memory. */
export interface RawTraces {
  /**
   * Traceback id → traceback, decoded once each. Only the tracebacks some live trace refers to
   * are decoded; the other ids (tracebacks of blocks since freed) are null.
   */
  readonly tracebacks: Array<RawTraceback | null>;
  /** Trace i's traceback id (an index into `tracebacks`). */
  readonly traceTracebackIds: Uint32Array;
  /** Trace i's size in bytes (the size requested, as traced). */
  readonly traceSizes: Uint32Array;
  /** Trace i's address in the target's memory. */
  readonly tracePointers: Uint32Array;
  /** Mean bytes between samples, 0 in exact mode: a trace of size s then stands for s/(1−exp(−s/T)) bytes. */
  readonly samplingInterval: number;
}

/** The table's counters (see assembly/table.ts for their identities). */
export interface TableCounters {
  /** Traces added (alloc, calloc, aligned allocations, realloc results). */
  readonly allocations: number;
  /** Traces removed (free, realloc, realloc-to-zero). */
  readonly frees: number;
  /** Exact mode: frees of pointers that were not traced (allocated before start, or a program bug). */
  readonly unknownFrees: number;
  /**
   * Sampling mode: frees of pointers not traced that reached the table (unknown pointers, and the
   * frees of unsampled blocks that the target's free filter let through: most never call in).
   */
  readonly unsampledFrees: number;
  /** Allocations that returned a pointer already traced (a free was missed); the old trace was replaced. */
  readonly replaced: number;
  /**
   * Sampling mode: bytes of the allocations not sampled (counted in bytes, not allocations: the
   * target skips those without calling the table; see assembly/sampler.ts).
   */
  readonly skippedBytes: number;
  /** Traced blocks now. */
  readonly liveBlocks: number;
  /** Interned tracebacks (live or not) since the last clear. */
  readonly tracebacks: number;
}

/** The table's own memory. */
export interface TableMemory {
  /** Bytes of the table's structures: header + every region in full (getTracemallocMemory). */
  readonly used: number;
  /** Largest span the table reached, from its header to the end of its highest region (gaps included). */
  readonly highWater: number;
  /** Bytes of the table instance's linear memory (its static data, header, structures and gaps). */
  readonly linearMemory: number;
  /** The span the table may not pass (Infinity when no limit was set). */
  readonly limit: number;
}

/** The state of the sampler, for the snapshot layer and for tests. */
export interface SamplingState {
  /** Mean bytes between samples; 0 in exact mode. */
  readonly interval: number;
  /** Bytes left before the next sample point. */
  readonly countdown: number;
  /** Σ s/(1−exp(−s/T)) over the sampled live blocks: the estimate of the live bytes. */
  readonly estimatedCurrent: number;
  /** Largest estimatedCurrent since start / clear / resetPeak. */
  readonly estimatedPeak: number;
  /** Bytes of the sampled live blocks, unweighted. */
  readonly sampledCurrent: number;
  /** Largest sampledCurrent. */
  readonly sampledPeak: number;
}

let defaultModule: Promise<WebAssembly.Module> | undefined;

/** The default table module: build/tracetable.wasm, read and compiled once per process (Node). */
function loadDefaultModule(): Promise<WebAssembly.Module> {
  defaultModule ??= import('./tableWasmNode.js')
    .then((node) => node.loadTableModule())
    .catch((err: unknown) => {
      defaultModule = undefined;
      throw err;
    });
  return defaultModule;
}

/** Checks a byte count given by a user: a non-negative integer, or Infinity where allowed. */
function checkBytes(name: string, value: number, allowInfinity: boolean): void {
  if (allowInfinity && value === Infinity) return;
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer number of bytes${allowInfinity ? ' or Infinity' : ''}, got ${value}`);
  }
}

/** The trace table of one traced instance. */
export class TraceTable {
  /** The imports to merge into the target's import object under "tracemalloc". */
  readonly imports: TracemallocImports;
  /** The table's raw exports (for tests and benchmarks). */
  readonly exports: TraceTableExports;
  /** Address of the table header in its memory. */
  private readonly root: number;

  /**
   * Where the table's memory starts in `exports.memory`: 0 for a table instance of its own; in a
   * self-contained module (src/instrument/selfContained.ts) the table's memory follows the
   * target's in one memory, and moves up when the target's grows.
   */
  private readonly memoryBase: () => number;

  private constructor(exports: TraceTableExports, options: TraceTableOptions, memoryBase: () => number = () => 0) {
    this.exports = exports;
    this.memoryBase = memoryBase;
    for (const name of ['memory', 'alloc', 'free', 'realloc', 'alloc1', 'realloc1', 'reportFrames', 'sampleCountdown', 'freeFilter', 'start', 'layout', 'findBlock', 'tracebackAddress'] as const) {
      if (!(name in this.exports)) throw new Error(`not a trace table module: it exports no "${name}"`);
    }
    const frames = this.exports.FRAMES.value as number;
    if (frames !== FRAMES) throw new Error(`trace table compiled for ${frames} frames, the ABI has ${FRAMES}`);
    this.root = this.exports.layout() >>> 0;
    checkHeader(this.exports.memory, this.memoryBase() + this.root);
    const { alloc, free, realloc, alloc1, realloc1, reportFrames, sampleCountdown, freeFilter } = this.exports;
    this.imports = Object.freeze({ alloc, free, realloc, alloc1, realloc1, reportFrames, sampleCountdown, freeFilter });
    if (options.reallocZeroFrees !== undefined) this.setReallocZeroFrees(options.reallocZeroFrees);
    if (options.memoryLimit !== undefined) this.setMemoryLimit(options.memoryLimit);
  }

  /** Compiles a table module from bytes or a Response (or the default file, in Node, once per process). */
  static async compile(source?: TableBytes): Promise<WebAssembly.Module> {
    if (source === undefined) return loadDefaultModule();
    if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return WebAssembly.compile(source);
    const response: Response = await source;
    if (typeof WebAssembly.compileStreaming === 'function') {
      try {
        return await WebAssembly.compileStreaming(response.clone());
      } catch {
        // a wrong MIME type and such: fall back to the bytes
      }
    }
    return WebAssembly.compile(await response.arrayBuffer());
  }

  /** A new table instance (one per traced target). */
  static async create(options: TraceTableOptions = {}): Promise<TraceTable> {
    const source = options.source;
    const module = source instanceof WebAssembly.Module ? source : await TraceTable.compile(source);
    return new TraceTable((await WebAssembly.instantiate(module, {})).exports as unknown as TraceTableExports, options);
  }

  /** A new table instance from a compiled module, synchronously. */
  static fromModule(module: WebAssembly.Module, options: Omit<TraceTableOptions, 'source'> = {}): TraceTable {
    return new TraceTable(new WebAssembly.Instance(module, {}).exports as unknown as TraceTableExports, options);
  }

  /**
   * The table inside a self-contained module: its exports (under their table names) and where
   * its memory starts now in the module's one memory (`__tracemalloc_memory_base()`).
   */
  static fromMergedExports(exports: TraceTableExports, memoryBase: () => number, options: Omit<TraceTableOptions, 'source'> = {}): TraceTable {
    return new TraceTable(exports, options, memoryBase);
  }

  // === Reading the memory ===

  /**
   * The table memory as u32 words, from the table's address 0 (a fresh view: the buffer changes
   * when the memory grows, and a merged table's base moves).
   */
  private words(): Uint32Array {
    return new Uint32Array(this.exports.memory.buffer, this.memoryBase());
  }

  /** A u32 header field. */
  private u32(field: number): number {
    return this.words()[(this.root + field) >>> 2]!;
  }

  /** A u64 header counter. */
  private u64(field: number): number {
    return readU64(this.words(), this.root + field);
  }

  /** An f64 header field. */
  private f64(field: number): number {
    return new Float64Array(this.exports.memory.buffer, this.memoryBase() + this.root + field, 1)[0]!;
  }

  /** Start address and size of a region. */
  private region(r: number): [ptr: number, bytes: number] {
    const w = this.words();
    const i = (this.root + Header.regions + r * REGION_SIZE) >>> 2;
    return [w[i]!, w[i + 1]!];
  }

  /** Where the blocks table's groups start, and how many there are (assembly/blocks.ts). */
  private blockGroups(): { base: number; groups: number } {
    return { base: blockGroupsStart(this.region(Region.blocks)[0]), groups: this.u32(Header.blocksCap) / BlockGroup.slots };
  }

  /** Decodes the record at byte address `address` (copied out of the table memory). */
  private static decode(words: Uint32Array, address: number): RawTraceback {
    const i = address >>> 2;
    const nframe = words[i + (TracebackRecord.nframe >>> 2)]!;
    const first = i + (TracebackRecord.frames >>> 2);
    return { frames: words.slice(first, first + nframe), totalNframe: words[i + (TracebackRecord.total >>> 2)]! };
  }

  // === tracemalloc's API ===

  /**
   * Starts tracing with tracebacks of at most `nframe` frames (1..16). Already tracing: only the
   * limit changes, as in CPython. Otherwise traces kept from before (after oomStopped) are dropped.
   */
  start(nframe = 1): void {
    if (!Number.isInteger(nframe) || nframe < 1 || nframe > FRAMES) {
      throw new RangeError(`nframe must be between 1 and ${FRAMES} (the depth compiled into the instrumented module), got ${nframe}`);
    }
    const code = this.exports.start(nframe);
    if (code === ResultCode.outOfMemory) {
      const limit = this.u32(Header.limit);
      throw new Error(`the trace table could not get memory for its structures (memory limit: ${limit === NO_LIMIT ? 'none' : `${limit} bytes`})`);
    }
    if (code !== ResultCode.ok) throw new Error(`trace table start(${nframe}) failed with code ${code}`);
  }

  /** Stops tracing and drops every trace (as tracemalloc.stop()). Settings (sampling, limit) stay. */
  stop(): void {
    this.exports.stop();
  }

  /** Drops every trace and zeroes the counters; tracing, if on, goes on. */
  clearTraces(): void {
    this.exports.clearTraces();
  }

  /** Whether allocations are being traced (false too after the table stopped itself: see oomStopped). */
  isTracing(): boolean {
    return this.exports.isTracing() !== 0;
  }

  /** Frames kept per traceback (set by start; 1 before). */
  getTracebackLimit(): number {
    return this.exports.getTracebackLimit();
  }

  /**
   * [current, peak] traced bytes. In sampling mode these are the estimates (Σ weights of the
   * sampled live blocks, rounded, and its largest value); getSampling() has the raw sums.
   */
  getTracedMemory(): [current: number, peak: number] {
    if (this.u32(Header.flags) & Flag.sampling) {
      return [Math.round(this.f64(Header.estimatedCurrent)), Math.round(this.f64(Header.estimatedPeak))];
    }
    return [this.u64(Header.current), this.u64(Header.peak)];
  }

  /** Sets the peak to the current traced size, keeping the traces. */
  resetPeak(): void {
    this.exports.resetPeak();
  }

  /**
   * Bytes of the table's structures: its header plus every region in full (blocks table, intern
   * index, traceback offsets, traceback arena, with their empty slots and unused room). Not
   * counted: gaps left behind by regions that moved, the module's static data (see tableMemory()).
   */
  getTracemallocMemory(): number {
    return this.exports.tracemallocMemory() >>> 0;
  }

  /** The table's own memory in more detail. */
  tableMemory(): TableMemory {
    const limit = this.u32(Header.limit);
    return {
      used: this.getTracemallocMemory(),
      highWater: this.u32(Header.highWater),
      linearMemory: this.exports.memory.buffer.byteLength - this.memoryBase(),
      limit: limit === NO_LIMIT ? Infinity : limit,
    };
  }

  /** The counters, read from the header. */
  counters(): TableCounters {
    return {
      allocations: this.u64(Header.allocations),
      frees: this.u64(Header.frees),
      unknownFrees: this.u64(Header.unknownFrees),
      unsampledFrees: this.u64(Header.unsampledFrees),
      replaced: this.u64(Header.replaced),
      skippedBytes: this.skippedBytes(),
      liveBlocks: this.u32(Header.liveBlocks),
      tracebacks: this.u32(Header.tracebackCount),
    };
  }

  /** Bytes skipped by the sampler: those up to the last sample point plus those since (drawn − countdown). */
  private skippedBytes(): number {
    if (!(this.u32(Header.flags) & Flag.sampling)) return 0;
    const since = this.f64(Header.drawn) - (this.exports.sampleCountdown.value as number);
    return Math.round(this.f64(Header.skippedBytes) + since);
  }

  /** True when the table stopped tracing by itself because it ran out of memory (cleared by start/stop). */
  get oomStopped(): boolean {
    return (this.u32(Header.flags) & Flag.oomStopped) !== 0;
  }

  /**
   * Sampling mode: on average one sample every `meanBytes` allocated bytes (Poisson, unbiased
   * after weighting), random numbers seeded by `seed` (an integer; same seed, same samples).
   * `meanBytes` 0 means exact mode. Changing the mode or interval while tracing clears the traces.
   */
  setSampling(meanBytes: number, seed: number | bigint = 0): void {
    if (!Number.isFinite(meanBytes) || meanBytes < 0) {
      throw new RangeError(`the sampling interval must be a finite number of bytes ≥ 0 (0 = exact mode), got ${meanBytes}`);
    }
    let s: bigint;
    if (typeof seed === 'bigint') {
      s = BigInt.asUintN(64, seed);
    } else {
      if (!Number.isSafeInteger(seed)) throw new RangeError(`the sampling seed must be an integer, got ${seed}`);
      s = BigInt.asUintN(64, BigInt(seed));
    }
    const code = this.exports.setSampling(meanBytes, Number(s & 0xffffffffn), Number(s >> 32n));
    if (code !== ResultCode.ok) throw new Error(`trace table setSampling(${meanBytes}) failed with code ${code}`);
  }

  /** Exact mode (the default): every allocation traced. */
  setExact(): void {
    this.setSampling(0);
  }

  /** The sampler's state. */
  getSampling(): SamplingState {
    return {
      interval: this.f64(Header.samplingInterval),
      countdown: this.exports.sampleCountdown.value as number,
      estimatedCurrent: this.f64(Header.estimatedCurrent),
      estimatedPeak: this.f64(Header.estimatedPeak),
      sampledCurrent: this.u64(Header.current),
      sampledPeak: this.u64(Header.peak),
    };
  }

  /** Whether realloc(p, 0) returning NULL means p was freed (the target's libc decides; glibc yes, musl no). */
  setReallocZeroFrees(frees: boolean): void {
    this.exports.setReallocZeroFrees(frees ? 1 : 0);
  }

  /** Caps the bytes the table may span (Infinity: no cap). Past it, tracing stops by itself (oomStopped). */
  setMemoryLimit(bytes: number): void {
    checkBytes('the memory limit', bytes, true);
    this.exports.setMemoryLimit(Math.min(bytes, NO_LIMIT));
  }

  /** Size and traceback id of the live block at `ptr`, or null if it is not traced. */
  lookup(ptr: number): { size: number; tracebackId: number } | null {
    const entry = this.exports.findBlock(ptr >>> 0) >>> 0;
    if (entry === 0) return null;
    const w = this.words();
    return decodeBlockValue(w, this.region(Region.wide)[0], w[(entry + BlockGroup.value) >>> 2]!);
  }

  /** The traceback with id `id` (ids come from lookup and readTraces). */
  traceback(id: number): RawTraceback {
    const address = this.exports.tracebackAddress(id >>> 0) >>> 0;
    if (address === 0) throw new RangeError(`no traceback with id ${id} (the table has ${this.u32(Header.tracebackCount)})`);
    return TraceTable.decode(this.words(), address);
  }

  /** The traceback of the live block at `ptr`, or null if it is not traced. */
  getObjectTraceback(ptr: number): RawTraceback | null {
    const block = this.lookup(ptr);
    return block === null ? null : this.traceback(block.tracebackId);
  }

  /**
   * Every live trace, in one pass over the blocks table, with each traceback that a trace refers
   * to decoded once. The arrays are copies: the table may change right after.
   */
  readTraces(): RawTraces {
    const w = this.words();
    const live = this.u32(Header.liveBlocks);
    const tracebackCount = this.u32(Header.tracebackCount);
    const traceTracebackIds = new Uint32Array(live);
    const traceSizes = new Uint32Array(live);
    const tracePointers = new Uint32Array(live);
    const tracebacks: Array<RawTraceback | null> = new Array<RawTraceback | null>(tracebackCount).fill(null);
    const samplingInterval = this.u32(Header.flags) & Flag.sampling ? this.f64(Header.samplingInterval) : 0;
    const { base: blocks, groups } = this.blockGroups();
    if (live === 0 || groups === 0) {
      return { tracebacks, traceTracebackIds, traceSizes, tracePointers, samplingInterval };
    }
    const [offsets] = this.region(Region.offsets);
    const [arena] = this.region(Region.arena);
    const wide = this.region(Region.wide)[0] >>> 2;
    const valueAt = BlockGroup.value >>> 2;
    let k = 0;
    const groupsEnd = (blocks + groups * BlockGroup.bytes) >>> 2;
    for (let g = blocks >>> 2; g < groupsEnd; g += BlockGroup.bytes >>> 2) {
      for (let e = g; e < g + BlockGroup.slots; e++) {
        const ptr = w[e]!;
        if (ptr === 0) continue;
        // decodeBlockValue, written out: this loop runs once per live block.
        const value = w[e + valueAt]!;
        let size = value & BlockValue.sizeMask;
        let id = value >>> BlockValue.sizeBits;
        if ((value & BlockValue.wide) !== 0) {
          const at = wide + (value & ~BlockValue.wide) * 2;
          size = w[at]!;
          id = w[at + 1]!;
        }
        tracePointers[k] = ptr;
        traceSizes[k] = size;
        traceTracebackIds[k] = id;
        k++;
        if (tracebacks[id] === null) {
          tracebacks[id] = TraceTable.decode(w, arena + w[(offsets >>> 2) + id]!);
        }
      }
    }
    if (k !== live) throw new Error(`trace table inconsistent: ${k} entries in the blocks table, header says ${live}`);
    return { tracebacks, traceTracebackIds, traceSizes, tracePointers, samplingInterval };
  }

  /** Bytes of the header (the least getTracemallocMemory() can be). */
  static readonly headerBytes = HEADER_SIZE;
}
