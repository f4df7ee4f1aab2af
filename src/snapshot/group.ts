// Grouping traces into statistics, on the interned tables: CPython's `Snapshot._group_by`
// done with integer keys and typed arrays.
//
// CPython's rules (Lib/tracemalloc.py, 3.12), kept to the letter:
//   'traceback'  key = the trace's frames (totalNframe ignored)
//   'lineno'     key = its most recent frame
//   'filename'   key = the file of its most recent frame, shown with line 0
//   cumulative   ('lineno' and 'filename' only) every frame of the traceback counts the
//                trace once — per occurrence: a frame that appears twice in one traceback
//                (recursion), or a file that appears in several frames, counts it twice.
//
// Sampling (meta.samplingInterval = T > 0, a Poisson byte sampler of mean T bytes): a sampled
// block of size s was kept with probability p = 1 − exp(−s/T), so it stands for s/p bytes and
// 1/p blocks (the heapprofd / jemalloc estimator). Group sums are estimates and are rounded to
// the nearest integer, sizes and counts both, before they are compared or printed. A block of
// size 0 cannot be picked by a byte sampler; if one is present it counts as 1 block, 0 bytes.

import type { TraceStore } from './store.js';

export type GroupBy = 'filename' | 'lineno' | 'traceback';

/** The groups of one snapshot for one (groupBy, cumulative). */
export interface Groups {
  /** Group key ids: file ids ('filename'), frame ids ('lineno'), sequence ids ('traceback'). */
  readonly keys: Uint32Array;
  readonly sizes: Float64Array;
  readonly counts: Float64Array;
}

/** Totals per traceback id: sum of (estimated) sizes and counts of the traces. */
function perTraceback(
  store: TraceStore,
  traceTb: Uint32Array,
  traceSize: Float64Array,
  samplingInterval: number,
): { sizes: Float64Array; counts: Float64Array } {
  const ntb = store.tracebackCount;
  const sizes = new Float64Array(ntb);
  const counts = new Float64Array(ntb);
  const n = traceTb.length;
  if (samplingInterval > 0) {
    const t = samplingInterval;
    for (let i = 0; i < n; i++) {
      const tb = traceTb[i]!;
      const s = traceSize[i]!;
      if (s > 0) {
        const w = -1 / Math.expm1(-s / t); // 1 / (1 − exp(−s/T))
        sizes[tb] += s * w;
        counts[tb] += w;
      } else {
        counts[tb] += 1;
      }
    }
  } else {
    for (let i = 0; i < n; i++) {
      const tb = traceTb[i]!;
      sizes[tb] += traceSize[i]!;
      counts[tb]++;
    }
  }
  return { sizes, counts };
}

/** Checks groupBy/cumulative with CPython's rules and messages. */
export function checkGroupBy(groupBy: unknown, cumulative: boolean): asserts groupBy is GroupBy {
  if (groupBy !== 'traceback' && groupBy !== 'filename' && groupBy !== 'lineno') {
    throw new RangeError(`unknown key_type: ${reprKey(groupBy)}`);
  }
  if (cumulative && groupBy === 'traceback') {
    throw new RangeError(
      "cumulative mode cannot be used with key type 'traceback': it adds up the frames of each traceback, " +
        "so it only applies to 'filename' and 'lineno'",
    );
  }
}

function reprKey(v: unknown): string {
  return typeof v === 'string' ? `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : String(v);
}

/** Groups the traces; keys come out in first-seen order of their traceback ids. */
export function groupTraces(
  store: TraceStore,
  traceTb: Uint32Array,
  traceSize: Float64Array,
  samplingInterval: number,
  groupBy: GroupBy,
  cumulative: boolean,
): Groups {
  checkGroupBy(groupBy, cumulative);
  const per = perTraceback(store, traceTb, traceSize, samplingInterval);
  const keySpace =
    groupBy === 'filename' ? store.filenames.length : groupBy === 'lineno' ? store.frameFile.length : store.sequenceCount;
  const gSizes = new Float64Array(keySpace);
  const gCounts = new Float64Array(keySpace);
  const { tbStart, tbFrames, frameFile, tbSeq } = store;
  const ntb = store.tracebackCount;
  for (let tb = 0; tb < ntb; tb++) {
    const c = per.counts[tb]!;
    if (c === 0) continue;
    const s = per.sizes[tb]!;
    if (!cumulative) {
      const first = tbFrames[tbStart[tb]!]!;
      const key = groupBy === 'traceback' ? tbSeq[tb]! : groupBy === 'lineno' ? first : frameFile[first]!;
      gSizes[key] += s;
      gCounts[key] += c;
    } else {
      const end = tbStart[tb + 1]!;
      for (let k = tbStart[tb]!; k < end; k++) {
        const frame = tbFrames[k]!;
        const key = groupBy === 'lineno' ? frame : frameFile[frame]!;
        gSizes[key] += s;
        gCounts[key] += c;
      }
    }
  }
  let n = 0;
  for (let key = 0; key < keySpace; key++) if (gCounts[key] !== 0) n++;
  const keys = new Uint32Array(n);
  const sizes = new Float64Array(n);
  const counts = new Float64Array(n);
  const round = samplingInterval > 0;
  for (let key = 0, g = 0; key < keySpace; key++) {
    if (gCounts[key] === 0) continue;
    keys[g] = key;
    sizes[g] = round ? Math.round(gSizes[key]!) : gSizes[key]!;
    counts[g] = round ? Math.round(gCounts[key]!) : gCounts[key]!;
    g++;
  }
  return { keys, sizes, counts };
}

/**
 * Maps the group keys of `from` (a key id in `from`'s store) to key ids in `to`'s store,
 * or -1 when `to` has no such file / frame / frame sequence.
 */
export function mapKeys(from: TraceStore, to: TraceStore, groupBy: GroupBy, keys: Uint32Array): Int32Array {
  const out = new Int32Array(keys.length);
  if (from === to) {
    out.set(keys);
    return out;
  }
  const fileMap = new Int32Array(from.filenames.length).fill(-2); // -2: not looked up yet
  const mapFile = (f: number): number => {
    let m = fileMap[f]!;
    if (m === -2) {
      m = to.findFile(from.filenames[f]!);
      fileMap[f] = m;
    }
    return m;
  };
  const mapFrame = (fr: number): number => {
    const f = mapFile(from.frameFile[fr]!);
    if (f < 0) return -1;
    return to.findFrame(f, from.frameLine[fr]!);
  };
  for (let g = 0; g < keys.length; g++) {
    const key = keys[g]!;
    if (groupBy === 'filename') {
      out[g] = mapFile(key);
    } else if (groupBy === 'lineno') {
      out[g] = mapFrame(key);
    } else {
      const tb = from.seqTb[key]!;
      const ids: number[] = [];
      let ok = true;
      for (let k = from.tbStart[tb]!; k < from.tbStart[tb + 1]!; k++) {
        const m = mapFrame(from.tbFrames[k]!);
        if (m < 0) {
          ok = false;
          break;
        }
        ids.push(m);
      }
      out[g] = ok ? to.findSequence(ids) : -1;
    }
  }
  return out;
}
