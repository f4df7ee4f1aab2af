// Helpers for the trace table's as-pect tests: a fresh table in a heap.alloc'ed region, the
// imports called with short stacks, and the header read by field.

import { attachTable, alloc, realloc, alloc1 as tableAlloc1, realloc1 as tableRealloc1 } from "../../assembly/table";
import { GET32, GET64, GETF, H_CURRENT, H_PEAK, H_LIVE_BLOCKS, H_ALLOCATIONS, H_FREES } from "../../assembly/layout";

/** Bytes of the region a test's table gets unless it asks for another size. */
export const REGION: usize = 4 << 20;

let region: usize = 0;

/** Attaches a fresh table to a new heap.alloc'ed region of `bytes` bytes (freeing the previous one). */
export function freshTable(bytes: usize = REGION): usize {
  oneFrameEntries = false;
  if (region != 0) heap.free(region);
  region = heap.alloc(bytes);
  assert(attachTable(region, bytes));
  return region;
}

/**
 * Which entry points alloc1 and realloc1 below call: the table's alloc1 and realloc1 (what a
 * target calls while nframe is 1, with their fast paths), or alloc and realloc with garbage past
 * the first frame. Suites that run both ways set it in their beforeEach.
 */
let oneFrameEntries = false;
export function useOneFrameEntries(on: bool): void {
  oneFrameEntries = on;
}

/** alloc(ptr, size) from a stack of one frame, site `site`. */
export function alloc1(ptr: u32, size: u32, site: u32 = 1): void {
  if (oneFrameEntries) {
    tableAlloc1(ptr, size, 1, site);
    return;
  }
  alloc(ptr, size, 1, site, 0xDEAD, 0xDEAD, 0xDEAD, 0xDEAD, 0xDEAD, 0xDEAD, 0xDEAD,
    0xDEAD, 0xDEAD, 0xDEAD, 0xDEAD, 0xDEAD, 0xDEAD, 0xDEAD, 0xDEAD);
}

/** alloc(ptr, size) from a stack `total` deep whose frame i is `site + i` (garbage past total). */
export function allocDeep(ptr: u32, size: u32, site: u32, total: u32): void {
  alloc(ptr, size, total,
    f(site, 0, total), f(site, 1, total), f(site, 2, total), f(site, 3, total),
    f(site, 4, total), f(site, 5, total), f(site, 6, total), f(site, 7, total),
    f(site, 8, total), f(site, 9, total), f(site, 10, total), f(site, 11, total),
    f(site, 12, total), f(site, 13, total), f(site, 14, total), f(site, 15, total));
}

/** realloc(old, new, size) from a stack of one frame, site `site`. */
export function realloc1(old: u32, new_: u32, size: u32, site: u32 = 1): void {
  if (oneFrameEntries) {
    tableRealloc1(old, new_, size, 1, site);
    return;
  }
  realloc(old, new_, size, 1, site, 0xBEEF, 0xBEEF, 0xBEEF, 0xBEEF, 0xBEEF, 0xBEEF, 0xBEEF,
    0xBEEF, 0xBEEF, 0xBEEF, 0xBEEF, 0xBEEF, 0xBEEF, 0xBEEF, 0xBEEF);
}

/** Frame i of a stack made by allocDeep: site + i below the depth, garbage above. */
function f(site: u32, i: u32, total: u32): u32 {
  return i < total ? site + i : 0xF00D0000 + i;
}

/** Traced bytes now. */
export function current(): u64 { return GET64(H_CURRENT); }
/** Peak traced bytes. */
export function peak(): u64 { return GET64(H_PEAK); }
/** Live blocks. */
export function live(): u32 { return GET32(H_LIVE_BLOCKS); }
/** Traces added. */
export function allocations(): u64 { return GET64(H_ALLOCATIONS); }
/** Traces removed. */
export function frees(): u64 { return GET64(H_FREES); }
/** An f64 field of the header. */
export function field64f(offset: usize): f64 { return GETF(offset); }
