// Frame and Traceback: the call-site stack of a memory block.
//
// Order. The API reference says a Traceback is a sequence "sorted from the most recent frame to
// the oldest frame", and so is ours: `traceback.at(0)` is the allocation site. CPython ≥ 3.7
// (this file follows 3.12, whose Lib/tracemalloc.py is identical to 3.11's and 3.13's) stores
// and indexes frames the other way round, oldest first, and that leaks into three behaviours
// that users see and that we reproduce exactly:
//   - `str(traceback)` is `str(self[0])`, i.e. the OLDEST frame  → `Traceback.toString()`;
//   - `a < b` compares the oldest-first tuples of (filename, lineno) tuples lexicographically,
//     a shorter prefix sorting first                               → `Traceback.compare()`;
//   - `format(limit)` slices the oldest-first sequence             → `Traceback.format()`.
// Strings compare by code point, as Python's do (not by UTF-16 unit, as JavaScript's `<` does).

import { pyStrip } from './pytext.js';

/** A frame given as a Frame or as a `[filename, lineno]` pair, like CPython's frame tuples. */
export type FrameLike = Frame | readonly [filename: string, lineno: number];

/** Returns the source text of a line, or undefined/'' when unknown (like `linecache.getline`). */
export type SourceLineProvider = (filename: string, lineno: number) => string | undefined | null;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** One call site: a file name and a line number (0 when unknown). Immutable. */
export class Frame {
  readonly filename: string;
  readonly lineno: number;

  /**
   * @param filename any well-formed string (no lone UTF-16 surrogates: snapshots store UTF-8)
   * @param lineno an integer in [0, 2^32 - 1]
   */
  constructor(filename: string, lineno: number) {
    if (typeof filename !== 'string') throw new TypeError(`Frame filename must be a string, not ${typeof filename}`);
    if (LONE_SURROGATE.test(filename)) {
      throw new TypeError(`Frame filename ${JSON.stringify(filename)} contains a lone UTF-16 surrogate`);
    }
    if (!Number.isInteger(lineno) || lineno < 0 || lineno > 0xffffffff) {
      throw new RangeError(`Frame lineno must be an integer in [0, 4294967295], got ${lineno}`);
    }
    this.filename = filename;
    this.lineno = lineno;
  }

  /** `file:line`, like CPython's `str(frame)`. */
  toString(): string {
    return `${this.filename}:${this.lineno}`;
  }

  /** Same filename and line number. */
  equals(other: Frame): boolean {
    return this.filename === other.filename && this.lineno === other.lineno;
  }

  /** CPython's order of frames: by filename (code point order), then by line number. */
  static compare(a: Frame, b: Frame): number {
    if (a === b) return 0;
    return compareCodePoints(a.filename, b.filename) || a.lineno - b.lineno;
  }
}

/** Turns a FrameLike into a Frame. */
export function toFrame(frame: FrameLike): Frame {
  if (frame instanceof Frame) return frame;
  if (Array.isArray(frame) && frame.length === 2) return new Frame(frame[0], frame[1]);
  throw new TypeError(`expected a Frame or a [filename, lineno] pair, got ${String(frame)}`);
}

/**
 * The stack of call sites where a memory block was allocated, most recent frame first,
 * truncated to the snapshot's traceback limit. `totalNframe` is the depth before truncation
 * (undefined when unknown, as for the tracebacks that statistics build). Immutable.
 */
export class Traceback implements Iterable<Frame> {
  /** Frames, most recent first. Frozen. */
  private readonly _frames: readonly Frame[];
  /** Number of frames of the stack before it was truncated, if known. */
  readonly totalNframe: number | undefined;

  /**
   * @param frames most recent first (a Frame or a `[filename, lineno]` pair each)
   * @param totalNframe the depth before truncation, a non-negative integer, if known
   */
  constructor(frames: Iterable<FrameLike>, totalNframe?: number) {
    if (totalNframe !== undefined && (!Number.isInteger(totalNframe) || totalNframe < 0 || totalNframe > 0xfffffffe)) {
      throw new RangeError(`totalNframe must be an integer in [0, 4294967294], got ${totalNframe}`);
    }
    this._frames = Object.freeze(Array.from(frames, toFrame));
    this.totalNframe = totalNframe;
  }

  /** Number of frames. */
  get length(): number {
    return this._frames.length;
  }

  /** The frames, most recent first (a frozen array). */
  get frames(): readonly Frame[] {
    return this._frames;
  }

  /** Frame at `index` (0 = most recent; negative counts from the oldest end), like `Array.at`. */
  at(index: number): Frame | undefined {
    return this._frames.at(index);
  }

  [Symbol.iterator](): Iterator<Frame> {
    return this._frames[Symbol.iterator]();
  }

  /** Same frames in the same order (`totalNframe` is not compared, as in CPython). */
  equals(other: Traceback): boolean {
    const a = this._frames;
    const b = other._frames;
    if (a === b) return true;
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!a[i]!.equals(b[i]!)) return false;
    return true;
  }

  /**
   * CPython's order of tracebacks (`Traceback.__lt__`): the frame tuples compared
   * lexicographically from the OLDEST frame, a traceback that is a prefix of the other first.
   */
  static compare(a: Traceback, b: Traceback): number {
    const fa = a._frames;
    const fb = b._frames;
    if (fa === fb) return 0;
    const n = Math.min(fa.length, fb.length);
    for (let i = 1; i <= n; i++) {
      const c = Frame.compare(fa[fa.length - i]!, fb[fb.length - i]!);
      if (c !== 0) return c;
    }
    return fa.length - fb.length;
  }

  /**
   * The oldest frame as `file:line`: CPython's `str(traceback)` is `str(self[0])` over its
   * oldest-first sequence. Throws on an empty traceback, as CPython does (IndexError).
   */
  toString(): string {
    const oldest = this._frames[this._frames.length - 1];
    if (oldest === undefined) throw new RangeError('an empty traceback has no frame to print');
    return oldest.toString();
  }

  /**
   * Port of CPython's `Traceback.format(limit=None, most_recent_first=False)`: lines
   * `  File "x", line N`, each followed by `    <source>` when `getLine` returns a non-blank
   * line (stripped as Python strips). Default order is oldest first, like a Python traceback.
   * `limit > 0` keeps the `limit` most recent frames; `limit <= 0` is CPython's
   * `self[:limit]` over the oldest-first sequence: it drops the `-limit` most recent frames
   * (0 keeps none). CPython's documentation says "the abs(limit) oldest frames", which is what
   * the code does only when there are at most 2·abs(limit) frames; we follow the code.
   */
  format(limit?: number | null, mostRecentFirst = false, getLine?: SourceLineProvider): string[] {
    // oldest-first view, as CPython indexes it
    let slice = this._frames.slice().reverse();
    if (limit !== undefined && limit !== null) {
      if (!Number.isInteger(limit)) throw new TypeError(`limit must be an integer, got ${limit}`);
      slice = limit > 0 ? slice.slice(-limit) : slice.slice(0, limit === 0 ? 0 : limit);
    }
    if (mostRecentFirst) slice.reverse();
    const lines: string[] = [];
    for (const frame of slice) {
      lines.push(`  File "${frame.filename}", line ${frame.lineno}`);
      const source = getLine?.(frame.filename, frame.lineno);
      const line = source ? pyStrip(source) : '';
      if (line) lines.push(`    ${line}`);
    }
    return lines;
  }
}

/** Builds a Traceback around an already frozen array of Frames, without copying (internal). */
export function tracebackOf(frames: readonly Frame[], totalNframe: number | undefined): Traceback {
  const tb = Object.create(Traceback.prototype) as { _frames: readonly Frame[]; totalNframe: number | undefined };
  tb._frames = frames;
  tb.totalNframe = totalNframe;
  return tb as unknown as Traceback;
}

/**
 * Compares two strings by Unicode code point, as Python compares `str`. JavaScript's `<`
 * compares UTF-16 units, which puts U+E000..U+FFFF after astral characters; a surrogate pair
 * must sort above every BMP character. Both strings must be well-formed (no lone surrogates).
 */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) {
        // surrogates (astral code points) above U+E000..U+FFFF
        x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
        y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
      }
      return x - y;
    }
  }
  return a.length - b.length;
}
