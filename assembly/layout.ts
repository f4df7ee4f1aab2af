// === The trace table: memory layout ===
//
// Everything the table knows lives in one stretch of linear memory that starts at `ROOT`:
// a fixed header, then five regions that grow independently (see regions.ts).
//
//   ROOT                                                                                 end
//    ├── header (HEADER_SIZE) ──┬── blocks ──┬── wide ───┬── index ──┬─ offsets ─┬─ arena ─┤ ...
//    │ flags, counters, region  │  live      │ (size, id)│ traceback │ id →      │ records │
//    │ table, sampler, scratch  │  blocks    │ too wide  │ interning │ record    │         │
//
// Regions are placed by first fit and may appear in any order; the header says where each
// one is. The host reads all of it directly from the table's memory (src/host/tableLayout.ts
// mirrors the offsets below and checks `magic` and `version`).
//
// Production (assembly/index.ts): ROOT = __heap_base, the table grows the module's memory.
// Tests (test/assembly): ROOT = a `heap.alloc`ed region of fixed size, nothing grows.

// === Limits of the ABI (docs/abi.md, section 2) ===

/** Most frames a traceback can hold: the frame arguments f0..f15 of the imports. */
// @ts-ignore: decorator
@inline export const FRAMES: u32 = 16;

/** Buckets of the free filter (docs/abi.md §2): one bit each in the i32 global `freeFilter`. */
// @ts-ignore: decorator
@inline export const FREE_BUCKETS: u32 = 32;

/** Bucket of block `ptr` in the free filter: the top 5 bits of a Fibonacci hash (docs/abi.md §2). */
// @ts-ignore: decorator
@inline export function FREEBUCKET(ptr: u32): u32 {
  return (ptr * 0x9E3779B1) >> 27;
}

// === Header ===

// ╒══════════════════════ Table header (at ROOT, HEADER_SIZE bytes) ═════════════════════╕
//  offset                                                                         type
//      0 ┌──────────────────────────────────────────────────────────────────────┐
//        │ magic "TMT1"                                                         │ u32
//      4 │ version (LAYOUT_VERSION)                                             │ u32
//      8 │ flags: TRACING | OOM_STOPPED | SAMPLING | REALLOC_ZERO_FREES        │ u32
//     12 │ nframe: traceback limit, 1..FRAMES (0 before the first start)        │ u32
//     16 │ limit: most bytes the table may span, counted from ROOT              │ u32
//     20 │ end: first address past the memory the table may use now             │ u32
//     24 │ highWater: largest span ever reached, counted from ROOT              │ u32
//     28 │ (padding)                                                            │ u32
//        ╞══════════════════════════════════════════════════════════════════════╡
//     32 │ region[0] blocks:  ptr │ bytes                                       │ u32 u32
//     40 │ region[1] index:   ptr │ bytes                                       │ u32 u32
//     48 │ region[2] offsets: ptr │ bytes                                       │ u32 u32
//     56 │ region[3] arena:   ptr │ bytes                                       │ u32 u32
//     64 │ region[4] wide:    ptr │ bytes                                       │ u32 u32
//        ╞══════════════════════════════════════════════════════════════════════╡
//     72 │ blocksCap: slots in the blocks table                                 │ u32
//     76 │ liveBlocks: occupied slots                                           │ u32
//     80 │ tracebackCount: interned tracebacks, ids 0..count-1                  │ u32
//     84 │ indexCap: slots in the intern index                                  │ u32
//     88 │ arenaUsed: bytes of records in the arena                             │ u32
//     92 │ freeBits: sampling mode, bit b set iff freeCounts[b] > 0 (freeFilter)│ u32
//     96 │ wideUsed: records of the wide region handed out at least once        │ u32
//    100 │ wideFree: first record of the wide region's free list, + 1 (0: none) │ u32
//        ╞══════════════════════════════════════════════════════════════════════╡
//    104 │ current: bytes of the traced blocks                                  │ u64
//    112 │ peak: largest `current` since start / clear / resetPeak              │ u64
//    120 │ allocations: traces added                                            │ u64
//    128 │ frees: traces removed (free, realloc, realloc-to-zero)               │ u64
//    136 │ unknownFrees: exact mode, frees of pointers not traced               │ u64
//    144 │ unsampledFrees: sampling mode, frees of pointers not traced          │ u64
//    152 │ replaced: allocations of a pointer already traced (a free was missed)│ u64
//    160 │ skippedBytes: sampling mode, bytes of the allocations not sampled,   │ f64
//        │   up to the last sample point (the host adds drawn − sampleCountdown) │
//        ╞══════════════════════════════════════════════════════════════════════╡
//    168 │ samplingInterval: mean bytes between samples, 0 = exact mode         │ f64
//    176 │ drawn: the countdown drawn at the last sample point (sampler.ts)     │ f64
//    184 │ rng: xorshift64* state                                               │ u64
//    192 │ estimatedCurrent: Σ weight(size) over traced blocks (sampling mode)  │ f64
//    200 │ estimatedPeak: largest estimatedCurrent                              │ f64
//        ╞══════════════════════════════════════════════════════════════════════╡
//    208 │ scratch: FRAMES u32, the frames of the traceback being interned      │ u32 × 16
//        ╞══════════════════════════════════════════════════════════════════════╡
//    272 │ freeCounts: sampling mode, live sampled blocks in each free bucket   │ u32 × 32
//        ╞══════════════════════════════════════════════════════════════════════╡
//    400 │ oneCache: nframe 1, the tracebacks interned last, direct-mapped by   │ 256 ×
//        │   (total, f0): entries (total u32, f0 u32, id + 1 u32; 0 = empty)    │ 12 bytes
//        ╞══════════════════════════════════════════════════════════════════════╡
//   3472 │ stackCache: nframe > 1, the same for whole stacks, direct-mapped by  │ 64 ×
//        │   (total, f0, f1): entries (total u32, id + 1 u32, frames u32 × 16,  │ 72 bytes
//        │   0 past the kept ones)                                              │
//   8080 └──────────────────────────────────────────────────────────────────────┘
//
// The bytes-left countdown of the sampler is not in the header: it is the exported global
// `sampleCountdown` (below), which the instrumented target decrements itself.

// @ts-ignore: decorator
@inline export const H_MAGIC: usize = 0;
// @ts-ignore: decorator
@inline export const H_VERSION: usize = H_MAGIC + 4;
// @ts-ignore: decorator
@inline export const H_FLAGS: usize = H_VERSION + 4;
// @ts-ignore: decorator
@inline export const H_NFRAME: usize = H_FLAGS + 4;
// @ts-ignore: decorator
@inline export const H_LIMIT: usize = H_NFRAME + 4;
// @ts-ignore: decorator
@inline export const H_END: usize = H_LIMIT + 4;
// @ts-ignore: decorator
@inline export const H_HIGH_WATER: usize = H_END + 4;
// @ts-ignore: decorator
@inline export const H_REGIONS: usize = H_HIGH_WATER + 8;
// @ts-ignore: decorator
@inline export const REGION_COUNT: usize = 5;
// @ts-ignore: decorator
@inline export const REGION_SIZE: usize = 8;
// @ts-ignore: decorator
@inline export const H_BLOCKS_CAP: usize = H_REGIONS + REGION_COUNT * REGION_SIZE;
// @ts-ignore: decorator
@inline export const H_LIVE_BLOCKS: usize = H_BLOCKS_CAP + 4;
// @ts-ignore: decorator
@inline export const H_TRACEBACK_COUNT: usize = H_LIVE_BLOCKS + 4;
// @ts-ignore: decorator
@inline export const H_INDEX_CAP: usize = H_TRACEBACK_COUNT + 4;
// @ts-ignore: decorator
@inline export const H_ARENA_USED: usize = H_INDEX_CAP + 4;
// @ts-ignore: decorator
@inline export const H_FREE_BITS: usize = H_ARENA_USED + 4;
// @ts-ignore: decorator
@inline export const H_WIDE_USED: usize = H_FREE_BITS + 4;
// @ts-ignore: decorator
@inline export const H_WIDE_FREE: usize = H_WIDE_USED + 4;
// @ts-ignore: decorator
@inline export const H_CURRENT: usize = H_WIDE_FREE + 4;
// @ts-ignore: decorator
@inline export const H_PEAK: usize = H_CURRENT + 8;
// @ts-ignore: decorator
@inline export const H_ALLOCATIONS: usize = H_PEAK + 8;
// @ts-ignore: decorator
@inline export const H_FREES: usize = H_ALLOCATIONS + 8;
// @ts-ignore: decorator
@inline export const H_UNKNOWN_FREES: usize = H_FREES + 8;
// @ts-ignore: decorator
@inline export const H_UNSAMPLED_FREES: usize = H_UNKNOWN_FREES + 8;
// @ts-ignore: decorator
@inline export const H_REPLACED: usize = H_UNSAMPLED_FREES + 8;
// @ts-ignore: decorator
@inline export const H_SKIPPED_BYTES: usize = H_REPLACED + 8;
// @ts-ignore: decorator
@inline export const H_SAMPLING_INTERVAL: usize = H_SKIPPED_BYTES + 8;
// @ts-ignore: decorator
@inline export const H_DRAWN: usize = H_SAMPLING_INTERVAL + 8;
// @ts-ignore: decorator
@inline export const H_RNG: usize = H_DRAWN + 8;
// @ts-ignore: decorator
@inline export const H_EST_CURRENT: usize = H_RNG + 8;
// @ts-ignore: decorator
@inline export const H_EST_PEAK: usize = H_EST_CURRENT + 8;
// @ts-ignore: decorator
@inline export const H_SCRATCH: usize = H_EST_PEAK + 8;
// @ts-ignore: decorator
@inline export const H_FREE_COUNTS: usize = H_SCRATCH + (<usize>FRAMES << 2);
// @ts-ignore: decorator
@inline export const H_ONE_CACHE: usize = H_FREE_COUNTS + (<usize>FREE_BUCKETS << 2);
/** Entries of the one-frame traceback cache (tracebacks.ts), 12 bytes each. */
// @ts-ignore: decorator
@inline export const ONE_CACHE_SLOTS: usize = 256;
// @ts-ignore: decorator
@inline export const H_STACK_CACHE: usize = H_ONE_CACHE + ONE_CACHE_SLOTS * 12;
/** Entries of the stack cache (tracebacks.ts), STACK_CACHE_ENTRY bytes each. */
// @ts-ignore: decorator
@inline export const STACK_CACHE_SLOTS: usize = 64;
// @ts-ignore: decorator
@inline export const STACK_CACHE_ENTRY: usize = 8 + (<usize>FRAMES << 2);
// @ts-ignore: decorator
@inline export const HEADER_SIZE: usize = H_STACK_CACHE + STACK_CACHE_SLOTS * STACK_CACHE_ENTRY;

/** "TMT1" read as a little-endian u32. */
// @ts-ignore: decorator
@inline export const MAGIC: u32 = 0x31544D54;
/** Bumped whenever an offset or a record layout in this file changes. */
// @ts-ignore: decorator
@inline export const LAYOUT_VERSION: u32 = 5;

// Regions, by index into the header's region table.

/** The blocks table: live blocks, ptr → (size, traceback id). */
// @ts-ignore: decorator
@inline export const R_BLOCKS: usize = 0;
/** The intern index: traceback hash → traceback id. */
// @ts-ignore: decorator
@inline export const R_INDEX: usize = 1;
/** Offsets: traceback id → byte offset of its record in the arena. */
// @ts-ignore: decorator
@inline export const R_OFFSETS: usize = 2;
/** The arena: traceback records, appended in id order. */
// @ts-ignore: decorator
@inline export const R_ARENA: usize = 3;
/** Wide entries: (size, traceback id) of the blocks whose pair does not pack in 32 bits (blocks.ts). */
// @ts-ignore: decorator
@inline export const R_WIDE: usize = 4;

// Flags. TRACING and OOM_STOPPED are state; SAMPLING and REALLOC_ZERO_FREES are settings
// that survive stop() and start().

// @ts-ignore: decorator
@inline export const TRACING: u32 = 1 << 0;
// @ts-ignore: decorator
@inline export const OOM_STOPPED: u32 = 1 << 1;
// @ts-ignore: decorator
@inline export const SAMPLING: u32 = 1 << 2;
// @ts-ignore: decorator
@inline export const REALLOC_ZERO_FREES: u32 = 1 << 3;
// @ts-ignore: decorator
@inline export const SETTINGS: u32 = SAMPLING | REALLOC_ZERO_FREES;

// Results of the control functions (start, setSampling). The host turns them into Errors.

// @ts-ignore: decorator
@inline export const OK: i32 = 0;
/** start(nframe): nframe outside 1..FRAMES. */
// @ts-ignore: decorator
@inline export const E_NFRAME: i32 = 1;
/** start(nframe): the table could not get memory for its initial structures. */
// @ts-ignore: decorator
@inline export const E_OOM: i32 = 2;
/** setSampling(interval): interval negative, NaN or infinite. */
// @ts-ignore: decorator
@inline export const E_INTERVAL: i32 = 3;

/** The table's limit when the host set none: the whole 32-bit address space but its last page. */
// @ts-ignore: decorator
@inline export const NO_LIMIT: u32 = 0xFFFF0000;

// === The header's base address and its accessors ===

/** Address of the header; 0 until `attachTable` ran. */
export let ROOT: usize = 0;

/** Points the table at a new header address (does not initialize it: see attachTable). */
export function setRoot(root: usize): void {
  ROOT = root;
}

/** Loads a u32 field of the header. */
// @ts-ignore: decorator
@inline export function GET32(field: usize): u32 {
  return load<u32>(ROOT + field);
}

/** Stores a u32 field of the header. */
// @ts-ignore: decorator
@inline export function SET32(field: usize, value: u32): void {
  store<u32>(ROOT + field, value);
}

/** Loads a u64 field of the header. */
// @ts-ignore: decorator
@inline export function GET64(field: usize): u64 {
  return load<u64>(ROOT + field);
}

/** Stores a u64 field of the header. */
// @ts-ignore: decorator
@inline export function SET64(field: usize, value: u64): void {
  store<u64>(ROOT + field, value);
}

/** Adds one to a u64 counter of the header. */
// @ts-ignore: decorator
@inline export function COUNT(field: usize): void {
  store<u64>(ROOT + field, load<u64>(ROOT + field) + 1);
}

/** Loads an f64 field of the header. */
// @ts-ignore: decorator
@inline export function GETF(field: usize): f64 {
  return load<f64>(ROOT + field);
}

/** Stores an f64 field of the header. */
// @ts-ignore: decorator
@inline export function SETF(field: usize, value: f64): void {
  store<f64>(ROOT + field, value);
}

/** Gets the flags word. */
// @ts-ignore: decorator
@inline export function GETFLAGS(): u32 {
  return load<u32>(ROOT + H_FLAGS);
}

/**
 * Frames the target should report: nframe while tracing, 0 otherwise. Exported as a mutable
 * global that the instrumented target imports (docs/abi.md §2), so that its allocator wrapper
 * skips the call into this module when nothing is traced, and passes one frame instead of
 * sixteen when nframe is 1. Kept equal to the flags and nframe by SETFLAGS and SETNFRAME.
 */
export let reportFrames: i32 = 0;

/**
 * The sampler's countdown: bytes left before the next sample point (sampler.ts). Exported as a
 * mutable global that the target imports: its allocator wrapper subtracts the size and calls
 * `alloc` only when the result is ≤ 0, storing the decremented value itself otherwise, so that
 * an unsampled allocation makes no call. −Infinity in exact mode: every allocation calls in.
 */
export let sampleCountdown: f64 = -Infinity;

/** Sets the sampler's countdown (sampler.ts). */
// @ts-ignore: decorator
@inline export function SETCOUNTDOWN(value: f64): void {
  sampleCountdown = value;
}

/**
 * Which frees the target must report: it calls `free(ptr)` iff bit FREEBUCKET(ptr) is set.
 * 0 while not tracing, all ones in exact mode, and in sampling mode the buckets holding at
 * least one live sampled block (freeBits), so that the frees of unsampled blocks mostly make no
 * call and the free of a sampled block is never missed. Kept in step by SETFLAGS and table.ts.
 */
export let freeFilter: i32 = 0;

/** Sets the free filter while tracing in sampling mode (table.ts keeps freeBits in step). */
// @ts-ignore: decorator
@inline export function SETFREEFILTER(bits: u32): void {
  SET32(H_FREE_BITS, bits);
  freeFilter = <i32>bits;
}

/** Sets the flags word (and the globals the target reads: reportFrames, freeFilter). */
// @ts-ignore: decorator
@inline export function SETFLAGS(flags: u32): void {
  store<u32>(ROOT + H_FLAGS, flags);
  reportFrames = flags & TRACING ? <i32>load<u32>(ROOT + H_NFRAME) : 0;
  freeFilter = !(flags & TRACING) ? 0 : flags & SAMPLING ? <i32>load<u32>(ROOT + H_FREE_BITS) : -1;
}

/** Sets nframe, the most frames kept per traceback. */
// @ts-ignore: decorator
@inline export function SETNFRAME(nframe: u32): void {
  store<u32>(ROOT + H_NFRAME, nframe);
  SETFLAGS(GETFLAGS());
}

/** Gets the start address of region `r` (0 when the region holds nothing). */
// @ts-ignore: decorator
@inline export function GETREGIONPTR(r: usize): usize {
  return load<u32>(ROOT + H_REGIONS + r * REGION_SIZE);
}

/** Gets the size in bytes of region `r`. */
// @ts-ignore: decorator
@inline export function GETREGIONBYTES(r: usize): usize {
  return load<u32>(ROOT + H_REGIONS + r * REGION_SIZE, 4);
}

/** Sets where region `r` is and how large it is. */
// @ts-ignore: decorator
@inline export function SETREGION(r: usize, ptr: usize, bytes: usize): void {
  store<u32>(ROOT + H_REGIONS + r * REGION_SIZE, <u32>ptr);
  store<u32>(ROOT + H_REGIONS + r * REGION_SIZE, <u32>bytes, 4);
}

// === Hashing shared by both hash tables ===

/** Maps a 32-bit hash onto 0..cap-1 by its high bits (Lemire's fastrange; cap need not be 2^k). */
// @ts-ignore: decorator
@inline export function SLOT(hash: u32, cap: u32): u32 {
  return <u32>((<u64>hash * <u64>cap) >> 32);
}

// The intern index (tracebacks.ts) is open-addressing with linear probing, grown before an
// insertion would fill more than LOAD_NUM/LOAD_DEN of its slots to GROWN_SLOTS_PER_ENTRY slots
// an entry: between 1/2 and 7/10 full. The blocks table has its own policy (blocks.ts).

// @ts-ignore: decorator
@inline export const LOAD_NUM: u64 = 7;
// @ts-ignore: decorator
@inline export const LOAD_DEN: u64 = 10;
/** A grown table has GROWN_SLOTS_PER_ENTRY slots for each entry it holds. */
// @ts-ignore: decorator
@inline export const GROWN_SLOTS_PER_ENTRY: u32 = 2;

/** Whether a table of `cap` slots holding `count` entries must grow before one more insertion. */
// @ts-ignore: decorator
@inline export function MUSTGROW(count: u32, cap: u32): bool {
  return (<u64>count + 1) * LOAD_DEN > <u64>cap * LOAD_NUM;
}
