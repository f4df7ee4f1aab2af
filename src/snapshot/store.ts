// The interned tables behind a Snapshot: file names, frames and tracebacks, each stored once
// and named by a small integer, so that a million traces are two typed arrays
// (traceback id, size) and every statistic is computed by integer grouping.
//
//   filenames    string[]                 file id  → name
//   frameFile    Uint32Array              frame id → file id
//   frameLine    Uint32Array              frame id → line number
//   tbStart      Uint32Array (ntb + 1)    traceback id → [tbStart[id], tbStart[id+1]) in tbFrames
//   tbFrames     Uint32Array              frame ids, most recent first
//   tbTotal      Uint32Array              traceback id → totalNframe, or UNKNOWN_TOTAL
//   tbSeq        Uint32Array              traceback id → frame-sequence id
//   seqTb        Uint32Array              sequence id → one traceback id with these frames
//
// A traceback is the pair (frames, totalNframe), as a trace records it; a frame sequence is
// the frames alone. CPython groups `statistics('traceback')` by the frames alone, so two
// traces that differ only by totalNframe land in one group: that group is the sequence id.
// Every table is deduplicated by value, so equal ids ⇔ equal values within one store.
// A store is immutable once built and shared by the snapshots filtered from one another.
//
// Lookups by value: file names in a Map<string, id>; frames in one Map<line, id> per file
// (small-integer keys hash fast); tracebacks and sequences in Maps from a 30-bit hash of the
// frame ids to the ids that have it (a number, or an array on collision) — no string keys.

import { Frame, Traceback, tracebackOf } from './frame.js';

/** tbTotal value for "totalNframe unknown". */
export const UNKNOWN_TOTAL = 0xffffffff;

/** Ids under one hash: a single id, or several on a collision. */
type Bucket = number | number[];

/** 30-bit hash of frame ids (a Smi, so that Map lookups stay fast). */
export function hashFrames(ids: ArrayLike<number>, start: number, end: number): number {
  let h = 0x811c9dc5 ^ (end - start);
  for (let k = start; k < end; k++) {
    h = Math.imul(h ^ ids[k]!, 0x5bd1e995);
    h ^= h >>> 15;
  }
  return finish(h);
}

function finish(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) & 0x3fffffff;
}

function hashTraceback(seqHash: number, total: number): number {
  return finish(seqHash ^ Math.imul(total | 0, 0x9e3779b1));
}

function bucketAdd(map: Map<number, Bucket>, hash: number, id: number): void {
  const b = map.get(hash);
  if (b === undefined) map.set(hash, id);
  else if (typeof b === 'number') map.set(hash, [b, id]);
  else b.push(id);
}

/** The first id of the bucket for which `same(id)` holds, or -1. */
function bucketFind(map: Map<number, Bucket>, hash: number, same: (id: number) => boolean): number {
  const b = map.get(hash);
  if (b === undefined) return -1;
  if (typeof b === 'number') return same(b) ? b : -1;
  for (const id of b) if (same(id)) return id;
  return -1;
}

/** Whether frames [start, end) of `tbFrames` equal `ids`. */
function sameFrames(tbFrames: ArrayLike<number>, start: number, end: number, ids: ArrayLike<number>): boolean {
  if (end - start !== ids.length) return false;
  for (let k = 0; k < ids.length; k++) if (tbFrames[start + k] !== ids[k]) return false;
  return true;
}

export class TraceStore {
  private readonly frameObjs: (Frame | undefined)[];
  private readonly tbObjs: (Traceback | undefined)[];
  private readonly seqObjs: (Traceback | undefined)[] = [];
  private readonly lineObjs: (Traceback | undefined)[] = [];
  private readonly fileObjs: (Traceback | undefined)[] = [];

  constructor(
    readonly filenames: readonly string[],
    readonly frameFile: Uint32Array,
    readonly frameLine: Uint32Array,
    readonly tbStart: Uint32Array,
    readonly tbFrames: Uint32Array,
    readonly tbTotal: Uint32Array,
    readonly tbSeq: Uint32Array,
    readonly seqTb: Uint32Array,
    private readonly filenameIndex: ReadonlyMap<string, number>,
    private readonly fileLines: readonly (ReadonlyMap<number, number> | undefined)[],
    private readonly seqBuckets: ReadonlyMap<number, Bucket>,
    frameObjs: (Frame | undefined)[],
    tbObjs: (Traceback | undefined)[],
  ) {
    this.frameObjs = frameObjs;
    this.tbObjs = tbObjs;
  }

  get tracebackCount(): number {
    return this.tbTotal.length;
  }

  get sequenceCount(): number {
    return this.seqTb.length;
  }

  /** File id of a name, or -1. */
  findFile(name: string): number {
    return this.filenameIndex.get(name) ?? -1;
  }

  /** Frame id of (file id, line), or -1. */
  findFrame(fileId: number, lineno: number): number {
    return this.fileLines[fileId]?.get(lineno) ?? -1;
  }

  /** Sequence id of frame ids (most recent first), or -1. */
  findSequence(frameIds: readonly number[]): number {
    const { tbStart, tbFrames, seqTb } = this;
    return bucketFind(this.seqBuckets as Map<number, Bucket>, hashFrames(frameIds, 0, frameIds.length), (seq) => {
      const tb = seqTb[seq]!;
      return sameFrames(tbFrames, tbStart[tb]!, tbStart[tb + 1]!, frameIds);
    });
  }

  /** The Frame of a frame id (one object per id). */
  frame(id: number): Frame {
    let f = this.frameObjs[id];
    if (f === undefined) {
      f = new Frame(this.filenames[this.frameFile[id]!]!, this.frameLine[id]!);
      this.frameObjs[id] = f;
    }
    return f;
  }

  /** The Traceback of a traceback id, with its totalNframe (one object per id). */
  traceback(id: number): Traceback {
    let tb = this.tbObjs[id];
    if (tb === undefined) {
      const seq = this.sequence(this.tbSeq[id]!);
      const total = this.tbTotal[id]!;
      tb = tracebackOf(seq.frames, total === UNKNOWN_TOTAL ? undefined : total);
      this.tbObjs[id] = tb;
    }
    return tb;
  }

  /** The frames of a sequence id as a Traceback without totalNframe, as statistics show it. */
  sequence(seq: number): Traceback {
    let tb = this.seqObjs[seq];
    if (tb === undefined) {
      const id = this.seqTb[seq]!;
      const known = this.tbObjs[id];
      let frames: readonly Frame[];
      if (known !== undefined) {
        frames = known.frames;
      } else {
        const out: Frame[] = [];
        for (let k = this.tbStart[id]!; k < this.tbStart[id + 1]!; k++) out.push(this.frame(this.tbFrames[k]!));
        frames = Object.freeze(out);
      }
      tb = tracebackOf(frames, undefined);
      this.seqObjs[seq] = tb;
    }
    return tb;
  }

  /** The one-frame Traceback that `statistics('lineno')` shows for a frame id. */
  lineTraceback(frame: number): Traceback {
    let tb = this.lineObjs[frame];
    if (tb === undefined) {
      tb = tracebackOf(Object.freeze([this.frame(frame)]), undefined);
      this.lineObjs[frame] = tb;
    }
    return tb;
  }

  /** The Traceback `file:0` that `statistics('filename')` shows for a file id. */
  fileTraceback(file: number): Traceback {
    let tb = this.fileObjs[file];
    if (tb === undefined) {
      tb = tracebackOf(Object.freeze([new Frame(this.filenames[file]!, 0)]), undefined);
      this.fileObjs[file] = tb;
    }
    return tb;
  }
}

/** Builds a TraceStore, deduplicating file names, frames and tracebacks by value. */
export class StoreBuilder {
  private readonly filenames: string[] = [];
  private readonly filenameIndex = new Map<string, number>();
  private readonly frameFile: number[] = [];
  private readonly frameLine: number[] = [];
  private readonly fileLines: (Map<number, number> | undefined)[] = [];
  private readonly frameObjs: (Frame | undefined)[] = [];
  private readonly tbStart: number[] = [0];
  private readonly tbFrames: number[] = [];
  private readonly tbTotal: number[] = [];
  private readonly tbSeq: number[] = [];
  private readonly tbBuckets = new Map<number, Bucket>();
  private readonly tbObjs: (Traceback | undefined)[] = [];
  private readonly tbByObject = new Map<object, number>();
  private readonly seqBuckets = new Map<number, Bucket>();
  private readonly seqTb: number[] = [];

  internFilename(name: string): number {
    let id = this.filenameIndex.get(name);
    if (id === undefined) {
      id = this.filenames.length;
      this.filenames.push(name);
      this.filenameIndex.set(name, id);
    }
    return id;
  }

  /** Frame id of (file id, line); `obj` is a Frame to reuse for it. */
  internFrame(fileId: number, lineno: number, obj?: Frame): number {
    let lines = this.fileLines[fileId];
    if (lines === undefined) {
      lines = new Map<number, number>();
      this.fileLines[fileId] = lines;
    }
    let id = lines.get(lineno);
    if (id === undefined) {
      id = this.frameFile.length;
      this.frameFile.push(fileId);
      this.frameLine.push(lineno);
      this.frameObjs.push(obj);
      lines.set(lineno, id);
    }
    return id;
  }

  /**
   * Frame id of a Frame. (No identity cache: a Map keyed by objects costs ~1 µs per new
   * object, as V8 must give each one a hash; two string/number lookups are cheaper.)
   */
  internFrameObject(frame: Frame): number {
    return this.internFrame(this.internFilename(frame.filename), frame.lineno, frame);
  }

  /**
   * Traceback id of (frame ids most recent first, totalNframe or UNKNOWN_TOTAL); `obj` is a
   * Traceback with exactly these values to reuse for it.
   */
  internTraceback(frameIds: readonly number[], total: number, obj?: Traceback): number {
    if (frameIds.length === 0) throw new RangeError('a trace needs a traceback of at least one frame (use "<unknown>", 0)');
    const { tbStart, tbFrames, tbTotal } = this;
    const seqHash = hashFrames(frameIds, 0, frameIds.length);
    const hash = hashTraceback(seqHash, total);
    const found = bucketFind(
      this.tbBuckets,
      hash,
      (tb) => tbTotal[tb] === total && sameFrames(tbFrames, tbStart[tb]!, tbStart[tb + 1]!, frameIds),
    );
    if (found >= 0) return found;
    const id = tbTotal.length;
    for (const f of frameIds) tbFrames.push(f);
    tbStart.push(tbFrames.length);
    tbTotal.push(total);
    this.tbObjs.push(obj);
    bucketAdd(this.tbBuckets, hash, id);
    const seqTb = this.seqTb;
    let seq = bucketFind(this.seqBuckets, seqHash, (s) => {
      const tb = seqTb[s]!;
      return sameFrames(tbFrames, tbStart[tb]!, tbStart[tb + 1]!, frameIds);
    });
    if (seq < 0) {
      seq = seqTb.length;
      seqTb.push(id);
      bucketAdd(this.seqBuckets, seqHash, seq);
    }
    this.tbSeq.push(seq);
    return id;
  }

  /** totalNframe (or UNKNOWN_TOTAL) of a traceback id. */
  tracebackTotal(id: number): number {
    return this.tbTotal[id]!;
  }

  /**
   * Traceback id of a Traceback object, totalNframe overridable. `cache`: remember the object
   * (worth it when the same object comes back, as traces share tracebacks).
   */
  internTracebackObject(tb: Traceback, total: number | undefined = tb.totalNframe, cache = true): number {
    const sameTotal = total === tb.totalNframe;
    if (sameTotal && cache) {
      const id = this.tbByObject.get(tb);
      if (id !== undefined) return id;
    }
    const frames = tb.frames;
    const ids: number[] = new Array<number>(frames.length);
    for (let k = 0; k < frames.length; k++) ids[k] = this.internFrameObject(frames[k]!);
    const id = this.internTraceback(ids, total ?? UNKNOWN_TOTAL, sameTotal ? tb : undefined);
    if (sameTotal && cache) this.tbByObject.set(tb, id);
    return id;
  }

  build(): TraceStore {
    return new TraceStore(
      this.filenames,
      Uint32Array.from(this.frameFile),
      Uint32Array.from(this.frameLine),
      Uint32Array.from(this.tbStart),
      Uint32Array.from(this.tbFrames),
      Uint32Array.from(this.tbTotal),
      Uint32Array.from(this.tbSeq),
      Uint32Array.from(this.seqTb),
      this.filenameIndex,
      this.fileLines,
      this.seqBuckets,
      this.frameObjs,
      this.tbObjs,
    );
  }
}
