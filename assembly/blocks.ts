// === The blocks table: live blocks, ptr → (size, traceback id) ===
//
// Open addressing with linear probing over BLOCKS region slots; the home slot of a pointer is
// SLOT(HASHPTR(ptr), cap) (fastrange, so the capacity need not be a power of two and the table
// can grow by less than 2×). Deletion is by backward shift: the entries after the hole that
// may move back do, so no tombstones exist and every probe stops at the first empty slot.
//
// ╒══════════════ Blocks table entry (BLOCK_ENTRY = 12 bytes) ══════════════╕
//    3                   2                   1
//  1 0 9 8 7 6 5 4 3 2 1 0 9 8 7 6 5 4 3 2 1 0 9 8 7 6 5 4 3 2 1 0  bits
// ├─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┤
// │                   ptr: address in the target, 0 = empty slot   │ +0
// ├─────────────────────────────────────────────────────────────────┤
// │                   size: bytes requested                         │ +4
// ├─────────────────────────────────────────────────────────────────┤
// │                   traceback id                                  │ +8
// └─────────────────────────────────────────────────────────────────┘
// The region holds blocksCap entries back to back; liveBlocks of them are occupied.

import {
  GET32, SET32, GETREGIONPTR, GETREGIONBYTES, SETREGION, SLOT, MUSTGROW,
  GROWN_SLOTS_PER_ENTRY, R_BLOCKS, H_BLOCKS_CAP, H_LIVE_BLOCKS,
} from "./layout";
import { placeRegion } from "./regions";

// @ts-ignore: decorator
@inline export const BLOCK_ENTRY: usize = 12;
// @ts-ignore: decorator
@inline export const E_PTR: usize = 0;
// @ts-ignore: decorator
@inline export const E_SIZE: usize = 4;
// @ts-ignore: decorator
@inline export const E_TRACEBACK: usize = 8;

/** Slots of a fresh table (start, clearTraces). */
// @ts-ignore: decorator
@inline export const BLOCKS_MIN_CAP: u32 = 64;

/** Hash of a block pointer: Fibonacci hashing, whose high bits SLOT takes. */
// @ts-ignore: decorator
@inline function HASHPTR(ptr: u32): u32 {
  return ptr * 0x9E3779B1;
}

/** Gets the pointer of an entry (0: empty). */
// @ts-ignore: decorator
@inline export function GETPTR(e: usize): u32 {
  return load<u32>(e, E_PTR);
}

/** Gets the size of an entry. */
// @ts-ignore: decorator
@inline export function GETSIZE(e: usize): u32 {
  return load<u32>(e, E_SIZE);
}

/** Gets the traceback id of an entry. */
// @ts-ignore: decorator
@inline export function GETTRACEBACK(e: usize): u32 {
  return load<u32>(e, E_TRACEBACK);
}

/** Fills an entry. */
// @ts-ignore: decorator
@inline export function SETENTRY(e: usize, ptr: u32, size: u32, traceback: u32): void {
  store<u32>(e, ptr, E_PTR);
  store<u32>(e, size, E_SIZE);
  store<u32>(e, traceback, E_TRACEBACK);
}

/**
 * Probes for `ptr`: returns its entry if it is live, otherwise the empty slot where it would go.
 * The table must have a region (cap > 0).
 */
// @ts-ignore: decorator
@inline export function probeBlock(ptr: u32): usize {
  let base = GETREGIONPTR(R_BLOCKS);
  let cap = GET32(H_BLOCKS_CAP);
  let limit = base + <usize>cap * BLOCK_ENTRY;
  let e = base + <usize>SLOT(HASHPTR(ptr), cap) * BLOCK_ENTRY;
  while (true) {
    let k = GETPTR(e);
    if (k == ptr || k == 0) return e;
    e += BLOCK_ENTRY;
    if (e == limit) e = base;
  }
}

/** Returns the entry of live block `ptr`, or 0 when it is not traced (or ptr is 0). */
export function findBlock(ptr: u32): usize {
  if (ptr == 0 || GET32(H_BLOCKS_CAP) == 0) return 0;
  let e = probeBlock(ptr);
  return GETPTR(e) == ptr ? e : 0;
}

/** Puts a new entry in the empty slot `e` (from probeBlock). */
// @ts-ignore: decorator
@inline export function insertAt(e: usize, ptr: u32, size: u32, traceback: u32): void {
  SETENTRY(e, ptr, size, traceback);
  SET32(H_LIVE_BLOCKS, GET32(H_LIVE_BLOCKS) + 1);
}

/** Empties entry `e` and shifts back the entries of its probe run that may move, keeping runs unbroken. */
// @ts-ignore: decorator
@inline export function removeAt(e: usize): void {
  let base = GETREGIONPTR(R_BLOCKS);
  let cap = GET32(H_BLOCKS_CAP);
  let bytes = <usize>cap * BLOCK_ENTRY;
  let limit = base + bytes;
  let hole = e;
  let next = e;
  while (true) {
    next += BLOCK_ENTRY;
    if (next == limit) next = base;
    let k = GETPTR(next);
    if (k == 0) break;
    // The entry at `next` may fill the hole iff its home is not cyclically in (hole, next]:
    // its distance from home is at least the distance from the hole.
    let home = base + <usize>SLOT(HASHPTR(k), cap) * BLOCK_ENTRY;
    let fromHome = next >= home ? next - home : next + bytes - home;
    let fromHole = next >= hole ? next - hole : next + bytes - hole;
    // Branch-free (which entries move is unpredictable): when it does not move, the hole gets
    // its own contents back.
    let moves = fromHome >= fromHole;
    SETENTRY(hole, select<u32>(k, GETPTR(hole), moves),
      select<u32>(GETSIZE(next), GETSIZE(hole), moves),
      select<u32>(GETTRACEBACK(next), GETTRACEBACK(hole), moves));
    hole = select<usize>(next, hole, moves);
  }
  store<u32>(hole, 0, E_PTR);
  SET32(H_LIVE_BLOCKS, GET32(H_LIVE_BLOCKS) - 1);
}

/** Moves every entry into a new region of `newCap` slots. False, changing nothing, if out of memory. */
function rehashBlocks(newCap: u32): bool {
  let newBytes = <usize>newCap * BLOCK_ENTRY;
  let fresh = placeRegion(newBytes);
  if (fresh == 0) return false;
  memory.fill(fresh, 0, newBytes);
  let old = GETREGIONPTR(R_BLOCKS);
  let oldLimit = old + GETREGIONBYTES(R_BLOCKS);
  let limit = fresh + newBytes;
  for (let s = old; s < oldLimit; s += BLOCK_ENTRY) {
    let k = GETPTR(s);
    if (k == 0) continue;
    let e = fresh + <usize>SLOT(HASHPTR(k), newCap) * BLOCK_ENTRY;
    while (GETPTR(e) != 0) {
      e += BLOCK_ENTRY;
      if (e == limit) e = fresh;
    }
    SETENTRY(e, k, GETSIZE(s), GETTRACEBACK(s));
  }
  SETREGION(R_BLOCKS, fresh, newBytes);
  SET32(H_BLOCKS_CAP, newCap);
  return true;
}

/**
 * Makes sure one more block can be inserted without passing the load limit, growing the table
 * if needed. False when the table needed to grow and memory is exhausted.
 */
// @ts-ignore: decorator
@inline export function reserveBlock(): bool {
  let live = GET32(H_LIVE_BLOCKS);
  let cap = GET32(H_BLOCKS_CAP);
  if (!MUSTGROW(live, cap)) return true;
  return rehashBlocks(max<u32>(BLOCKS_MIN_CAP, (live + 1) * GROWN_SLOTS_PER_ENTRY));
}

/** Gives the table a fresh, empty region of BLOCKS_MIN_CAP slots. False if out of memory. */
export function initBlocks(): bool {
  SETREGION(R_BLOCKS, 0, 0);
  SET32(H_BLOCKS_CAP, 0);
  SET32(H_LIVE_BLOCKS, 0);
  return rehashBlocks(BLOCKS_MIN_CAP);
}

/** Visits the live entries, for checks: returns the number found (must equal liveBlocks). */
export function countBlocks(): u32 {
  let base = GETREGIONPTR(R_BLOCKS);
  let limit = base + GETREGIONBYTES(R_BLOCKS);
  let n: u32 = 0;
  for (let e = base; e < limit; e += BLOCK_ENTRY) if (GETPTR(e) != 0) ++n;
  return n;
}

/**
 * Checks the probing invariant, for tests: every live entry is reachable from its home slot
 * without crossing an empty slot. Returns the number of entries that are not.
 */
export function misplacedBlocks(): u32 {
  let base = GETREGIONPTR(R_BLOCKS);
  let cap = GET32(H_BLOCKS_CAP);
  let limit = base + <usize>cap * BLOCK_ENTRY;
  let bad: u32 = 0;
  for (let e = base; e < limit; e += BLOCK_ENTRY) {
    let k = GETPTR(e);
    if (k == 0) continue;
    let s = base + <usize>SLOT(HASHPTR(k), cap) * BLOCK_ENTRY;
    while (s != e) {
      if (GETPTR(s) == 0) { ++bad; break; }
      s += BLOCK_ENTRY;
      if (s == limit) s = base;
    }
  }
  return bad;
}
