/**
 * The tracemalloc API over one traced instance: start/stop, traced memory, tracebacks of
 * blocks, snapshots. Names follow Python's tracemalloc in camelCase (README has the table).
 *
 * The trace table (assembly/, read through TraceTable) holds the blocks and interned
 * tracebacks of site ids; SiteFrames turns site ids into source frames when a snapshot or a
 * traceback is asked for, never on the allocation path.
 */
import { Snapshot, Traceback } from '../snapshot/index.js';
import type { SiteFrames } from './siteFrames.js';
import type { TableCounters, TraceTable } from './traceTable.js';

/** Where the traced module comes from, recorded in every snapshot. */
export interface TracedModuleInfo {
  /** A name for the module (usually its file name). */
  name: string;
  /** SHA-256 of the original module bytes, lowercase hex. */
  hash: string;
}

/** Thrown when an operation needs tracing to be on (as CPython raises RuntimeError). */
export class NotTracingError extends Error {
  override name = 'NotTracingError';
}

/** The tracemalloc API of one traced instance. */
export class Tracemalloc {
  /** Version of wasm-tracemalloc's tracemalloc API (`tracemalloc.__version__`). */
  static readonly version = '1.0';

  constructor(
    private readonly table: TraceTable,
    private readonly siteFrames: SiteFrames,
    readonly module: TracedModuleInfo,
    /** Bytes of the target's shadow-stack block, part of the tracer's own memory. */
    private shadowStackBytes: number,
  ) {}

  /**
   * Counts the shadow-stack block of a side module linked into this one (dynamicLinking.ts):
   * it traces into this table, so its block is this tracer's memory too.
   */
  addShadowStackBytes(bytes: number): void {
    this.shadowStackBytes += bytes;
  }

  /** Starts tracing, keeping at most `nframe` frames per traceback (1 to the compiled depth). */
  start(nframe = 1): void {
    const max = this.siteFrames.siteTable.maxFrames;
    if (!Number.isInteger(nframe) || nframe < 1 || nframe > max) {
      throw new RangeError(`nframe must be an integer between 1 and ${max} (the depth compiled into the instrumented module), got ${nframe}`);
    }
    this.table.start(nframe);
  }

  /** Stops tracing and clears all traces, as tracemalloc.stop() does. */
  stop(): void {
    this.table.stop();
  }

  /** Whether allocations are being traced. */
  isTracing(): boolean {
    return this.table.isTracing();
  }

  /** Forgets all traces; tracing goes on. Peak and current restart from 0. */
  clearTraces(): void {
    this.table.clearTraces();
  }

  /** Most frames stored per traceback; tracing must be on. */
  getTracebackLimit(): number {
    return this.table.getTracebackLimit();
  }

  /** `[current, peak]` bytes of the traced blocks. */
  getTracedMemory(): [current: number, peak: number] {
    return this.table.getTracedMemory();
  }

  /** Sets the peak to the current traced size, keeping the traces. */
  resetPeak(): void {
    this.table.resetPeak();
  }

  /** Bytes used by the tracer itself: the trace table and the target's shadow-stack block. */
  getTracemallocMemory(): number {
    return this.table.getTracemallocMemory() + this.shadowStackBytes;
  }

  /**
   * Allocation and free counts since start()/clearTraces(), and the live blocks: the trace
   * table's counters (not in Python's tracemalloc; the allocation gate uses them).
   */
  counters(): TableCounters {
    return this.table.counters();
  }

  /**
   * Samples instead of tracing every block, for always-on use: a Poisson process over the
   * allocated bytes with `meanBytes` between samples (as heapprofd, Go and jemalloc do), decided
   * inside Wasm. Statistics then report estimates (each sampled block of s bytes stands for
   * s / (1 - exp(-s / meanBytes)) bytes). Clears the traces if tracing. `seed` replays a run.
   */
  setSampling(meanBytes: number, seed: number | bigint = 0): void {
    this.table.setSampling(meanBytes, seed);
  }

  /** Back to tracing every block (the default). Clears the traces if tracing. */
  setExact(): void {
    this.table.setExact();
  }

  /** The traceback where the block at address `ptr` was allocated, or null if it is not traced. */
  getObjectTraceback(ptr: number): Traceback | null {
    const block = this.table.lookup(ptr);
    if (block === null) return null;
    const tb = this.table.traceback(block.tracebackId);
    return this.siteFrames.traceback(tb.frames, tb.totalNframe, this.table.getTracebackLimit());
  }

  /**
   * Whether tracing stopped by itself because the trace table ran out of memory (its memory
   * could not grow, or reached the limit set). The traces kept until then stay readable:
   * takeSnapshot() still works; start() or stop() clears them.
   */
  get oomStopped(): boolean {
    return this.table.oomStopped;
  }

  /** A snapshot of all traced blocks. Tracing must be on (or stopped by lack of memory), as in tracemalloc. */
  takeSnapshot(): Snapshot {
    if (!this.table.isTracing() && !this.table.oomStopped) {
      throw new NotTracingError('the tracemalloc module must be tracing memory allocations to take a snapshot: call start() first');
    }
    const limit = this.table.getTracebackLimit();
    const raw = this.table.readTraces();
    const tracebacks = raw.tracebacks.map((tb) => (tb ? this.siteFrames.traceback(tb.frames, tb.totalNframe, limit) : null));
    const [current, peak] = this.table.getTracedMemory();
    return Snapshot.fromInterned({
      tracebacks,
      traceTracebackIds: raw.traceTracebackIds,
      traceSizes: raw.traceSizes,
      tracebackLimit: limit,
      meta: {
        moduleName: this.module.name,
        moduleHash: this.module.hash,
        tracedCurrent: current,
        tracedPeak: peak,
        timestamp: Date.now(),
        samplingInterval: raw.samplingInterval,
      },
    });
  }
}
