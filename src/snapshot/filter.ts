// Filter: CPython's `tracemalloc.Filter`, without `domain` (see below).
//
// Matching is CPython's (Lib/tracemalloc.py, 3.12) with two deliberate differences:
//   - file names are not normalized: CPython applies `os.path.normcase` (nothing on POSIX)
//     and turns a trailing `.pyc` into `.py`, in both the pattern and the file name. Wasm file
//     names come from DWARF and source maps, never from `.pyc` files, so we skip the `.pyc`
//     rule and always match as POSIX does (case-sensitive, `/` ≠ `\`);
//   - there is no `domain` argument and no DomainFilter: a Wasm module has one traced address
//     space, and every trace is in it.

import { FnPattern } from './fnmatch.js';
import { toFrame, type FrameLike } from './frame.js';

/** Includes or excludes the traces whose traceback matches a file name pattern (and line). */
export class Filter {
  /** true: keep only matching traces; false: drop matching traces. */
  readonly inclusive: boolean;
  /** `fnmatch` pattern: `*`, `?`, `[seq]`, `[!seq]`. */
  readonly filenamePattern: string;
  /** Line number to match, or null for any line. */
  readonly lineno: number | null;
  /** true: a trace matches if any frame matches; false: only its most recent frame is checked. */
  readonly allFrames: boolean;
  private readonly compiled: FnPattern;

  constructor(inclusive: boolean, filenamePattern: string, lineno: number | null = null, allFrames = false) {
    if (typeof filenamePattern !== 'string') {
      throw new TypeError(`filenamePattern must be a string, not ${typeof filenamePattern}`);
    }
    if (lineno !== null && lineno !== undefined && !Number.isInteger(lineno)) {
      throw new TypeError(`lineno must be an integer or null, got ${lineno}`);
    }
    this.inclusive = Boolean(inclusive);
    this.filenamePattern = filenamePattern;
    this.lineno = lineno ?? null;
    this.allFrames = Boolean(allFrames);
    this.compiled = new FnPattern(filenamePattern);
  }

  /** Whether `filename` matches the pattern (the line number is not looked at). */
  matchFilename(filename: string): boolean {
    return this.compiled.matches(filename);
  }

  /** Whether one frame matches the pattern and line, regardless of `inclusive`. */
  matchFrameImpl(filename: string, lineno: number): boolean {
    if (!this.matchFilename(filename)) return false;
    return this.lineno === null || lineno === this.lineno;
  }

  /**
   * CPython's `Filter._match_frame`: true when a trace whose most recent frame is
   * (filename, lineno) passes this filter — the frame matches and the filter is inclusive,
   * or it does not match and the filter is exclusive.
   */
  matchFrame(filename: string, lineno: number): boolean {
    return this.matchFrameImpl(filename, lineno) !== !this.inclusive;
  }

  /**
   * CPython's `Filter._match_traceback`: true when a trace with this traceback passes the
   * filter. With `allFrames`, an inclusive filter passes traces with at least one matching
   * frame and an exclusive one passes traces with none; otherwise only the most recent frame
   * counts. A traceback with no frame never matches the pattern.
   */
  matchTraceback(traceback: Iterable<FrameLike>): boolean {
    const frames = Array.from(traceback, toFrame);
    if (this.allFrames) {
      return frames.some((f) => this.matchFrameImpl(f.filename, f.lineno)) ? this.inclusive : !this.inclusive;
    }
    const first = frames[0];
    if (first === undefined) return !this.inclusive;
    return this.matchFrame(first.filename, first.lineno);
  }
}
