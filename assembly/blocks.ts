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
//   groups       G × 64 bytes   group g: ptr[8] (0 = empty slot), then value[8], u32 each
//   overflow     G bytes        group g's overflow count (padded to 16)
//
// A value holds a block's size and traceback id: `id << 15 | size` when size < 2^15 and
// id < 2^16 (top bit 0), else WIDE | w, and record w of the wide region (R_WIDE, 8 bytes:
// size, id) holds them. So a group fills one cache line and a free or an allocation touches
// that line only; with the ids in an array of their own (layout 4) an allocation wrote a
// second line, and a slot cost 12 bytes instead of 8 (bench/RESULTS.md, "Session 5"). A slot
// is named by the address of its ptr field ("entry"); its value is at entry + 32. liveBlocks
// slots are occupied. Wide records are reused through a free list (wideFree, threaded through
// their size fields).

import {
  GET32, SET32, GETREGIONPTR, GETREGIONBYTES, SETREGION, SLOT, H_BLOCKS_CAP, H_LIVE_BLOCKS, R_BLOCKS,
  R_WIDE, H_WIDE_USED, H_WIDE_FREE,
} from "./layout";
import { placeZeroedRegion, extendRegion, extendRegionInPlace, zeroHandedOut, writtenEnd } from "./regions";

// @ts-ignore: decorator
@inline export const GROUP_SLOTS: u32 = 8;
/** Bytes of a group's pointers and values: one 64-byte cache line. */
// @ts-ignore: decorator
@inline export const GROUP_BYTES: usize = 64;
/** Offset of a slot's value from its pointer. */
// @ts-ignore: decorator
@inline const E_VALUE: usize = 32;
/** Bits of the size in a packed value; the traceback id has the 31 − SIZE_BITS above them. */
// @ts-ignore: decorator
@inline const SIZE_BITS: u32 = 15;
// @ts-ignore: decorator
@inline const SIZE_MASK: u32 = (1 << SIZE_BITS) - 1;
/** A value with this bit set names a wide record. */
// @ts-ignore: decorator
@inline const WIDE: u32 = 0x80000000;
/** Bytes of a wide record: size, traceback id. */
// @ts-ignore: decorator
@inline const WIDE_BYTES: usize = 8;
/** The wide region's first size. */
// @ts-ignore: decorator
@inline const WIDE_MIN_BYTES: usize = 512;
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
// for every 13 blocks (0.52 full), rounded up to whole groups. A slot costs 8 bytes plus 1/8 of
// an overflow byte, so a block costs at most 8.125 × 25/13 ≈ 15.6 bytes after a growth, plus 8
// if its size or traceback id is too wide to pack (and the wide region's free room). A table
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
  return LINE_SLACK + <usize>groups * GROUP_BYTES + ((<usize>groups + 15) & ~15);
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
  return base + <usize>groups * GROUP_BYTES + <usize>g;
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

/** Address of the wide record that value `v` (WIDE set) names. */
// @ts-ignore: decorator
@inline function WIDEAT(v: u32): usize {
  return GETREGIONPTR(R_WIDE) + (<usize>(v & ~WIDE) << 3);
}

/** Gets the size of an entry. */
// @ts-ignore: decorator
@inline export function GETSIZE(e: usize): u32 {
  let v = load<u32>(e, E_VALUE);
  return v & WIDE ? load<u32>(WIDEAT(v)) : v & SIZE_MASK;
}

/** Gets the traceback id of an entry. */
// @ts-ignore: decorator
@inline export function GETTRACEBACK(e: usize): u32 {
  let v = load<u32>(e, E_VALUE);
  return v & WIDE ? load<u32>(WIDEAT(v), 4) : v >> SIZE_BITS;
}

/** Whether (size, traceback) packs in a value, needing no wide record. */
// @ts-ignore: decorator
@inline function PACKS(size: u32, traceback: u32): bool {
  return ((size >> SIZE_BITS) | (traceback >> (31 - SIZE_BITS))) == 0;
}

/** The value of (size, traceback): packed, or a wide record taken for it (reserveBlock made room). */
// @ts-ignore: decorator
@inline function ENCODE(size: u32, traceback: u32): u32 {
  if (PACKS(size, traceback)) return (traceback << SIZE_BITS) | size;
  return takeWide(size, traceback);
}

/** Takes a wide record for (size, traceback): from the free list, else the next unused one. */
function takeWide(size: u32, traceback: u32): u32 {
  let free = GET32(H_WIDE_FREE);
  let w: u32;
  if (free != 0) {
    w = free - 1;
    SET32(H_WIDE_FREE, load<u32>(WIDEAT(w)));
  } else {
    w = GET32(H_WIDE_USED);
    SET32(H_WIDE_USED, w + 1);
  }
  let at = WIDEAT(w);
  store<u32>(at, size);
  store<u32>(at, traceback, 4);
  return WIDE | w;
}

/** Gives back the wide record of value `v`, if it names one. */
// @ts-ignore: decorator
@inline function RELEASE(v: u32): void {
  if (v & WIDE) {
    store<u32>(WIDEAT(v), GET32(H_WIDE_FREE));
    SET32(H_WIDE_FREE, (v & ~WIDE) + 1);
  }
}

/** Makes sure a wide record can be taken: one is free, or the region has or gets room. */
function reserveWide(): bool {
  if (GET32(H_WIDE_FREE) != 0) return true;
  let used = <usize>GET32(H_WIDE_USED);
  let bytes = GETREGIONBYTES(R_WIDE);
  if ((used + 1) * WIDE_BYTES <= bytes) return true;
  if (used >= 0x7FFFFFFF) return false;
  let grown = max<usize>(WIDE_MIN_BYTES, (bytes + (bytes >> 1)) & ~(WIDE_BYTES - 1));
  return extendRegion(R_WIDE, grown, used * WIDE_BYTES);
}

/** Fills entry `e` with `ptr` and `value`. */
// @ts-ignore: decorator
@inline function FILL(e: usize, ptr: u32, value: u32): void {
  store<u32>(e, ptr);
  store<u32>(e, value, E_VALUE);
}

/** Refills the live entry `e` (its wide record, if any, is given back first). reserveBlock must have made room. */
// @ts-ignore: decorator
@inline export function SETENTRY(e: usize, ptr: u32, size: u32, traceback: u32): void {
  RELEASE(load<u32>(e, E_VALUE));
  FILL(e, ptr, ENCODE(size, traceback));
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
 * Puts (ptr, value) in the first empty slot from group `home` on (ptr's home group), counting
 * an overflow in each full group it passes, and returns its entry. `empty`: the home group's
 * empty slots (MATCH(…, 0); 0 when it is full). ptr must not be in the table; there must be room.
 */
function place(base: usize, groups: u32, home: u32, ptr: u32, value: u32, empty: u32): usize {
  let g = home;
  while (empty == 0) {
    let c = OVERFLOW(base, groups, g);
    let n = <u32>load<u8>(c);
    if (n < STUCK) store<u8>(c, <u8>(n + 1));
    g = NEXT(g, groups);
    empty = MATCH(GROUP(base, g), 0);
  }
  let e = SLOTOF(GROUP(base, g), empty);
  FILL(e, ptr, value);
  return e;
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
    FILL(SLOTOF(at, empty), ptr, ENCODE(size, traceback));
    SET32(H_LIVE_BLOCKS, GET32(H_LIVE_BLOCKS) + 1);
    return 0;
  }
  place(base, groups, g, ptr, ENCODE(size, traceback), empty);
  SET32(H_LIVE_BLOCKS, GET32(H_LIVE_BLOCKS) + 1);
  return 0;
}

/**
 * Removes live block `ptr` and returns its size, or -1 when it is not traced (or ptr is 0).
 * findBlock and the removal in one: the home group is computed once (a free is a third of the
 * table's calls).
 */
// @ts-ignore: decorator
@inline export function removeBlock(ptr: u32): i64 {
  let cap = GET32(H_BLOCKS_CAP);
  if (ptr == 0 || cap == 0) return -1;
  let base = BASE();
  let groups = cap >> 3;
  let home = SLOT(HASHPTR(ptr), groups);
  let at = GROUP(base, home);
  let m = MATCH(at, ptr);
  if (m != 0) return EMPTY(SLOTOF(at, m));
  if (load<u8>(OVERFLOW(base, groups, home)) == 0) return -1;
  let e = findPastHome(base, groups, home, ptr);
  if (e == 0) return -1;
  let size = EMPTY(e);
  uncountOverflows(base, groups, home, <u32>((e - base) / GROUP_BYTES));
  return size;
}

/** Empties live entry `e` (its wide record given back) and returns the size it held. */
// @ts-ignore: decorator
@inline function EMPTY(e: usize): i64 {
  let size = GETSIZE(e);
  RELEASE(load<u32>(e, E_VALUE));
  store<u32>(e, 0);
  SET32(H_LIVE_BLOCKS, GET32(H_LIVE_BLOCKS) - 1);
  return <i64>size;
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
      place(fresh, groups, home, k, load<u32>(at + s, E_VALUE), MATCH(GROUP(fresh, home), 0));
    }
  }
  SETREGION(R_BLOCKS, region, newBytes);
  SET32(H_BLOCKS_CAP, newCap);
  return true;
}

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
  let bytes = BLOCKS_REGION_BYTES(groups);
  let dirty = max<usize>(region + GETREGIONBYTES(R_BLOCKS), writtenEnd());
  // One byte a group past the region while it runs: bit s set once slot s holds a moved key.
  if (!extendRegionInPlace(R_BLOCKS, bytes + <usize>groups)) return false;
  let base = GROUPS(region);
  let moved = region + bytes;
  // The added groups held the old counts (or older data), and no count is valid yet.
  zeroHandedOut(GROUP(base, oldGroups), GROUP(base, groups), dirty);
  zeroHandedOut(OVERFLOW(base, groups, 0), OVERFLOW(base, groups, groups), dirty);
  zeroHandedOut(moved, moved + <usize>groups, dirty);
  SET32(H_BLOCKS_CAP, newCap);
  // Top down. SLOT is monotonic in the hash and the homes scale with the table, so a key's new
  // home is at or after its old one: the groups it probes from there hold only keys already
  // moved, except after a wrap past the last group. The marks keep a key that lands in a group
  // not yet visited from being moved again; the counts are those of the final places.
  for (let i = oldGroups; i-- > 0;) {
    let at = GROUP(base, i);
    for (let s: u32 = 0; s < GROUP_SLOTS; ++s) {
      if (<u32>load<u8>(moved + <usize>i) & (1 << s)) continue;
      let e = at + (<usize>s << 2);
      let k = GETPTR(e);
      if (k == 0) continue;
      let value = load<u32>(e, E_VALUE);
      store<u32>(e, 0);
      let home = SLOT(HASHPTR(k), groups);
      let to = place(base, groups, home, k, value, MATCH(GROUP(base, home), 0)) - base;
      let mark = moved + (to >> 6);
      store<u8>(mark, <u32>load<u8>(mark) | (<u32>1 << <u32>((to >> 2) & 7)));
    }
  }
  SETREGION(R_BLOCKS, region, bytes);
  return true;
}

/**
 * Makes sure one more block of (size, traceback) can be inserted or replace a live one: a slot
 * without passing the load limit (the table grows if needed) and, if the pair does not pack, a
 * wide record. False when memory is exhausted.
 */
// @ts-ignore: decorator
@inline export function reserveBlock(size: u32, traceback: u32): bool {
  if (!PACKS(size, traceback) && !reserveWide()) return false;
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

// === Fast paths (table.ts): the common case in a few lines of code, or no change at all ===
//
// Each handles a block that lives, or will live, in its home group with a packed value, and
// otherwise returns without touching anything, so that the caller can run the general path
// from the start. They exist for the instruction cache, not for fewer instructions: inlined
// into alloc1, free and realloc1 whole, the general paths made those functions 1.7, 0.8 and
// 4 KB of Wasm, and in a program whose own code already fills the cache (tree-sitter's parser)
// every table call missed it a dozen times (bench/RESULTS.md, "Session 10").

/**
 * Adds (ptr, size, traceback) if the value packs, the table has room without growing, and ptr's
 * home group has an empty slot, no overflow and no entry for ptr. False, changing nothing, otherwise.
 */
// @ts-ignore: decorator
@inline export function tryInsertAtHome(ptr: u32, size: u32, traceback: u32): bool {
  if (!PACKS(size, traceback)) return false;
  let live = GET32(H_LIVE_BLOCKS);
  let cap = GET32(H_BLOCKS_CAP);
  if ((<u64>live + 1) * LOAD_DEN > <u64>cap * LOAD_NUM) return false;
  let base = BASE();
  let groups = cap >> 3;
  let g = SLOT(HASHPTR(ptr), groups);
  let at = GROUP(base, g);
  let empty = MATCH(at, 0);
  if (empty == 0 || MATCH(at, ptr) != 0 || load<u8>(OVERFLOW(base, groups, g)) != 0) return false;
  FILL(SLOTOF(at, empty), ptr, (traceback << SIZE_BITS) | size);
  SET32(H_LIVE_BLOCKS, live + 1);
  return true;
}

/** The entry of live block `ptr` (not 0) if it sits in its home group with a packed value, else 0. */
// @ts-ignore: decorator
@inline function packedEntryAtHome(ptr: u32): usize {
  let cap = GET32(H_BLOCKS_CAP);
  if (cap == 0) return 0;
  let at = GROUP(BASE(), SLOT(HASHPTR(ptr), cap >> 3));
  let m = MATCH(at, ptr);
  if (m == 0) return 0;
  let e = SLOTOF(at, m);
  if (load<u32>(e, E_VALUE) & WIDE) return 0;
  return e;
}

/**
 * Removes live block `ptr` (not 0) if it sits in its home group with a packed value, and returns
 * its size; otherwise returns -1, changing nothing.
 */
// @ts-ignore: decorator
@inline export function tryRemoveAtHome(ptr: u32): i64 {
  let e = packedEntryAtHome(ptr);
  if (e == 0) return -1;
  let v = load<u32>(e, E_VALUE);
  store<u32>(e, 0);
  SET32(H_LIVE_BLOCKS, GET32(H_LIVE_BLOCKS) - 1);
  return <i64>(v & SIZE_MASK);
}

/**
 * Gives live block `ptr` (not 0) a new size and traceback in place if it sits in its home group
 * and both its old and its new value pack, and returns its old size; otherwise returns -1,
 * changing nothing.
 */
// @ts-ignore: decorator
@inline export function tryResizeAtHome(ptr: u32, size: u32, traceback: u32): i64 {
  if (!PACKS(size, traceback)) return -1;
  let e = packedEntryAtHome(ptr);
  if (e == 0) return -1;
  let v = load<u32>(e, E_VALUE);
  store<u32>(e, (traceback << SIZE_BITS) | size, E_VALUE);
  return <i64>(v & SIZE_MASK);
}

/** Gives the table a fresh, empty region of BLOCKS_MIN_CAP slots. False if out of memory. */
export function initBlocks(): bool {
  SETREGION(R_WIDE, 0, 0);
  SET32(H_WIDE_USED, 0);
  SET32(H_WIDE_FREE, 0);
  SETREGION(R_BLOCKS, 0, 0);
  SET32(H_BLOCKS_CAP, 0);
  SET32(H_LIVE_BLOCKS, 0);
  return rehashBlocks(BLOCKS_MIN_CAP);
}

/** Wide records in use, for checks: handed out minus those on the free list. */
export function wideRecordsInUse(): u32 {
  let n = GET32(H_WIDE_USED);
  for (let f = GET32(H_WIDE_FREE); f != 0; f = load<u32>(WIDEAT(f - 1))) --n;
  return n;
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
