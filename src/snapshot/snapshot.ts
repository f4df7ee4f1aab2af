// Snapshot: the traces of the live memory blocks at one moment, and CPython's operations on
// them (statistics, compareTo, filterTraces), computed on interned tables (see store.ts).

import { Filter } from './filter.js';
import { Traceback, toFrame, type FrameLike } from './frame.js';
import { checkGroupBy, groupTraces, mapKeys, type GroupBy, type Groups } from './group.js';
import { makeMeta, type SnapshotMeta, type SnapshotMetaInput } from './meta.js';
import { decodeSnapshot, encodeSnapshot } from './format.js';
import { Statistic, StatisticDiff } from './statistic.js';
import { StoreBuilder, TraceStore, UNKNOWN_TOTAL } from './store.js';
import { formatSize } from './pytext.js';

/** One memory block: its size and the traceback where it was allocated. */
export class Trace {
  constructor(
    readonly size: number,
    readonly traceback: Traceback,
  ) {}

  /** CPython's `str(trace)`: `<oldest frame>: <size>`, e.g. `b.py:4: 10 B`. */
  toString(): string {
    return `${this.traceback}: ${formatSize(this.size, false)}`;
  }

  /** Same size, same frames and same totalNframe. */
  equals(other: Trace): boolean {
    return (
      this.size === other.size &&
      this.traceback.totalNframe === other.traceback.totalNframe &&
      this.traceback.equals(other.traceback)
    );
  }
}

/**
 * A trace given to `new Snapshot`: CPython's raw trace tuple (domain, size, frames,
 * total_nframe) without the domain. `traceback` lists frames most recent first;
 * `totalNframe`, when given, overrides the Traceback's.
 */
export interface TraceInput {
  readonly size: number;
  readonly traceback: Traceback | Iterable<FrameLike>;
  readonly totalNframe?: number | undefined;
}

/** Traces whose tracebacks are already interned, as the host's trace table holds them. */
export interface InternedTraces {
  /** Traceback of each id. Ids no trace refers to may be null/undefined (sparse tables). */
  readonly tracebacks: readonly (Traceback | null | undefined)[];
  /** Traceback id of each trace. */
  readonly traceTracebackIds: Uint32Array;
  /** Size of each trace in bytes (non-negative safe integers). */
  readonly traceSizes: Float64Array | Uint32Array;
  readonly tracebackLimit: number;
  readonly meta?: SnapshotMetaInput | undefined;
}

function checkSize(size: number, index: number): void {
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new RangeError(`trace ${index}: size must be a non-negative safe integer, got ${size}`);
  }
}

/** Snapshot of the traces of memory blocks. Immutable. */
export class Snapshot {
  /** Most frames stored per traceback (`start(nframe)` at snapshot time). */
  readonly tracebackLimit!: number;
  /** Where the snapshot comes from; see SnapshotMeta. */
  readonly meta!: SnapshotMeta;
  private readonly store!: TraceStore;
  private readonly traceTb!: Uint32Array;
  private readonly traceSize!: Float64Array;
  private materialized: readonly Trace[] | undefined;

  /**
   * A snapshot from plain traces, like CPython's `Snapshot(traces, traceback_limit)`.
   * Every traceback must have at least one frame.
   */
  constructor(traces: Iterable<TraceInput>, tracebackLimit: number, meta?: SnapshotMetaInput) {
    const builder = new StoreBuilder();
    const tb: number[] = [];
    const sizes: number[] = [];
    const byIterable = new Map<object, number>();
    let i = 0;
    for (const trace of traces) {
      checkSize(trace.size, i);
      const given = trace.traceback;
      const explicit = trace.totalNframe;
      if (explicit !== undefined && (!Number.isInteger(explicit) || explicit < 0 || explicit >= UNKNOWN_TOTAL)) {
        throw new RangeError(`trace ${i}: totalNframe must be an integer in [0, 4294967294], got ${explicit}`);
      }
      let id: number;
      if (given instanceof Traceback) {
        id = builder.internTracebackObject(given, explicit ?? given.totalNframe);
      } else {
        const total = explicit ?? UNKNOWN_TOTAL;
        const cached = byIterable.get(given);
        if (cached !== undefined && builder.tracebackTotal(cached) === total) {
          id = cached;
        } else {
          const frameIds = Array.from(given, (f: FrameLike) => builder.internFrameObject(toFrame(f)));
          id = builder.internTraceback(frameIds, total);
          byIterable.set(given, id);
        }
      }
      tb.push(id);
      sizes.push(trace.size + 0); // -0 → 0
      i++;
    }
    Snapshot.init(this, builder.build(), Uint32Array.from(tb), Float64Array.from(sizes), makeMeta(tracebackLimit, meta));
  }

  private static init(s: Snapshot, store: TraceStore, traceTb: Uint32Array, traceSize: Float64Array, meta: SnapshotMeta): Snapshot {
    const w = s as unknown as {
      store: TraceStore;
      traceTb: Uint32Array;
      traceSize: Float64Array;
      meta: SnapshotMeta;
      tracebackLimit: number;
      materialized: undefined;
    };
    w.store = store;
    w.traceTb = traceTb;
    w.traceSize = traceSize;
    w.meta = meta;
    w.tracebackLimit = meta.tracebackLimit;
    w.materialized = undefined;
    return s;
  }

  private static fromParts(store: TraceStore, traceTb: Uint32Array, traceSize: Float64Array, meta: SnapshotMeta): Snapshot {
    return Snapshot.init(Object.create(Snapshot.prototype) as Snapshot, store, traceTb, traceSize, meta);
  }

  /**
   * A snapshot from traces whose tracebacks are interned: no object per trace is made (the
   * `traces` getter makes them on first use). The arrays are copied; equal tracebacks given
   * under different ids are merged.
   */
  static fromInterned(input: InternedTraces): Snapshot {
    const { tracebacks, traceTracebackIds: ids, traceSizes } = input;
    if (ids.length !== traceSizes.length) {
      throw new RangeError(`traceTracebackIds has ${ids.length} entries but traceSizes has ${traceSizes.length}`);
    }
    const builder = new StoreBuilder();
    const remap = new Int32Array(tracebacks.length).fill(-1);
    for (let k = 0; k < tracebacks.length; k++) {
      const t = tracebacks[k];
      if (t === null || t === undefined) continue;
      if (!(t instanceof Traceback)) throw new TypeError(`tracebacks[${k}] is not a Traceback`);
      remap[k] = builder.internTracebackObject(t, t.totalNframe, false); // each object comes once
    }
    const n = ids.length;
    const traceTb = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const m = remap[ids[i]!];
      if (m === undefined || m < 0) {
        throw new RangeError(`trace ${i}: traceback id ${ids[i]} has no traceback (${tracebacks.length} given)`);
      }
      traceTb[i] = m;
    }
    let traceSize: Float64Array;
    if (traceSizes instanceof Float64Array) {
      traceSize = new Float64Array(traceSizes);
      for (let i = 0; i < n; i++) {
        const s = traceSize[i]!;
        if (s >>> 0 !== s) checkSize(s, i); // integers below 2^32 (almost every block) pass fast
        else if (s === 0) traceSize[i] = 0; // -0 → 0
      }
    } else {
      traceSize = Float64Array.from(traceSizes);
    }
    return Snapshot.fromParts(builder.build(), traceTb, traceSize, makeMeta(input.tracebackLimit, input.meta));
  }

  /** Reads a snapshot written by `toBytes` (see docs/snapshot-format.md). Throws SnapshotFormatError. */
  static fromBytes(bytes: Uint8Array): Snapshot {
    const d = decodeSnapshot(bytes);
    return Snapshot.fromParts(d.store, d.traceTb, d.traceSize, d.meta);
  }

  /** The snapshot in the binary dump format (see docs/snapshot-format.md). */
  toBytes(): Uint8Array {
    return encodeSnapshot({ store: this.store, traceTb: this.traceTb, traceSize: this.traceSize, meta: this.meta });
  }

  /** Number of traces (without materializing them). */
  get traceCount(): number {
    return this.traceTb.length;
  }

  /**
   * The traces, in the order they were given. Made on first access and kept: one Trace per
   * block, sharing one Traceback per distinct traceback.
   */
  get traces(): readonly Trace[] {
    if (this.materialized === undefined) {
      const out: Trace[] = new Array<Trace>(this.traceTb.length);
      for (let i = 0; i < out.length; i++) out[i] = new Trace(this.traceSize[i]!, this.store.traceback(this.traceTb[i]!));
      this.materialized = Object.freeze(out);
    }
    return this.materialized;
  }

  private group(groupBy: GroupBy, cumulative: boolean): Groups {
    return groupTraces(this.store, this.traceTb, this.traceSize, this.meta.samplingInterval, groupBy, cumulative);
  }

  private groupTraceback(groupBy: GroupBy, key: number): Traceback {
    return tracebackOfKey(this.store, groupBy, key);
  }

  /**
   * Statistics grouped by `groupBy`, biggest first by (size, count, traceback):
   * 'filename' (shown with line 0), 'lineno' (the most recent frame), 'traceback'.
   * `cumulative` counts every frame of each traceback, not only the most recent
   * ('filename' and 'lineno' only; a frame present twice in a traceback counts twice, as in
   * CPython). With a sampling interval, sizes and counts are rounded estimates.
   */
  statistics(groupBy: GroupBy, cumulative = false): Statistic[] {
    checkGroupBy(groupBy, cumulative);
    const g = this.group(groupBy, cumulative);
    const out: Statistic[] = new Array<Statistic>(g.keys.length);
    for (let k = 0; k < out.length; k++) {
      out[k] = new Statistic(this.groupTraceback(groupBy, g.keys[k]!), g.sizes[k]!, g.counts[k]!);
    }
    return out.sort(Statistic.compare);
  }

  /**
   * Differences from `old`, grouped as `statistics` groups, biggest first by
   * (|sizeDiff|, size, |countDiff|, count, traceback). Groups only in `old` appear with
   * size 0 and count 0.
   */
  compareTo(old: Snapshot, groupBy: GroupBy, cumulative = false): StatisticDiff[] {
    checkGroupBy(groupBy, cumulative);
    if (!(old instanceof Snapshot)) throw new TypeError('compareTo expects a Snapshot');
    const now = this.group(groupBy, cumulative);
    const before = old.group(groupBy, cumulative);
    const mapped = mapKeys(old.store, this.store, groupBy, before.keys);
    // new key id → index in `before`, or -1
    const keySpace =
      groupBy === 'filename'
        ? this.store.filenames.length
        : groupBy === 'lineno'
          ? this.store.frameFile.length
          : this.store.sequenceCount;
    const oldIndex = new Int32Array(keySpace).fill(-1);
    for (let k = 0; k < mapped.length; k++) if (mapped[k]! >= 0) oldIndex[mapped[k]!] = k;
    const out: StatisticDiff[] = [];
    for (let k = 0; k < now.keys.length; k++) {
      const key = now.keys[k]!;
      const size = now.sizes[k]!;
      const count = now.counts[k]!;
      const o = oldIndex[key]!;
      const tb = this.groupTraceback(groupBy, key);
      if (o >= 0) out.push(new StatisticDiff(tb, size, size - before.sizes[o]!, count, count - before.counts[o]!));
      else out.push(new StatisticDiff(tb, size, size, count, count));
    }
    const present = new Uint8Array(before.keys.length);
    for (let k = 0; k < now.keys.length; k++) {
      const o = oldIndex[now.keys[k]!]!;
      if (o >= 0) present[o] = 1;
    }
    for (let o = 0; o < before.keys.length; o++) {
      if (present[o]) continue;
      const tb = old.groupTraceback(groupBy, before.keys[o]!);
      // 0 - x, not -x: a vanished group of size 0 has sizeDiff +0, never -0 ("-0 B")
      out.push(new StatisticDiff(tb, 0, 0 - before.sizes[o]!, 0, 0 - before.counts[o]!));
    }
    return out.sort(StatisticDiff.compare);
  }

  /**
   * A new snapshot with the traces that pass `filters`: kept if at least one inclusive filter
   * matches (when there are inclusive filters) and every exclusive filter passes it. An empty
   * list gives a copy. Metadata is carried over unchanged.
   */
  filterTraces(filters: Iterable<Filter>): Snapshot {
    if (filters === null || filters === undefined || typeof (filters as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function') {
      const name = filters === null ? 'null' : filters === undefined ? 'undefined' : (filters as object).constructor?.name;
      throw new TypeError(`filters must be a list of filters, not ${name}`);
    }
    const list = Array.from(filters);
    for (const f of list) if (!(f instanceof Filter)) throw new TypeError('filters must be Filter instances');
    if (list.length === 0) return Snapshot.fromParts(this.store, this.traceTb, this.traceSize, this.meta);
    const include = list.filter((f) => f.inclusive);
    const exclude = list.filter((f) => !f.inclusive);
    const keep = tracebackVerdicts(this.store, include, exclude);
    const n = this.traceTb.length;
    let kept = 0;
    for (let i = 0; i < n; i++) if (keep[this.traceTb[i]!]) kept++;
    const traceTb = new Uint32Array(kept);
    const traceSize = new Float64Array(kept);
    for (let i = 0, j = 0; i < n; i++) {
      const tb = this.traceTb[i]!;
      if (!keep[tb]) continue;
      traceTb[j] = tb;
      traceSize[j] = this.traceSize[i]!;
      j++;
    }
    return Snapshot.fromParts(this.store, traceTb, traceSize, this.meta);
  }
}

/** The Traceback that a statistic of group `key` shows. */
function tracebackOfKey(store: TraceStore, groupBy: GroupBy, key: number): Traceback {
  if (groupBy === 'traceback') return store.sequence(key);
  if (groupBy === 'lineno') return store.lineTraceback(key);
  return store.fileTraceback(key);
}

/**
 * For each traceback id, whether its traces pass the filters (CPython's
 * `Snapshot._filter_trace`, which only looks at the traceback). File name matches are
 * computed once per (filter, file).
 */
function tracebackVerdicts(store: TraceStore, include: readonly Filter[], exclude: readonly Filter[]): Uint8Array {
  const nfiles = store.filenames.length;
  const caches = new Map<Filter, Uint8Array>(); // per filter, per file: 0 not yet known, 1 no, 2 yes
  for (const f of [...include, ...exclude]) caches.set(f, new Uint8Array(nfiles));
  const frameMatches = (f: Filter, frame: number): boolean => {
    const cache = caches.get(f)!;
    const file = store.frameFile[frame]!;
    let v = cache[file]!;
    if (v === 0) {
      v = f.matchFilename(store.filenames[file]!) ? 2 : 1;
      cache[file] = v;
    }
    return v === 2 && (f.lineno === null || f.lineno === store.frameLine[frame]);
  };
  // CPython's Filter._match on a trace: true = the trace passes this filter
  const passes = (f: Filter, tb: number): boolean => {
    const start = store.tbStart[tb]!;
    if (f.allFrames) {
      const end = store.tbStart[tb + 1]!;
      for (let k = start; k < end; k++) if (frameMatches(f, store.tbFrames[k]!)) return f.inclusive;
      return !f.inclusive;
    }
    return frameMatches(f, store.tbFrames[start]!) !== !f.inclusive;
  };
  const ntb = store.tracebackCount;
  const keep = new Uint8Array(ntb);
  for (let tb = 0; tb < ntb; tb++) {
    let ok = include.length === 0 || include.some((f) => passes(f, tb));
    if (ok) ok = !exclude.some((f) => !passes(f, tb));
    keep[tb] = ok ? 1 : 0;
  }
  return keep;
}
