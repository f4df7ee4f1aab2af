// === Regions: where the table's growing structures live ===
//
// The table has four structures that grow independently (layout.ts: R_BLOCKS, R_INDEX,
// R_OFFSETS, R_ARENA). Each is one contiguous region recorded in the header as (ptr, bytes).
// A region that grows is either extended in place (when the bytes after it are free) or moved
// to a new place; the old place simply stops being a region and becomes a gap.
//
// With at most REGION_COUNT regions there are at most REGION_COUNT + 1 gaps, so no free list is
// kept: placing a region walks the live regions in address order and takes the first gap that
// fits, or the top.
//
//   ROOT        dataStart                                                 end      ROOT+limit
//    ├─ header ──┼── gap ──┬─ region ─┬──── gap ────┬─ region ─┬── top ──────┤ · · · · ┤
//                                                                memory.grow ┘
//
// `end` is the end of the memory the table may use now: in production the module's memory
// size, grown page by page; in tests the end of the `heap.alloc`ed stretch, which never grows.
// `limit` (host-settable) caps the span from ROOT whatever memory.grow would allow, so that
// tests can run the table out of memory.

import {
  ROOT, GET32, SET32, GETREGIONPTR, GETREGIONBYTES, SETREGION,
  REGION_COUNT, HEADER_SIZE, H_END, H_LIMIT, H_HIGH_WATER,
} from "./layout";

/** Regions start at multiples of REGION_ALIGN bytes. */
// @ts-ignore: decorator
@inline const REGION_ALIGN: usize = 16;
// @ts-ignore: decorator
@inline const REGION_MASK: usize = REGION_ALIGN - 1;
/** Bytes in a page of linear memory. */
// @ts-ignore: decorator
@inline const PAGE_BITS: usize = 16;

/** Whether the table may call memory.grow (production) or must stay in [ROOT, end) (tests). */
let growable: bool = false;

/** Rounds `x` up to REGION_ALIGN. */
// @ts-ignore: decorator
@inline function ALIGN(x: u64): u64 {
  return (x + REGION_MASK) & ~(<u64>REGION_MASK);
}

/** First address a region may occupy: just past the header. */
// @ts-ignore: decorator
@inline function DATASTART(): usize {
  return <usize>ALIGN(ROOT + HEADER_SIZE);
}

/** Sets whether memory.grow may be used to extend `end`. */
export function setGrowable(value: bool): void {
  growable = value;
}

/**
 * Makes sure the table may use memory up to `newEnd` (exclusive): within the limit, and
 * memory.grow has given that much. Returns false, changing nothing, when it cannot.
 */
function ensureEnd(newEnd: u64): bool {
  if (newEnd - <u64>ROOT > <u64>GET32(H_LIMIT)) return false;
  let end = <u64>GET32(H_END);
  if (newEnd > end) {
    if (!growable) return false;
    let pages = <i32>((newEnd - end + ((1 << PAGE_BITS) - 1)) >> PAGE_BITS);
    if (memory.grow(pages) < 0) return false;
    end = <u64>memory.size() << PAGE_BITS;
    SET32(H_END, <u32>min<u64>(end, 0xFFFFFFFF));
  }
  let span = <u32>(newEnd - <u64>ROOT);
  if (span > GET32(H_HIGH_WATER)) SET32(H_HIGH_WATER, span);
  return true;
}

/** Makes the first `bytes` bytes at ROOT usable for the header; false if memory says no. */
export function ensureHeader(): bool {
  return ensureEnd(<u64>DATASTART());
}

/**
 * Returns the start of the live region that begins lowest at or after `from`, other than
 * `except`, or 0 if there is none.
 */
function nextRegionStart(from: usize, except: usize): usize {
  let best: usize = 0;
  for (let r: usize = 0; r < REGION_COUNT; ++r) {
    if (r == except || GETREGIONBYTES(r) == 0) continue;
    let p = GETREGIONPTR(r);
    if (p >= from && (best == 0 || p < best)) best = p;
  }
  return best;
}

/** Returns the end of the live region that starts at `ptr`. */
function regionEndAt(ptr: usize): usize {
  for (let r: usize = 0; r < REGION_COUNT; ++r) {
    if (GETREGIONBYTES(r) != 0 && GETREGIONPTR(r) == ptr) return ptr + GETREGIONBYTES(r);
  }
  assert(false);
  return ptr;
}

/**
 * Finds room for `bytes` bytes that overlaps no live region (first fit, then the top), growing
 * memory if needed. Returns its address, or 0 when the limit or memory.grow refuses.
 * The caller records the region with SETREGION.
 */
export function placeRegion(bytes: usize): usize {
  let cursor = DATASTART();
  while (true) {
    let next = nextRegionStart(cursor, REGION_COUNT);
    if (next == 0) break;
    if (next - cursor >= bytes) return cursor;
    cursor = <usize>ALIGN(regionEndAt(next));
  }
  if (!ensureEnd(<u64>cursor + <u64>bytes)) return 0;
  return cursor;
}

/**
 * Zeroes [at, end), which was just handed out, except what lies at or above `written` (the
 * high-water address before handing it out). In production (growable) memory above the
 * high-water mark has never been handed out, and memory.grow gives zeros: skipping it spares a
 * write pass over every grown table, and in a fresh instance the first touch of each page
 * (bench/RESULTS.md, "Session 4"). The test region (not growable) may hold anything, so it is
 * always filled.
 */
export function zeroHandedOut(at: usize, end: usize, written: usize): void {
  let dirtyEnd = growable ? min<usize>(end, written) : end;
  if (dirtyEnd > at) memory.fill(at, 0, dirtyEnd - at);
}

/** The address below which handed-out memory may hold old data (see zeroHandedOut). */
export function writtenEnd(): usize {
  return ROOT + <usize>GET32(H_HIGH_WATER);
}

/** placeRegion, with the region's bytes zeroed. */
export function placeZeroedRegion(bytes: usize): usize {
  let written = writtenEnd();
  let at = placeRegion(bytes);
  if (at == 0) return 0;
  zeroHandedOut(at, at + bytes, written);
  return at;
}

/**
 * Grows region `r` to `newBytes` bytes where it is, when the bytes after it are free (or can be
 * grown). False, changing nothing, otherwise. The new bytes are not zeroed.
 */
export function extendRegionInPlace(r: usize, newBytes: usize): bool {
  if (GETREGIONBYTES(r) == 0) return false;
  let ptr = GETREGIONPTR(r);
  let next = nextRegionStart(ptr, r);
  let fits = next == 0
    ? ensureEnd(<u64>ptr + <u64>newBytes)
    : <u64>ptr + <u64>newBytes <= <u64>next;
  if (fits) SETREGION(r, ptr, newBytes);
  return fits;
}

/**
 * Grows region `r` to `newBytes` bytes keeping its first `keepBytes` bytes: in place when the
 * bytes after it are free, otherwise by moving it. Returns false, changing nothing, when no
 * memory is left.
 */
export function extendRegion(r: usize, newBytes: usize, keepBytes: usize): bool {
  if (extendRegionInPlace(r, newBytes)) return true;
  let ptr = GETREGIONPTR(r);
  let moved = placeRegion(newBytes);
  if (moved == 0) return false;
  if (keepBytes != 0) memory.copy(moved, ptr, keepBytes);
  SETREGION(r, moved, newBytes);
  return true;
}

/** Forgets every region (their memory becomes gaps for the next placements). */
export function releaseRegions(): void {
  for (let r: usize = 0; r < REGION_COUNT; ++r) SETREGION(r, 0, 0);
}

/** Bytes of the table's structures: the header plus the full size of every region. */
export function bytesInUse(): usize {
  let total = HEADER_SIZE;
  for (let r: usize = 0; r < REGION_COUNT; ++r) total += GETREGIONBYTES(r);
  return total;
}
