/**
 * The allocator probe of `wasm-tracemalloc bench`: sits between an instrumented target and its
 * trace table, and records what an allocator benchmark needs that tracemalloc does not keep —
 * every allocation's size (a size-class histogram), block lifetimes, the live-byte peak against
 * the linear memory's size, which allocator calls grew the memory, and the time spent inside
 * the allocator.
 *
 * It wraps the table's imports in JavaScript functions (each forwards to the table, so tracing
 * works as usual, then records), and serves the two hooks a module instrumented with
 * `allocatorHooks` calls around every outermost allocator call (docs/abi.md §2):
 *
 *   enterAllocator()  clock starts; memory size noted (growth since the last call: not the allocator's)
 *   ...the allocator runs...
 *   leaveAllocator()  clock stops; growth since enter: this call's
 *   alloc/realloc     (after leave, for the same call) the growth is charged to its call site
 *
 * A JS call per event is slow next to the Wasm → Wasm calls of plain tracing: the probe is for
 * measuring an allocator's behaviour, never for the tracing overhead. It needs exact mode (every
 * allocation and free reported).
 */
import type { TraceTable, TracemallocImports } from './traceTable.js';

/** Upper bounds (inclusive) of the size classes; a last class holds everything larger. */
export const SIZE_CLASS_BOUNDS: readonly number[] = [0, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 1 << 20];

/**
 * Upper bounds (inclusive) of the lifetime classes, counted in allocations made between a
 * block's allocation and its free (see ProbeRecord.lifetimes); a last class holds the rest.
 */
export const LIFETIME_BOUNDS: readonly number[] = [0, 1, 9, 99, 999, 9999];

/** Growth of the linear memory charged to one call site. */
export interface Growth {
  /** Site ids of the allocation that grew the memory, most recent first (up to nframe). */
  readonly sites: readonly number[];
  /** Times an allocation from this stack grew the memory. */
  count: number;
  /** Bytes the memory grew by. */
  bytes: number;
}

/** Temporary allocations of one call site. */
export interface TemporarySite {
  /** Site id of the allocator call (the most recent frame). */
  readonly site: number;
  count: number;
  bytes: number;
}

/** What the probe saw during a run. All sizes are requested sizes (calloc: nmemb × size). */
export interface ProbeRecord {
  /** Blocks allocated: malloc/calloc/aligned allocations, and each realloc's result (tracemalloc's view). */
  allocations: number;
  /** Blocks freed: free of a known block, and each realloc's old block. */
  frees: number;
  /** Calls of realloc that returned a block (counted in allocations and frees too, when they moved or resized one). */
  reallocs: number;
  /** Frees of a pointer the probe never saw allocated (allocated before the probe, or a program bug). */
  unknownFrees: number;
  /** Bytes requested by all allocations. */
  bytesRequested: number;
  /** Per size class (SIZE_CLASS_BOUNDS, plus one for larger): allocations and bytes. */
  sizeClassCounts: number[];
  sizeClassBytes: number[];
  liveBlocks: number;
  liveBytes: number;
  peakLiveBytes: number;
  peakLiveBlocks: number;
  /** Linear memory in bytes when the probe attached, and the most it reached. */
  initialMemoryBytes: number;
  peakMemoryBytes: number;
  /** Growth charged to allocation call stacks (key: site ids joined by ","). */
  growthBySites: Map<string, Growth>;
  /** Growth inside an allocator call that returned no block (failed, or a free). */
  growthUnattributed: { count: number; bytes: number };
  /** Growth between allocator calls: the program (or a runtime) called memory.grow itself. */
  growthOutsideAllocator: { count: number; bytes: number };
  /**
   * Freed blocks per lifetime class (LIFETIME_BOUNDS, plus one for longer): a block's lifetime
   * is the number of other allocations made between its allocation and its free (frees of other
   * blocks in between do not count). Lifetime 0 is "temporary" as memray's threshold 0 defines it
   * (heaptrack's, "free directly after its allocation", can be stricter when other frees come
   * between); lifetime ≤ 1 is memray's `--temporary-allocations` (threshold 1).
   */
  lifetimes: number[];
  /** Blocks with lifetime 0 per allocation site. */
  temporaryBySite: Map<number, TemporarySite>;
  /** Outermost allocator calls (free included) bracketed by the hooks. */
  allocatorCalls: number;
  /** Milliseconds measured between enterAllocator and leaveAllocator, summed, as measured. */
  allocatorMsRaw: number;
}

interface LiveBlock {
  size: number;
  /** Allocation ordinal (allocations before it). */
  ordinal: number;
  site: number;
}

/** Index of the class of `value` among inclusive upper `bounds` (bounds.length for larger). */
export function classOf(bounds: readonly number[], value: number): number {
  let i = 0;
  while (i < bounds.length && value > bounds[i]!) i++;
  return i;
}

/** The imports a target instrumented with allocatorHooks takes under "tracemalloc". */
export type ProbedImports = TracemallocImports & {
  readonly enterAllocator: () => void;
  readonly leaveAllocator: () => void;
};

/** Records allocator behaviour for one traced instance (exact mode). */
export class AllocatorProbe {
  readonly record: ProbeRecord = {
    allocations: 0,
    frees: 0,
    reallocs: 0,
    unknownFrees: 0,
    bytesRequested: 0,
    sizeClassCounts: new Array<number>(SIZE_CLASS_BOUNDS.length + 1).fill(0),
    sizeClassBytes: new Array<number>(SIZE_CLASS_BOUNDS.length + 1).fill(0),
    liveBlocks: 0,
    liveBytes: 0,
    peakLiveBytes: 0,
    peakLiveBlocks: 0,
    initialMemoryBytes: 0,
    peakMemoryBytes: 0,
    growthBySites: new Map(),
    growthUnattributed: { count: 0, bytes: 0 },
    growthOutsideAllocator: { count: 0, bytes: 0 },
    lifetimes: new Array<number>(LIFETIME_BOUNDS.length + 1).fill(0),
    temporaryBySite: new Map(),
    allocatorCalls: 0,
    allocatorMsRaw: 0,
  };
  /** The imports to give the target instead of table.imports. */
  readonly imports: ProbedImports;

  private readonly live = new Map<number, LiveBlock>();
  private memory: WebAssembly.Memory | null = null;
  private lastMemoryBytes = 0;
  /** Growth seen by leaveAllocator, waiting for the allocation event of the same call. */
  private pendingGrowth = 0;
  private enteredAt = 0;
  private nframe = 1;

  constructor(table: TraceTable, private readonly clock: () => number = () => performance.now()) {
    const t = table.imports;
    // Frames at index ≥ total are garbage (docs/abi.md §2).
    const frames = (total: number, slots: number[]): number[] => slots.slice(0, Math.min(this.nframe, total >>> 0));
    this.imports = Object.freeze({
      reportFrames: t.reportFrames,
      sampleCountdown: t.sampleCountdown,
      freeFilter: t.freeFilter,
      alloc: (...args: number[]) => {
        t.alloc(...args);
        this.allocated(args[0]! >>> 0, args[1]! >>> 0, frames(args[2]!, args.slice(3)));
      },
      alloc1: (ptr: number, size: number, total: number, f0: number) => {
        t.alloc1(ptr, size, total, f0);
        this.allocated(ptr >>> 0, size >>> 0, frames(total, [f0]));
      },
      realloc: (...args: number[]) => {
        t.realloc(...args);
        this.reallocated(args[0]! >>> 0, args[1]! >>> 0, args[2]! >>> 0, frames(args[3]!, args.slice(4)));
      },
      realloc1: (old: number, ptr: number, size: number, total: number, f0: number) => {
        t.realloc1(old, ptr, size, total, f0);
        this.reallocated(old >>> 0, ptr >>> 0, size >>> 0, frames(total, [f0]));
      },
      free: (ptr: number) => {
        t.free(ptr);
        this.freed(ptr >>> 0);
      },
      enterAllocator: () => this.enter(),
      leaveAllocator: () => this.leave(),
    });
  }

  /**
   * Starts watching `memory` (the target's): call after instantiation, before the program runs.
   * `nframe` is the frames kept per growth stack (the tracing nframe).
   */
  attach(memory: WebAssembly.Memory, nframe: number): void {
    this.memory = memory;
    this.nframe = nframe;
    this.lastMemoryBytes = memory.buffer.byteLength;
    this.record.initialMemoryBytes = this.lastMemoryBytes;
    this.record.peakMemoryBytes = this.lastMemoryBytes;
  }

  /** Notes growth that happened since the last look; call once the program has finished. */
  finish(): void {
    this.flushPending();
    this.observeOutside();
  }

  private memoryBytes(): number {
    return this.memory === null ? 0 : this.memory.buffer.byteLength;
  }

  /** Growth since the last look, which happened outside any allocator call. */
  private observeOutside(): void {
    const now = this.memoryBytes();
    if (now > this.lastMemoryBytes) {
      this.record.growthOutsideAllocator.count++;
      this.record.growthOutsideAllocator.bytes += now - this.lastMemoryBytes;
      this.lastMemoryBytes = now;
      this.record.peakMemoryBytes = now;
    }
  }

  /** Growth of a call that ended without an allocation event (a failed allocation, a free). */
  private flushPending(): void {
    if (this.pendingGrowth === 0) return;
    this.record.growthUnattributed.count++;
    this.record.growthUnattributed.bytes += this.pendingGrowth;
    this.pendingGrowth = 0;
  }

  private enter(): void {
    this.flushPending();
    this.observeOutside();
    this.record.allocatorCalls++;
    this.enteredAt = this.clock();
  }

  private leave(): void {
    this.record.allocatorMsRaw += this.clock() - this.enteredAt;
    const now = this.memoryBytes();
    if (now > this.lastMemoryBytes) {
      this.pendingGrowth += now - this.lastMemoryBytes;
      this.lastMemoryBytes = now;
      this.record.peakMemoryBytes = now;
    }
  }

  private chargeGrowth(sites: number[]): void {
    if (this.pendingGrowth === 0) return;
    const key = sites.join(',');
    let g = this.record.growthBySites.get(key);
    if (g === undefined) {
      g = { sites, count: 0, bytes: 0 };
      this.record.growthBySites.set(key, g);
    }
    g.count++;
    g.bytes += this.pendingGrowth;
    this.pendingGrowth = 0;
  }

  private allocated(ptr: number, size: number, sites: number[]): void {
    this.chargeGrowth(sites);
    const r = this.record;
    // A pointer handed out twice without a free in between: a free the probe missed.
    if (this.live.has(ptr)) this.removeLive(ptr, false);
    const ordinal = r.allocations++;
    r.bytesRequested += size;
    const c = classOf(SIZE_CLASS_BOUNDS, size);
    r.sizeClassCounts[c]!++;
    r.sizeClassBytes[c]! += size;
    this.live.set(ptr, { size, ordinal, site: sites[0] ?? 0 });
    r.liveBlocks++;
    r.liveBytes += size;
    if (r.liveBytes > r.peakLiveBytes) r.peakLiveBytes = r.liveBytes;
    if (r.liveBlocks > r.peakLiveBlocks) r.peakLiveBlocks = r.liveBlocks;
  }

  private freed(ptr: number): void {
    if (ptr === 0) return; // free(NULL): not a block
    if (!this.removeLive(ptr, true)) this.record.unknownFrees++;
  }

  /** Removes a live block; counts a free and its lifetime when `counted`. False if unknown. */
  private removeLive(ptr: number, counted: boolean): boolean {
    const block = this.live.get(ptr);
    if (block === undefined) return false;
    this.live.delete(ptr);
    const r = this.record;
    r.liveBlocks--;
    r.liveBytes -= block.size;
    if (!counted) return true;
    r.frees++;
    // Allocations made after this block's, before its free.
    const lifetime = r.allocations - block.ordinal - 1;
    r.lifetimes[classOf(LIFETIME_BOUNDS, lifetime)]!++;
    if (lifetime === 0) {
      let t = r.temporaryBySite.get(block.site);
      if (t === undefined) {
        t = { site: block.site, count: 0, bytes: 0 };
        r.temporaryBySite.set(block.site, t);
      }
      t.count++;
      t.bytes += block.size;
    }
    return true;
  }

  /** A realloc as the trace table sees it (docs/abi.md §2): free of the old block, allocation of the new. */
  private reallocated(old: number, ptr: number, size: number, sites: number[]): void {
    if (ptr === 0) {
      // Failed (old stays), or realloc(p, 0) returning NULL: the table frees p only if told to;
      // the probe keeps the block, as the table does by default.
      this.flushPending();
      return;
    }
    this.record.reallocs++;
    if (old !== 0) this.freed(old);
    this.allocated(ptr, size, sites);
  }
}

/**
 * A module that calls its imports `p.e` then `p.l`, n times: `run(n)`. Hand-assembled (no
 * Binaryen at run time); the same Wasm → JS → Wasm round trip as the allocator hooks, with
 * nothing in between. In wat:
 *   (import "p" "e" (func)) (import "p" "l" (func))
 *   (func (export "run") (param i32) (loop (call 0) (call 1)
 *     (br_if 0 (local.tee 0 (i32.sub (local.get 0) (i32.const 1))))))
 */
const EMPTY_BRACKET_MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x08, 0x02, 0x60, 0x00, 0x00, 0x60, 0x01, 0x7f, 0x00, // types: () → (), (i32) → ()
  0x02, 0x0d, 0x02, 0x01, 0x70, 0x01, 0x65, 0x00, 0x00, 0x01, 0x70, 0x01, 0x6c, 0x00, 0x00, // imports p.e, p.l
  0x03, 0x02, 0x01, 0x01, // one function of type 1
  0x07, 0x07, 0x01, 0x03, 0x72, 0x75, 0x6e, 0x00, 0x02, // export "run" = function 2
  0x0a, 0x14, 0x01, 0x12, 0x00, 0x03, 0x40, 0x10, 0x00, 0x10, 0x01, 0x20, 0x00, 0x41, 0x01, 0x6b, 0x22, 0x00, 0x0d, 0x00, 0x0b, 0x0b,
]);

/**
 * Milliseconds that one empty enter/leave bracket measures (the clock's own cost and the two
 * calls), the median of `rounds` rounds of `calls` brackets: the bench subtracts it per
 * allocator call from the time measured inside the allocator.
 */
export function emptyBracketMs(clock: () => number = () => performance.now(), calls = 200_000, rounds = 5): number {
  let entered = 0;
  let sum = 0;
  const instance = new WebAssembly.Instance(new WebAssembly.Module(EMPTY_BRACKET_MODULE), {
    p: { e: () => { entered = clock(); }, l: () => { sum += clock() - entered; } },
  });
  const run = instance.exports['run'] as (n: number) => void;
  run(calls); // warm up: let both calls reach the optimizing tier
  const perCall: number[] = [];
  for (let r = 0; r < rounds; r++) {
    sum = 0;
    run(calls);
    perCall.push(sum / calls);
  }
  perCall.sort((a, b) => a - b);
  return perCall[Math.floor(rounds / 2)]!;
}
