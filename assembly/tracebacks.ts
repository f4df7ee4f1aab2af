// === Interned tracebacks: each distinct stack stored once, referred to by id ===
//
// A traceback is (total, frames[0..nframe)): the site ids of the nframe most recent frames and
// the depth of the stack before truncation (CPython's total_nframe). Two stacks with the same
// kept frames but different totals are different tracebacks, as in CPython.
//
// Ids are dense (0, 1, 2, ...), in order of first appearance, and stay valid until the traces
// are cleared. Three regions hold them:
//
//   index   (R_INDEX)   open-addressing hash table, hash → id, for interning
//   offsets (R_OFFSETS) id → byte offset of the record in the arena (offsets stay valid when
//                       the arena moves)
//   arena   (R_ARENA)   the records, appended in id order, never removed until a clear
//
// ╒═══════════ Traceback record (in the arena, TB_HEADER + 4·nframe bytes) ═══════════╕
//    3                   2                   1
//  1 0 9 8 7 6 5 4 3 2 1 0 9 8 7 6 5 4 3 2 1 0 9 8 7 6 5 4 3 2 1 0  bits
// ├─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┤
// │ total: frames on the stack when it was captured (≥ nframe)      │ +0
// ├─────────────────────────────────────────────────────────────────┤
// │ nframe: frames kept, 1..FRAMES                                  │ +4
// ╞═════════════════════════════════════════════════════════════════╡
// │ frame[0]: site id of the call to the allocator (most recent)    │ +8
// ├─────────────────────────────────────────────────────────────────┤
// │ ...                                                             │
// ├─────────────────────────────────────────────────────────────────┤
// │ frame[nframe-1]: outermost frame kept                           │
// └─────────────────────────────────────────────────────────────────┘
//
// ╒════ Intern index slot (INDEX_SLOT = 8 bytes) ════╕
// │ hash of (total, frames)                          │ +0
// ├──────────────────────────────────────────────────┤
// │ id + 1 (0 = empty slot)                          │ +4
// └──────────────────────────────────────────────────┘
//
// A stack captured with no frame at all (depth 0: the allocator was called from the host)
// is stored as CPython stores it: one frame, site id 0 ("no site"), total 1.
//
// The tracebacks interned last are cached in the header (one-frame and stack caches, below): an
// allocation from a recent stack compares its words and skips hashing and probing.

import {
  ROOT, GET32, SET32, GETREGIONPTR, GETREGIONBYTES, SETREGION, SLOT, MUSTGROW,
  GROWN_SLOTS_PER_ENTRY, FRAMES, R_INDEX, R_OFFSETS, R_ARENA,
  H_NFRAME, H_TRACEBACK_COUNT, H_INDEX_CAP, H_ARENA_USED, H_SCRATCH, H_ONE_CACHE, ONE_CACHE_SLOTS,
  H_STACK_CACHE, STACK_CACHE_SLOTS, STACK_CACHE_ENTRY,
} from "./layout";
import { placeRegion, placeZeroedRegion, extendRegion } from "./regions";

// @ts-ignore: decorator
@inline export const TB_TOTAL: usize = 0;
// @ts-ignore: decorator
@inline export const TB_NFRAME: usize = 4;
// @ts-ignore: decorator
@inline export const TB_FRAMES: usize = 8;
// @ts-ignore: decorator
@inline export const TB_HEADER: usize = TB_FRAMES;

// @ts-ignore: decorator
@inline export const INDEX_SLOT: usize = 8;
// @ts-ignore: decorator
@inline const I_HASH: usize = 0;
// @ts-ignore: decorator
@inline const I_ID1: usize = 4;

/** Slots of a fresh intern index. */
// @ts-ignore: decorator
@inline export const INDEX_MIN_CAP: u32 = 64;
/** Ids a fresh offsets region has room for. */
// @ts-ignore: decorator
@inline export const OFFSETS_MIN_COUNT: u32 = 64;
/** Bytes of a fresh arena: room for 16 records of 16 frames. */
// @ts-ignore: decorator
@inline export const ARENA_MIN_BYTES: u32 = 16 * (<u32>TB_HEADER + (FRAMES << 2));

// === The traceback caches ===
//
// Direct-mapped caches of the tracebacks interned last, in the header (layout.ts): a hit answers
// an allocation with a few compares, no hashing of the scratch and no probing of the index, even
// when allocations alternate between stacks (tree-sitter, tiktoken). Both are emptied whenever
// ids are reset or nframe changes, so an entry always names a live id under the current nframe.

/** Forgets the cached tracebacks (ids were reset, or nframe changed). */
export function forgetCachedTracebacks(): void {
  memory.fill(ROOT + H_ONE_CACHE, 0, ONE_CACHE_SLOTS * 12 + STACK_CACHE_SLOTS * STACK_CACHE_ENTRY);
}

/** The stack cache entry of a stack whose kept frames start f0, f1 (nframe > 1). */
// @ts-ignore: decorator
@inline function STACKSLOT(total: u32, f0: u32, f1: u32): usize {
  return ROOT + H_STACK_CACHE
    + <usize>(((f0 * 0x9E3779B1) ^ (f1 * 0xC2B2AE35) ^ (total * 0x85EBCA6B)) >> 26) * STACK_CACHE_ENTRY;
}

/** The one-frame cache entry of (total, f0): with nframe 1 a traceback is just that. */
// @ts-ignore: decorator
@inline function ONESLOT(total: u32, f0: u32): usize {
  return ROOT + H_ONE_CACHE + <usize>(((f0 * 0x9E3779B1) ^ (total * 0x85EBCA6B)) >> 24) * 12;
}

// === Records ===

/** Address of the record of traceback `id`. */
// @ts-ignore: decorator
@inline export function RECORD(id: u32): usize {
  return GETREGIONPTR(R_ARENA) + <usize>load<u32>(GETREGIONPTR(R_OFFSETS) + (<usize>id << 2));
}

/** Address of the record of traceback `id`, or 0 if there is no such id (for the host). */
export function tracebackAddress(id: u32): usize {
  return id < GET32(H_TRACEBACK_COUNT) ? RECORD(id) : 0;
}

/** One multiply-rotate round of a hash lane. */
// @ts-ignore: decorator
@inline function MIX(h: u32, word: u32): u32 {
  return rotl<u32>(h ^ word, 13) * 0x85EBCA6B;
}

/**
 * Hash of (total, scratch[0..n)), the scratch words from n up to the next multiple of 4 being
 * 0: four lanes, one multiply-rotate round per four frames each, then murmur3's finalizer.
 * Independent lanes, not one chain of n rounds: a traceback that misses the traceback
 * cache is hashed on every allocation, and a chain's latency is its length.
 */
function hashScratch(total: u32, n: u32): u32 {
  let s = ROOT + H_SCRATCH;
  let a: u32 = (total * 0x9E3779B1) ^ n;
  let b: u32 = 0x7F4A7C15;
  let c: u32 = 0x94D049BB;
  let d: u32 = 0x2545F491;
  let end = <usize>((n + 3) & ~3) << 2;
  for (let i: usize = 0; i < end; i += 16) {
    a = MIX(a, load<u32>(s + i));
    b = MIX(b, load<u32>(s + i, 4));
    c = MIX(c, load<u32>(s + i, 8));
    d = MIX(d, load<u32>(s + i, 12));
  }
  let h = a ^ rotl<u32>(b, 8) ^ rotl<u32>(c, 16) ^ rotl<u32>(d, 24);
  h ^= h >> 16; h *= 0x85EBCA6B;
  h ^= h >> 13; h *= 0xC2B2AE35;
  h ^= h >> 16;
  return h;
}

/** Whether record `rec` is (total, scratch[0..n)). */
function recordEquals(rec: usize, total: u32, n: u32): bool {
  if (load<u32>(rec, TB_TOTAL) != total || load<u32>(rec, TB_NFRAME) != n) return false;
  let frames = ROOT + H_SCRATCH;
  for (let i: usize = 0; i < <usize>n; ++i) {
    if (load<u32>(rec + (i << 2), TB_FRAMES) != load<u32>(frames + (i << 2))) return false;
  }
  return true;
}

/** Moves the index into a new region of `newCap` slots. False, changing nothing, if out of memory. */
function rehashIndex(newCap: u32): bool {
  let newBytes = <usize>newCap * INDEX_SLOT;
  let fresh = placeZeroedRegion(newBytes);
  if (fresh == 0) return false;
  let old = GETREGIONPTR(R_INDEX);
  let oldLimit = old + GETREGIONBYTES(R_INDEX);
  let limit = fresh + newBytes;
  for (let s = old; s < oldLimit; s += INDEX_SLOT) {
    let id1 = load<u32>(s, I_ID1);
    if (id1 == 0) continue;
    let h = load<u32>(s, I_HASH);
    let e = fresh + <usize>SLOT(h, newCap) * INDEX_SLOT;
    while (load<u32>(e, I_ID1) != 0) {
      e += INDEX_SLOT;
      if (e == limit) e = fresh;
    }
    store<u32>(e, h, I_HASH);
    store<u32>(e, id1, I_ID1);
  }
  SETREGION(R_INDEX, fresh, newBytes);
  SET32(H_INDEX_CAP, newCap);
  return true;
}

/** Probes the index for hash `h`: the slot holding (total, scratch[0..n)), or the empty slot where it would go. */
function probeIndex(h: u32, total: u32, n: u32): usize {
  let base = GETREGIONPTR(R_INDEX);
  let cap = GET32(H_INDEX_CAP);
  let limit = base + <usize>cap * INDEX_SLOT;
  let s = base + <usize>SLOT(h, cap) * INDEX_SLOT;
  while (true) {
    let id1 = load<u32>(s, I_ID1);
    if (id1 == 0) return s;
    if (load<u32>(s, I_HASH) == h && recordEquals(RECORD(id1 - 1), total, n)) return s;
    s += INDEX_SLOT;
    if (s == limit) s = base;
  }
}

/**
 * Returns the id of traceback (total, scratch[0..n)) (scratch 0 from n to the next multiple of 4), adding it if it is new; -1 when adding
 * it needed memory that could not be had (nothing is changed then). 1 ≤ n ≤ FRAMES, n ≤ total.
 */
export function internScratch(total: u32, n: u32): i32 {
  assert(n >= 1 && n <= FRAMES && n <= total);
  let h = hashScratch(total, n);
  let slot = probeIndex(h, total, n);
  let id1 = load<u32>(slot, I_ID1);
  if (id1 != 0) return <i32>(id1 - 1);

  // New traceback: make room in all three regions first, so that failing changes nothing.
  let count = GET32(H_TRACEBACK_COUNT);
  if (MUSTGROW(count, GET32(H_INDEX_CAP))) {
    if (!rehashIndex(max<u32>(INDEX_MIN_CAP, (count + 1) * GROWN_SLOTS_PER_ENTRY))) return -1;
    slot = probeIndex(h, total, n);
  }
  let offsetsBytes = GETREGIONBYTES(R_OFFSETS);
  if ((<usize>count + 1) << 2 > offsetsBytes) {
    if (!extendRegion(R_OFFSETS, offsetsBytes << 1, <usize>count << 2)) return -1;
  }
  let used = <usize>GET32(H_ARENA_USED);
  let need = TB_HEADER + (<usize>n << 2);
  let arenaBytes = GETREGIONBYTES(R_ARENA);
  if (used + need > arenaBytes) {
    if (!extendRegion(R_ARENA, max<usize>(arenaBytes << 1, used + need), used)) return -1;
  }

  let rec = GETREGIONPTR(R_ARENA) + used;
  store<u32>(rec, total, TB_TOTAL);
  store<u32>(rec, n, TB_NFRAME);
  memory.copy(rec + TB_FRAMES, ROOT + H_SCRATCH, <usize>n << 2);
  store<u32>(GETREGIONPTR(R_OFFSETS) + (<usize>count << 2), <u32>used);
  store<u32>(slot, h, I_HASH);
  store<u32>(slot, count + 1, I_ID1);
  SET32(H_TRACEBACK_COUNT, count + 1);
  SET32(H_ARENA_USED, <u32>(used + need));
  return <i32>count;
}

/** Frame `f` if it is among the `n` kept frames (index `i`), else 0: frames past n are garbage. */
// @ts-ignore: decorator
@inline function KEEP(f: u32, i: u32, n: u32): u32 {
  return select<u32>(f, 0, i < n);
}

/**
 * Interns the stack passed to an import: `total` frames deep, f0 most recent. Keeps
 * min(total, nframe) frames. Returns the traceback id, or -1 when out of memory.
 */
// @ts-ignore: decorator
@inline export function internStack(
  total: u32,
  f0: u32, f1: u32, f2: u32, f3: u32, f4: u32, f5: u32, f6: u32, f7: u32,
  f8: u32, f9: u32, f10: u32, f11: u32, f12: u32, f13: u32, f14: u32, f15: u32
): i32 {
  let nframe = GET32(H_NFRAME);
  if (nframe == 1) return internOneFrame(total, f0);
  let n = min<u32>(total, nframe);
  if (n == 0) { total = 1; n = 1; f0 = 0; }
  let m1 = KEEP(f1, 1, n); let m2 = KEEP(f2, 2, n); let m3 = KEEP(f3, 3, n);
  let m4 = KEEP(f4, 4, n); let m5 = KEEP(f5, 5, n); let m6 = KEEP(f6, 6, n);
  let m7 = KEEP(f7, 7, n); let m8 = KEEP(f8, 8, n); let m9 = KEEP(f9, 9, n);
  let m10 = KEEP(f10, 10, n); let m11 = KEEP(f11, 11, n); let m12 = KEEP(f12, 12, n);
  let m13 = KEEP(f13, 13, n); let m14 = KEEP(f14, 14, n); let m15 = KEEP(f15, 15, n);
  let e = STACKSLOT(total, f0, m1);
  let diff = (total ^ load<u32>(e)) | (f0 ^ load<u32>(e, 8)) | (m1 ^ load<u32>(e, 12))
    | (m2 ^ load<u32>(e, 16)) | (m3 ^ load<u32>(e, 20)) | (m4 ^ load<u32>(e, 24)) | (m5 ^ load<u32>(e, 28))
    | (m6 ^ load<u32>(e, 32)) | (m7 ^ load<u32>(e, 36)) | (m8 ^ load<u32>(e, 40)) | (m9 ^ load<u32>(e, 44))
    | (m10 ^ load<u32>(e, 48)) | (m11 ^ load<u32>(e, 52)) | (m12 ^ load<u32>(e, 56)) | (m13 ^ load<u32>(e, 60))
    | (m14 ^ load<u32>(e, 64)) | (m15 ^ load<u32>(e, 68));
  let cached = load<u32>(e, 4);
  if (diff == 0 && cached != 0) return <i32>(cached - 1);
  let s = ROOT + H_SCRATCH;
  store<u32>(s, f0, 0); store<u32>(s, m1, 4); store<u32>(s, m2, 8); store<u32>(s, m3, 12);
  store<u32>(s, m4, 16); store<u32>(s, m5, 20); store<u32>(s, m6, 24); store<u32>(s, m7, 28);
  store<u32>(s, m8, 32); store<u32>(s, m9, 36); store<u32>(s, m10, 40); store<u32>(s, m11, 44);
  store<u32>(s, m12, 48); store<u32>(s, m13, 52); store<u32>(s, m14, 56); store<u32>(s, m15, 60);
  let id = internScratch(total, n);
  if (id >= 0) {
    store<u32>(e, total);
    store<u32>(e, <u32>id + 1, 4);
    memory.copy(e + 8, s, <usize>FRAMES << 2);
  }
  return id;
}

/**
 * internStack for a stack passed with one frame (alloc1, realloc1): f1..f15 are 0. When nframe
 * is 1 only (total, f0) can differ between tracebacks, looked up in the one-frame cache, which
 * holds tracebacks interned under the same nframe (a change of nframe empties it).
 */
// @ts-ignore: decorator
@inline export function internStack1(total: u32, f0: u32): i32 {
  if (GET32(H_NFRAME) != 1) return internOneFrameDeep(total, f0);
  return internOneFrame(total, f0);
}

/**
 * internStack1 while nframe is not 1 (a one-frame report racing a change of nframe): kept out
 * of line, so that alloc1 and realloc1 stay small.
 */
function internOneFrameDeep(total: u32, f0: u32): i32 {
  return internStack(total, f0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
}

/** Interns (total, [f0]) under nframe 1 through the one-frame cache. */
// @ts-ignore: decorator
@inline function internOneFrame(total: u32, f0: u32): i32 {
  if (total == 0) { total = 1; f0 = 0; }
  let e = ONESLOT(total, f0);
  if (load<u32>(e) == total && load<u32>(e, 4) == f0) {
    let id1 = load<u32>(e, 8);
    if (id1 != 0) return <i32>(id1 - 1);
  }
  return internOne(total, f0, e);
}

/**
 * The traceback id of (total, [f0]) if nframe is 1 and the one-frame cache holds it, else -1
 * (nothing interned: the fast paths of table.ts then take the general path).
 */
// @ts-ignore: decorator
@inline export function cachedOneFrame(total: u32, f0: u32): i32 {
  if (GET32(H_NFRAME) != 1) return -1;
  if (total == 0) { total = 1; f0 = 0; }
  let e = ONESLOT(total, f0);
  if (load<u32>(e) != total || load<u32>(e, 4) != f0) return -1;
  return <i32>load<u32>(e, 8) - 1;
}

/** The cache-miss path of internStack1 (nframe 1): interns (total, [f0]) and caches it in entry `e`. */
function internOne(total: u32, f0: u32, e: usize): i32 {
  let s = ROOT + H_SCRATCH;
  store<u32>(s, f0); store<u32>(s, 0, 4); store<u32>(s, 0, 8); store<u32>(s, 0, 12);
  let id = internScratch(total, 1);
  if (id >= 0) {
    store<u32>(e, total);
    store<u32>(e, f0, 4);
    store<u32>(e, <u32>id + 1, 8);
  }
  return id;
}

/** Gives the tracebacks fresh, empty regions (no ids). False if out of memory. */
export function initTracebacks(): bool {
  forgetCachedTracebacks();
  SETREGION(R_INDEX, 0, 0);
  SETREGION(R_OFFSETS, 0, 0);
  SETREGION(R_ARENA, 0, 0);
  SET32(H_TRACEBACK_COUNT, 0);
  SET32(H_INDEX_CAP, 0);
  SET32(H_ARENA_USED, 0);
  if (!rehashIndex(INDEX_MIN_CAP)) return false;
  let offsets = placeRegion(<usize>OFFSETS_MIN_COUNT << 2);
  if (offsets == 0) return false;
  SETREGION(R_OFFSETS, offsets, <usize>OFFSETS_MIN_COUNT << 2);
  let arena = placeRegion(<usize>ARENA_MIN_BYTES);
  if (arena == 0) return false;
  SETREGION(R_ARENA, arena, <usize>ARENA_MIN_BYTES);
  return true;
}
