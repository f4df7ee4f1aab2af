/**
 * Call-site ids → tracemalloc Frames.
 *
 * The trace table stores tracebacks as lists of site ids; the site table (in the instrumented
 * module) says where each site was in the original module; the symbolizer turns that into
 * source file and line. Each site is symbolized once, when a snapshot first needs it.
 */
import { Frame, Traceback } from '../snapshot/index.js';
import type { Symbolizer } from '../symbols/index.js';
import { UNKNOWN, decodeSiteTable, SITE_TABLE_SECTION, type SiteTable } from '../instrument/siteTable.js';

/** Frame of a site id the site table does not know (0: a frame the instrumenter could not attribute). */
const UNKNOWN_FRAME = new Frame('<unknown>', 0);

/**
 * Source files of the C++ and Rust standard libraries: libc++'s and libstdc++'s headers, Rust's
 * alloc/core/std sources (`/usr/src/rustc-1.63.0/library/alloc/src/alloc.rs`, `/rustc/<hash>/library/…`).
 */
const STANDARD_LIBRARY_SOURCE = /\/c\+\+\/v1\/|\/include\/c\+\+\/\d|(?:^|\/)library\/(?:alloc|core|std)\/src\//;

/**
 * The frames of the call into the allocator without the standard library's plumbing inlined
 * into it: `new int[n]` is the user's line, but `std::vector::push_back` reaches operator new
 * through allocator_traits, allocator and __libcpp_allocate, all inlined, and Rust's `Box::new`
 * through `alloc::alloc::alloc`. Innermost frames from the standard library's sources are
 * dropped, never the outermost: the function that makes the call stays (an out-of-line library
 * function, like libc++'s `std::string::push_back`, is a frame of its own, as in the fixture's
 * answer). Python's tracemalloc likewise shows the line that called `list.append`, not C code.
 */
export function withoutInlinedLibraryFrames(frames: readonly Frame[]): readonly Frame[] {
  let first = 0;
  while (first < frames.length - 1 && STANDARD_LIBRARY_SOURCE.test(frames[first]!.filename)) first++;
  return first === 0 ? frames : frames.slice(first);
}

/** Reads the site table of an instrumented module; a clear error if it was not instrumented. */
export function readSiteTable(module: WebAssembly.Module): SiteTable {
  const sections = WebAssembly.Module.customSections(module, SITE_TABLE_SECTION);
  if (sections.length === 0) {
    throw new Error(
      'this module was not instrumented by wasm-tracemalloc (it has no tracemalloc.sites section): ' +
        'run `wasm-tracemalloc instrument in.wasm -o out.wasm` first, or pass the original bytes to instantiate()',
    );
  }
  return decodeSiteTable(new Uint8Array(sections[0]!));
}

/** Maps site ids to frames, lazily and once per site. */
export class SiteFrames {
  private readonly cache = new Map<number, readonly Frame[]>();

  constructor(
    readonly siteTable: SiteTable,
    private readonly symbolizer: Symbolizer | null,
  ) {}

  /** Frames of one site, innermost first (more than one when the call was inlined). */
  framesOf(siteId: number): readonly Frame[] {
    let frames = this.cache.get(siteId);
    if (frames === undefined) {
      frames = this.symbolize(siteId);
      this.cache.set(siteId, frames);
    }
    return frames;
  }

  /**
   * The Traceback of a stack of site ids (most recent first). Inlined frames expand a site into
   * several frames; the result keeps at most `limit` frames, like tracemalloc's nframe.
   */
  traceback(siteIds: ArrayLike<number>, totalNframe: number, limit: number): Traceback {
    const frames: Frame[] = [];
    for (let i = 0; i < siteIds.length && frames.length < limit; i++) {
      const siteFrames = this.framesOf(siteIds[i]!);
      for (const f of i === 0 ? withoutInlinedLibraryFrames(siteFrames) : siteFrames) {
        if (frames.length === limit) break;
        frames.push(f);
      }
    }
    return new Traceback(frames, Math.max(totalNframe, frames.length));
  }

  private symbolize(siteId: number): readonly Frame[] {
    const site = this.siteTable.sites[siteId - 1];
    if (site === undefined) return [UNKNOWN_FRAME];
    if (this.symbolizer === null) {
      // No original module: name the function by index, and keep sites apart by their offset.
      const offset = site.codeOffset === UNKNOWN ? 0 : site.codeOffset;
      return [new Frame(`wasm-function[${site.funcIndex}]`, offset)];
    }
    const frames = this.symbolizer.framesForSite(site.funcIndex, site.codeOffset);
    if (frames.length === 0) return [UNKNOWN_FRAME];
    return frames.map((f) => new Frame(f.filename, f.lineno));
  }
}
