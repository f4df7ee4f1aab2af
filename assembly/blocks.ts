// === The blocks table: live blocks, ptr → (size, traceback id) ===
//
// Open addressing over groups of 8 slots. A pointer's home group is SLOT(HASHPTR(ptr), groups)
// (fastrange, so the table can grow by less than 2×); it goes in the first group from home on
// (cyclically) that has an empty slot. One SIMD compare of the group's 8 pointers finds a key
// or an empty slot, so the common operations (insert, lookup and delete of a block that sits
// in its home group) run no loop whose length depends on the data: on churn, the unpredictable
// probe and backward-shift loops of plain linear probing were the table's main cost (branch
// misses: bench/RESULTS.md, "Session 3").
//
// Each group has an overflow count (one byte, at the end of the region): how many live keys
// probed past it because it was full (as folly's F14). A lookup stops at the first group whose
// count is 0; a delete just empties its slot and, if the key lived away from home, decrements
// the counts of the groups it passed. No tombstones, no shifting. A count that reaches 255
// sticks there (it is never decremented) until the next rehash: lookups then go on one group
// further than needed, never stop too early.
//
// The region, from its first 64-byte boundary (G = blocksCap / 8 groups):
//
//   groups       G × 64 bytes   group g: ptr[8] (0 = empty slot), then size[8], u32 each
//   tracebacks   G × 32 bytes   group g: traceback id[8], u32 each
//   overflow     G bytes        group g's overflow count (padded to 16)
//
// A group's pointers and sizes fill one cache line, so a free (match the pointer, read the
// size) touches one line and an allocation one line plus a write to the traceback ids; with the
// three arrays of a group side by side in 96 bytes both touched two lines (bench/RESULTS.md,
// "Session 4"). A slot is named by the address of its ptr field ("entry"): its size is at
// entry + 32, its traceback id at TBOF(entry). liveBlocks slots are occupied.

import {
  GET32, SET32, GETREGIONPTR, GETREGIONBYTES, SETREGION, SLOT, H_BLOCKS_CAP, H_LIVE_BLOCKS, R_BLOCKS,
} from "./layout";
import { placeZeroedRegion, extendRegionInPlace, zeroHandedOut, writtenEnd } from "./regions";

// @ts-ignore: decorator
@inline export const GROUP_SLOTS: u32 = 8;
/** Bytes of a group's pointers and sizes: one 64-byte cache line. */
// @ts-ignore: decorator
@inline export const GROUP_BYTES: usize = 64;
/** Bytes of a group's traceback ids, in their own array. */
// @ts-ignore: decorator
@inline const GROUP_TB_BYTES: usize = 32;
/** Offset of a slot's size from its pointer. */
// @ts-ignore: decorator
@inline export const E_SIZE: usize = 32;
/** Regions start 16-byte aligned: this much room lets the groups start on a 64-byte line. */
// @ts-ignore: decorator
@inline const LINE_SLACK: usize = 48;
/** An overflow count that has reached this value is never decremented. */
// @ts-ignore: decorator
@inline const STUCK: u32 = 255;

/** Slots of a fresh table (start, clearTraces). */
// @ts-ignore: decorator
@inline export const BLOCKS_MIN_CAP: u32 = 64;

// Grown before an insertion would fill more than 7/10 of the slots; a grown table has 25 slots
// for every 13 blocks (0.52 full), rounded up to whole groups. A slot costs 12 bytes plus 1/8 of
// an overflow byte, so a block costs at most 12.125 × 25/13 ≈ 23.3 bytes after a growth. A table
// that no region follows grows where it lies (growInPlace); otherwise it is copied to a new
// region (rehashBlocks), which needs the old and the new table side by side.
// @ts-ignore: decorator
@inline const LOAD_NUM: u64 = 7;
// @ts-ignore: decorator
@inline const LOAD_DEN: u64 = 10;
// @ts-ignore: decorator
@inline const GROWN_SLOTS: u64 = 25;
// @ts-ignore: decorator
@inline const GROWN_BLOCKS: u64 = 13;

// A table of at least LOCALITY_MIN_CAP slots (about 200 KB: a fifth of a 1 MB L2 cache, which
// the program's own data needs too) hashes a block by its 2^LOCALITY_SHIFT-byte chunk
// instead of its address, so that blocks allocated side by side share a home group and one
// cache line serves a run of them. A smaller table stays hashed by address: it is cached
// anyway, and dense small blocks sharing a home would only overflow it. Measured on tiktoken
// and churn, bench/RESULTS.md, "Session 4".
// @ts-ignore: decorator
@inline export const LOCALITY_MIN_CAP: u32 = 1 << 14;
// @ts-ignore: decorator
@inline export const LOCALITY_SHIFT: u32 = 8;

/** How many low bits of a pointer HASHPTR drops: 0 or LOCALITY_SHIFT, set when the table is (re)built. */
let ptrShift: u32 = 0;

/** Hash of a block pointer: Fibonacci hashing of its chunk, whose high bits SLOT takes. */
// @ts-ignore: decorator
@inline function HASHPTR(ptr: u32): u32 {
  return (ptr >> ptrShift) * 0x9E3779B1;
}

/** Bytes of a region of `groups` groups and their overflow counts. */
// @ts-ignore: decorator
@inline export function BLOCKS_REGION_BYTES(groups: u32): usize {
  return LINE_SLACK + <usize>groups * (GROUP_BYTES + GROUP_TB_BYTES) + ((<usize>groups + 15) & ~15);
}

/** Where the groups of the region at `region` start: its first 64-byte boundary. */
// @ts-ignore: decorator
@inline export function GROUPS(region: usize): usize {
  return (region + 63) & ~63;
}

/** Where the current table's groups start. */
// @ts-ignore: decorator
@inline function BASE(): usize {
  return GROUPS(GETREGIONPTR(R_BLOCKS));
}

/** Groups of the current table. */
// @ts-ignore: decorator
@inline function GROUPCOUNT(): u32 {
  return GET32(H_BLOCKS_CAP) >> 3;
}

/** Address of the traceback id of entry `e`, in a table of `groups` groups starting at `base`. */
// @ts-ignore: decorator
@inline function TBOF(base: usize, groups: u32, e: usize): usize {
  let off = e - base; // 64·g + 4·slot
  return base + <usize>groups * GROUP_BYTES + ((off >> 6) << 5) + (off & 31);
}

/** Bit i set iff slot i of the group at `g` holds `key` (key 0: iff slot i is empty). */
// @ts-ignore: decorator
@inline function MATCH(g: usize, key: u32): u32 {
  let k = i32x4.splat(key);
  return <u32>i32x4.bitmask(i32x4.eq(v128.load(g), k))
    | (<u32>i32x4.bitmask(i32x4.eq(v128.load(g, 16), k)) << 4);
}

/** Address of group `g` of the table starting at `base`. */
// @ts-ignore: decorator
@inline function GROUP(base: usize, g: u32): usize {
  return base + <usize>g * GROUP_BYTES;
}

/** Address of group `g`'s overflow count, in a table of `groups` groups starting at `base`. */
// @ts-ignore: decorator
@inline function OVERFLOW(base: usize, groups: u32, g: u32): usize {
  return base + <usize>groups * (GROUP_BYTES + GROUP_TB_BYTES) + <usize>g;
}

/** The entry of the lowest slot set in `mask` (from MATCH, not 0) of the group at `at`. */
// @ts-ignore: decorator
@inline function SLOTOF(at: usize, mask: u32): usize {
  return at + (<usize>ctz<u32>(mask) << 2);
}

/** Gets the pointer of an entry (0: empty). */
// @ts-ignore: decorator
@inline export function GETPTR(e: usize): u32 {
  return load<u32>(e);
}

/** Gets the size of an entry. */
// @ts-ignore: decorator
@inline export function GETSIZE(e: usize): u32 {
  return load<u32>(e, E_SIZE);
}

/** Gets the traceback id of an entry of the current table. */
// @ts-ignore: decorator
@inline export function GETTRACEBACK(e: usize): u32 {
  return load<u32>(TBOF(BASE(), GROUPCOUNT(), e));
}

/** Fills entry `e` of the table of `groups` groups starting at `base`. */
// @ts-ignore: decorator
@inline function FILL(base: usize, groups: u32, e: usize, ptr: u32, size: u32, traceback: u32): void {
  store<u32>(e, ptr);
  store<u32>(e, size, E_SIZE);
  store<u32>(TBOF(base, groups, e), traceback);
}

/** Fills an entry of the current table. */
// @ts-ignore: decorator
@inline export function SETENTRY(e: usize, ptr: u32, size: u32, traceback: u32): void {
  FILL(BASE(), GROUPCOUNT(), e, ptr, size, traceback);
}

/** The group after group `g` of `groups`, cyclically. */
// @ts-ignore: decorator
@inline function NEXT(g: u32, groups: u32): u32 {
  return g + 1 == groups ? 0 : g + 1;
}

/** Returns the entry of live block `ptr`, or 0 when it is not traced (or ptr is 0). */
// @ts-ignore: decorator
@inline export function findBlock(ptr: u32): usize {
  let cap = GET32(H_BLOCKS_CAP);
  if (ptr == 0 || cap == 0) return 0;
  let base = BASE();
  let groups = cap >> 3;
  let g = SLOT(HASHPTR(ptr), groups);
  let at = GROUP(base, g);
  let m = MATCH(at, ptr);
  if (m != 0) return SLOTOF(at, m);
  if (load<u8>(OVERFLOW(base, groups, g)) == 0) return 0;
  return findPastHome(base, groups, g, ptr);
}

/** findBlock past the home group `home`, whose overflow count is not 0. */
function findPastHome(base: usize, groups: u32, home: u32, ptr: u32): usize {
  let g = home;
  // Bounded by `groups`: counts only stay non-zero around a full group, and a table is never full.
  for (let i: u32 = 1; i < groups; ++i) {
    g = NEXT(g, groups);
    let at = GROUP(base, g);
    let m = MATCH(at, ptr);
    if (m != 0) return SLOTOF(at, m);
    if (load<u8>(OVERFLOW(base, groups, g)) == 0) return 0;
  }
  return 0;
}

/**
 * Puts (ptr, size, traceback) in the first empty slot from group `home` on (ptr's home group),
 * counting an overflow in each full group it passes. `empty`: the home group's empty slots
 * (MATCH(…, 0); 0 when it is full). ptr must not be in the table; there must be room.
 */
function place(base: usize, groups: u32, home: u32, ptr: u32, size: u32, traceback: u32, empty: u32): void {
  let g = home;
  while (empty == 0) {
    let c = OVERFLOW(base, groups, g);
    let n = <u32>load<u8>(c);
    if (n < STUCK) store<u8>(c, <u8>(n + 1));
    g = NEXT(g, groups);
    empty = MATCH(GROUP(base, g), 0);
  }
  FILL(base, groups, SLOTOF(GROUP(base, g), empty), ptr, size, traceback);
}

/**
 * The entry of `ptr` if it is live (left as it is: the caller replaces it); otherwise adds
 * (ptr, size, traceback) and returns 0. reserveBlock must have made room. One pass serves both
 * the lookup and the insertion: in the common case, one group.
 */
// @ts-ignore: decorator
@inline export function upsertBlock(ptr: u32, size: u32, traceback: u32): usize {
  let base = BASE();
  let groups = GROUPCOUNT();
  let g = SLOT(HASHPTR(ptr), groups);
  let at = GROUP(base, g);
  let found = MATCH(at, ptr);
  if (found != 0) return SLOTOF(at, found);
  let empty = MATCH(at, 0);
  if (load<u8>(OVERFLOW(base, groups, g)) != 0) {
    // Keys homed here went further: ptr may be among them.
    let e = findPastHome(base, groups, g, ptr);
    if (e != 0) return e;
  } else if (empty != 0) {
    // The common case, without a call.
    FILL(base, groups, SLOTOF(at, empty), ptr, size, traceback);
    SET32(H_LIVE_BLOCKS, GET32(H_LIVE_BLOCKS) + 1);
    return 0;
  }
  place(base, groups, g, ptr, size, traceback, empty);
  SET32(H_LIVE_BLOCKS, GET32(H_LIVE_BLOCKS) + 1);
  return 0;
}

/** Empties entry `e` (from findBlock), whose block is `ptr`. */
// @ts-ignore: decorator
@inline export function removeAt(e: usize, ptr: u32): void {
  store<u32>(e, 0);
  SET32(H_LIVE_BLOCKS, GET32(H_LIVE_BLOCKS) - 1);
  let base = BASE();
  let groups = GROUPCOUNT();
  let home = SLOT(HASHPTR(ptr), groups);
  let g = <u32>((e - base) / GROUP_BYTES);
  if (g != home) uncountOverflows(base, groups, home, g);
}

/** A key that lived in group `at` away from its `home` left: the groups it passed count one fewer. */
function uncountOverflows(base: usize, groups: u32, home: u32, at: u32): void {
  for (let g = home; g != at; g = NEXT(g, groups)) {
    let c = OVERFLOW(base, groups, g);
    let n = <u32>load<u8>(c);
    if (n < STUCK) store<u8>(c, <u8>(n - 1));
  }
}

/** Moves every entry into a new region of `newCap` slots (a multiple of 8). False, changing nothing, if out of memory. */
function rehashBlocks(newCap: u32): bool {
  let groups = newCap >> 3;
  let newBytes = BLOCKS_REGION_BYTES(groups);
  let region = placeZeroedRegion(newBytes);
  if (region == 0) return false;
  let fresh = GROUPS(region);
  let old = BASE();
  let oldGroups = GROUPCOUNT();
  ptrShift = newCap >= LOCALITY_MIN_CAP ? LOCALITY_SHIFT : 0;
  for (let i: u32 = 0; i < oldGroups; ++i) {
    let at = GROUP(old, i);
    for (let s: usize = 0; s < <usize>GROUP_SLOTS << 2; s += 4) {
      let k = GETPTR(at + s);
      if (k == 0) continue;
      let home = SLOT(HASHPTR(k), groups);
      let traceback = load<u32>(TBOF(old, oldGroups, at + s));
      place(fresh, groups, home, k, GETSIZE(at + s), traceback, MATCH(GROUP(fresh, home), 0));
    }
  }
  SETREGION(R_BLOCKS, region, newBytes);
  SET32(H_BLOCKS_CAP, newCap);
  return true;
}

/**
 * Marks, while growInPlace runs, the traceback id of an entry that already has its place in the
 * grown table. Ids are dense i32s (tracebacks.ts): their top bit is free.
 */
// @ts-ignore: decorator
@inline const MOVED: u32 = 0x80000000;

/**
 * Grows the table to `newCap` slots where it lies, when its region can be extended in place and
 * the hash stays the same. False, changing nothing, otherwise (rehashBlocks then copies).
 * A copy needs the old and the new table side by side: in a fresh instance that is new memory
 * whose first touch costs more than the rehash itself, ~17 µs a page on this machine
 * (bench/RESULTS.md, "Session 5"); in place, only the added part is new.
 */
function growInPlace(newCap: u32): bool {
  let shift = newCap >= LOCALITY_MIN_CAP ? LOCALITY_SHIFT : 0;
  if (shift != ptrShift) return false;
  let oldGroups = GROUPCOUNT();
  let groups = newCap >> 3;
  let region = GETREGIONPTR(R_BLOCKS);
  let dirty = max<usize>(region + GETREGIONBYTES(R_BLOCKS), writtenEnd());
  if (!extendRegionInPlace(R_BLOCKS, BLOCKS_REGION_BYTES(groups))) return false;
  let base = GROUPS(region);
  // The traceback ids go to where the grown table keeps them, still in old group order: TBOF
  // with the new group count finds an old group's ids there until its keys move.
  memory.copy(base + <usize>groups * GROUP_BYTES, base + <usize>oldGroups * GROUP_BYTES,
    <usize>oldGroups * GROUP_TB_BYTES);
  // The added groups held the old ids and counts (or older data), and no count is valid yet.
  zeroHandedOut(GROUP(base, oldGroups), GROUP(base, groups), dirty);
  zeroHandedOut(OVERFLOW(base, groups, 0), OVERFLOW(base, groups, groups), dirty);
  SET32(H_BLOCKS_CAP, newCap);
  // Top down. SLOT is monotonic in the hash and the homes scale with the table, so a key's new
  // home is at or after its old one: the groups it probes from there hold only keys already
  // moved, except after a wrap past the last group. MOVED keeps a key that lands in a group not
  // yet visited from being moved again; the counts are those of the final places.
  for (let i = oldGroups; i-- > 0;) {
    let at = GROUP(base, i);
    for (let s: usize = 0; s < <usize>GROUP_SLOTS << 2; s += 4) {
      let k = GETPTR(at + s);
      if (k == 0) continue;
      let traceback = load<u32>(TBOF(base, groups, at + s));
      if (traceback & MOVED) continue;
      let size = GETSIZE(at + s);
      store<u32>(at + s, 0);
      let home = SLOT(HASHPTR(k), groups);
      place(base, groups, home, k, size, traceback | MOVED, MATCH(GROUP(base, home), 0));
    }
  }
  let unmark = i32x4.splat(~MOVED);
  let tracebacks = base + <usize>groups * GROUP_BYTES;
  let end = tracebacks + <usize>groups * GROUP_TB_BYTES;
  for (let a = tracebacks; a < end; a += 16) v128.store(a, v128.and(v128.load(a), unmark));
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
  if ((<u64>live + 1) * LOAD_DEN <= <u64>cap * LOAD_NUM) return true;
  return growBlocks(live + 1);
}

/** Rehashes into a table 0.52 full with `count` blocks. */
function growBlocks(count: u32): bool {
  let slots = (<u64>count * GROWN_SLOTS + GROWN_BLOCKS - 1) / GROWN_BLOCKS;
  slots = (slots + <u64>GROUP_SLOTS - 1) & ~(<u64>GROUP_SLOTS - 1);
  if (slots > 0xFFFFFFF8) return false;
  let cap = max<u32>(BLOCKS_MIN_CAP, <u32>slots);
  return growInPlace(cap) || rehashBlocks(cap);
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
  let base = BASE();
  let slots = GET32(H_BLOCKS_CAP);
  let n: u32 = 0;
  for (let s: u32 = 0; s < slots; ++s) {
    if (GETPTR(GROUP(base, s >> 3) + (<usize>(s & 7) << 2)) != 0) ++n;
  }
  return n;
}

/**
 * Checks the probing invariant, for tests: every live entry is found by findBlock, and every
 * overflow count is the number of live keys that passed its group (or stuck at 255).
 * `scratch` is room for blocksCap / 8 u32s. Returns the number of violations.
 */
export function misplacedBlocks(scratch: usize): u32 {
  let base = BASE();
  let groups = GROUPCOUNT();
  memory.fill(scratch, 0, <usize>groups << 2);
  let bad: u32 = 0;
  for (let i: u32 = 0; i < groups; ++i) {
    let at = GROUP(base, i);
    for (let s: usize = 0; s < <usize>GROUP_SLOTS << 2; s += 4) {
      let k = GETPTR(at + s);
      if (k == 0) continue;
      if (findBlock(k) != at + s) ++bad;
      for (let g = SLOT(HASHPTR(k), groups); g != i; g = NEXT(g, groups)) {
        store<u32>(scratch + (<usize>g << 2), load<u32>(scratch + (<usize>g << 2)) + 1);
      }
    }
  }
  for (let g: u32 = 0; g < groups; ++g) {
    let want = load<u32>(scratch + (<usize>g << 2));
    let have = <u32>load<u8>(OVERFLOW(base, groups, g));
    if (have != want && have != STUCK) ++bad;
  }
  return bad;
}
