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
//
// A traceback is the pair (frames, totalNframe), as a trace records it; a frame sequence is
// the frames alone. CPython groups `statistics('traceback')` by the frames alone, so two
// traces that differ only by totalNframe land in one group: that group is the sequence id.
// Every table is deduplicated by value, so equal ids ⇔ equal values within one store.
// A store is immutable once built and shared by the snapshots filtered from one another.

import { Frame, Traceback, tracebackOf } from './frame.js';

/** tbTotal value for "totalNframe unknown". */
export const UNKNOWN_TOTAL = 0xffffffff;

/** Key of a (file id, line) pair in `frameIndex`; file ids stay far below 2^21. */
export function frameKey(fileId: number, lineno: number): number {
  return fileId * 0x100000000 + lineno;
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
    /** sequence id → one traceback id that has this sequence */
    readonly seqTb: Uint32Array,
    readonly filenameIndex: ReadonlyMap<string, number>,
    readonly frameIndex: ReadonlyMap<number, number>,
    readonly seqIndex: ReadonlyMap<string, number>,
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
      const known = this.tbObjs[this.seqTb[seq]!];
      let frames: readonly Frame[];
      if (known !== undefined) {
        frames = known.frames;
      } else {
        const id = this.seqTb[seq]!;
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

  /** Most recent frame id of a traceback. */
  firstFrame(id: number): number {
    return this.tbFrames[this.tbStart[id]!]!;
  }
}

/** Builds a TraceStore, deduplicating file names, frames and tracebacks by value. */
export class StoreBuilder {
  private readonly filenames: string[] = [];
  private readonly filenameIndex = new Map<string, number>();
  private readonly frameFile: number[] = [];
  private readonly frameLine: number[] = [];
  private readonly frameIndex = new Map<number, number>();
  private readonly frameObjs: (Frame | undefined)[] = [];
  private readonly frameByObject = new Map<Frame, number>();
  private readonly tbStart: number[] = [0];
  private readonly tbFrames: number[] = [];
  private readonly tbTotal: number[] = [];
  private readonly tbSeq: number[] = [];
  private readonly tbIndex = new Map<string, number>();
  private readonly tbObjs: (Traceback | undefined)[] = [];
  private readonly tbByObject = new Map<object, number>();
  private readonly seqIndex = new Map<string, number>();
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
    const key = frameKey(fileId, lineno);
    let id = this.frameIndex.get(key);
    if (id === undefined) {
      id = this.frameFile.length;
      this.frameFile.push(fileId);
      this.frameLine.push(lineno);
      this.frameObjs.push(obj);
      this.frameIndex.set(key, id);
    }
    return id;
  }

  internFrameObject(frame: Frame): number {
    let id = this.frameByObject.get(frame);
    if (id === undefined) {
      id = this.internFrame(this.internFilename(frame.filename), frame.lineno, frame);
      this.frameByObject.set(frame, id);
    }
    return id;
  }

  /**
   * Traceback id of (frame ids most recent first, totalNframe or UNKNOWN_TOTAL); `obj` is a
   * Traceback with exactly these values to reuse for it.
   */
  internTraceback(frameIds: readonly number[], total: number, obj?: Traceback): number {
    if (frameIds.length === 0) throw new RangeError('a trace needs a traceback of at least one frame (use "<unknown>", 0)');
    const seqKey = frameIds.join(',');
    const key = `${seqKey};${total}`;
    let id = this.tbIndex.get(key);
    if (id === undefined) {
      id = this.tbTotal.length;
      for (const f of frameIds) this.tbFrames.push(f);
      this.tbStart.push(this.tbFrames.length);
      this.tbTotal.push(total);
      this.tbObjs.push(obj);
      this.tbIndex.set(key, id);
      let seq = this.seqIndex.get(seqKey);
      if (seq === undefined) {
        seq = this.seqTb.length;
        this.seqTb.push(id);
        this.seqIndex.set(seqKey, seq);
      }
      this.tbSeq.push(seq);
    }
    return id;
  }

  /** totalNframe (or UNKNOWN_TOTAL) of a traceback id. */
  tracebackTotal(id: number): number {
    return this.tbTotal[id]!;
  }

  /** Traceback id of a Traceback object (identity cached), totalNframe overridable. */
  internTracebackObject(tb: Traceback, total: number | undefined = tb.totalNframe): number {
    const sameTotal = total === tb.totalNframe;
    if (sameTotal) {
      const id = this.tbByObject.get(tb);
      if (id !== undefined) return id;
    }
    const ids: number[] = [];
    for (const f of tb.frames) ids.push(this.internFrameObject(f));
    const id = this.internTraceback(ids, total ?? UNKNOWN_TOTAL, sameTotal ? tb : undefined);
    if (sameTotal) this.tbByObject.set(tb, id);
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
      this.frameIndex,
      this.seqIndex,
      this.frameObjs,
      this.tbObjs,
    );
  }
}
