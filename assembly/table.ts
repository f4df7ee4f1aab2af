// === The trace table: what the instrumented target and the host call ===
//
// Imports of the target (docs/abi.md, section 2), passed to it as the table's own exports so
// that every call is Wasm → Wasm:
//
//   alloc(ptr, size, total, f0..f15)            an outermost malloc/calloc/aligned alloc returned ptr
//   free(ptr)                                   an outermost free, before the real free
//   realloc(old, new, size, total, f0..f15)     an outermost realloc returned `new`
//
// None of them can trap: an unknown pointer is counted, a pointer already traced is replaced,
// and when the table runs out of memory it stops tracing by itself (OOM_STOPPED), keeping the
// traces it had, and leaves the target alone.
//
// Control, called by the host (src/host/traceTable.ts): start, stop, clearTraces, isTracing,
// getTracebackLimit, resetPeak, setSampling, setReallocZeroFrees, setMemoryLimit, findBlock,
// tracebackAddress, tracemallocMemory, layout. Counters and structures are read by the host
// straight from memory (layout.ts, blocks.ts, tracebacks.ts).
//
// Counter identities (exact mode, and sampling mode for the sampled blocks):
//   liveBlocks = allocations − frees − replaced
//   current    = Σ size over the live entries
// A realloc that keeps its address still removes the old trace and adds a new one (as CPython
// does), so it counts as one free and one allocation and takes the realloc's traceback.

import {
  ROOT, setRoot, GET32, SET32, GET64, SET64, GETF, SETF, COUNT, GETFLAGS, SETFLAGS, SETNFRAME,
  FRAMES, HEADER_SIZE, MAGIC, LAYOUT_VERSION, NO_LIMIT, OK, E_NFRAME, E_OOM, E_INTERVAL,
  TRACING, OOM_STOPPED, SAMPLING, REALLOC_ZERO_FREES, SETTINGS,
  H_MAGIC, H_VERSION, H_NFRAME, H_LIMIT, H_END, H_HIGH_WATER, H_CURRENT, H_PEAK, H_ALLOCATIONS,
  H_FREES, H_UNKNOWN_FREES, H_UNSAMPLED_FREES, H_REPLACED, H_SKIPPED_BYTES, H_SAMPLING_INTERVAL,
  H_DRAWN, H_EST_CURRENT, H_EST_PEAK, H_BLOCKS_CAP, H_LIVE_BLOCKS, H_TRACEBACK_COUNT,
  H_INDEX_CAP, H_ARENA_USED, H_FREE_BITS, H_FREE_COUNTS, FREE_BUCKETS, FREEBUCKET, H_WIDE_USED, H_WIDE_FREE,
  sampleCountdown, SETCOUNTDOWN, SETFREEFILTER,
} from "./layout";
import { setGrowable, releaseRegions, bytesInUse } from "./regions";
import {
  findBlock as findBlockEntry, upsertBlock, removeBlock, reserveBlock, initBlocks, GETSIZE, SETENTRY,
  tryInsertAtHome, tryRemoveAtHome, tryResizeAtHome,
} from "./blocks";
import {
  internStack, internStack1, cachedOneFrame, initTracebacks, forgetCachedTracebacks, tracebackAddress as recordOf,
} from "./tracebacks";
import { SAMPLED, sampleWeight, seedSampler, freshCountdown } from "./sampler";

// === Setup ===

/**
 * Puts a fresh table (not tracing, nframe 1, exact mode, no limit) at `root`. With
 * `capacity` 0 the table grows the module's memory as needed (production); otherwise it keeps
 * to [root, root + capacity) (tests, in a heap.alloc'ed region). False if the header does not fit.
 */
export function attachTable(root: usize, capacity: usize): bool {
  let end: u64 = capacity == 0 ? <u64>memory.size() << 16 : <u64>root + <u64>capacity;
  let headerEnd = <u64>root + <u64>HEADER_SIZE;
  if (headerEnd > end) {
    if (capacity != 0) return false;
    if (memory.grow(<i32>((headerEnd - end + 0xFFFF) >> 16)) < 0) return false;
    end = <u64>memory.size() << 16;
  }
  setRoot(root);
  setGrowable(capacity == 0);
  memory.fill(root, 0, HEADER_SIZE);
  SET32(H_MAGIC, MAGIC);
  SET32(H_VERSION, LAYOUT_VERSION);
  SETNFRAME(1);
  SET32(H_LIMIT, NO_LIMIT);
  SET32(H_END, <u32>min<u64>(end, 0xFFFFFFFF));
  SET32(H_HIGH_WATER, <u32>HEADER_SIZE);
  forgetCachedTracebacks();
  SETCOUNTDOWN(-Infinity);
  seedSampler(0);
  return true;
}

/** Address of the table header, where the host starts reading. */
export function layout(): usize {
  return ROOT;
}

// === Bookkeeping shared by the imports ===

/** Stops tracing because memory ran out; the traces so far stay readable. */
function stopForMemory(): void {
  SETFLAGS((GETFLAGS() & ~TRACING) | OOM_STOPPED);
}

/** Counts `size` more traced bytes (and their weight in sampling mode), raising the peaks. */
// @ts-ignore: decorator
@inline function addBytes(size: u32, flags: u32): void {
  let current = GET64(H_CURRENT) + <u64>size;
  SET64(H_CURRENT, current);
  if (current > GET64(H_PEAK)) SET64(H_PEAK, current);
  if (flags & SAMPLING) {
    let est = GETF(H_EST_CURRENT) + sampleWeight(size);
    SETF(H_EST_CURRENT, est);
    if (est > GETF(H_EST_PEAK)) SETF(H_EST_PEAK, est);
  }
}

/** Counts `size` fewer traced bytes (and their weight in sampling mode). */
// @ts-ignore: decorator
@inline function subtractBytes(size: u32, flags: u32): void {
  SET64(H_CURRENT, GET64(H_CURRENT) - <u64>size);
  if (flags & SAMPLING) SETF(H_EST_CURRENT, GETF(H_EST_CURRENT) - sampleWeight(size));
}

/** Sampling mode, while tracing: one more live sampled block in ptr's free bucket (sets its bit in freeFilter). */
function countInFreeBucket(ptr: u32): void {
  let b = FREEBUCKET(ptr);
  let a = ROOT + H_FREE_COUNTS + (<usize>b << 2);
  let n = load<u32>(a);
  store<u32>(a, n + 1);
  if (n == 0) SETFREEFILTER(GET32(H_FREE_BITS) | (1 << b));
}

/** Sampling mode, while tracing: one live sampled block fewer in ptr's bucket (clears its bit at zero). */
function uncountInFreeBucket(ptr: u32): void {
  let b = FREEBUCKET(ptr);
  let a = ROOT + H_FREE_COUNTS + (<usize>b << 2);
  let n = load<u32>(a) - 1;
  store<u32>(a, n);
  if (n == 0) SETFREEFILTER(GET32(H_FREE_BITS) & ~(1 << b));
}

/** Traces block `ptr`; room must have been reserved. A live entry for `ptr` (a missed free) is replaced. */
// @ts-ignore: decorator
@inline function addTrace(ptr: u32, size: u32, traceback: u32, flags: u32): void {
  let e = upsertBlock(ptr, size, traceback);
  if (e != 0) {
    subtractBytes(GETSIZE(e), flags);
    SETENTRY(e, ptr, size, traceback);
    COUNT(H_REPLACED);
  } else if (flags & SAMPLING) {
    countInFreeBucket(ptr);
  }
  COUNT(H_ALLOCATIONS);
  addBytes(size, flags);
}

/** Removes the trace of `ptr`, or counts a free of a pointer that is not traced. */
// @ts-ignore: decorator
@inline function forgetBlock(ptr: u32, flags: u32): void {
  let size = removeBlock(ptr);
  if (size < 0) {
    COUNT(flags & SAMPLING ? H_UNSAMPLED_FREES : H_UNKNOWN_FREES);
    return;
  }
  subtractBytes(<u32>size, flags);
  if (flags & SAMPLING) uncountInFreeBucket(ptr);
  COUNT(H_FREES);
}

/**
 * forgetBlock out of line: what free's fast path falls back to, and what the general realloc
 * calls. It has more than one caller, so that Binaryen's inliner leaves it out of free.
 */
function forgetBlockGeneral(ptr: u32, flags: u32): void {
  forgetBlock(ptr, flags);
}

// === Imports of the instrumented target (docs/abi.md, section 2) ===
//
// alloc1, free and realloc1 (what the target calls while nframe is 1) first try a fast path:
// exact mode, a traceback in the one-frame cache, and a block in its home group (blocks.ts,
// "Fast paths"). It either does the whole operation or changes nothing, and then the general
// path does it from the start: alloc and realloc themselves (called with f1..f15 = 0), and
// forgetBlockGeneral. Those are called, not inlined (exports and a function with several
// callers are what Binaryen's inliner leaves alone), so that the hot functions stay small.

/**
 * The body of alloc. Under nframe 1 only (total, f0) matter, and they go through the one-frame
 * cache, which alloc1's fast path reads.
 */
// @ts-ignore: decorator
@inline function traceAlloc(
  ptr: u32, size: u32, total: u32,
  f0: u32, f1: u32, f2: u32, f3: u32, f4: u32, f5: u32, f6: u32, f7: u32,
  f8: u32, f9: u32, f10: u32, f11: u32, f12: u32, f13: u32, f14: u32, f15: u32
): void {
  let flags = GETFLAGS();
  if (!(flags & TRACING) || ptr == 0) return;
  if ((flags & SAMPLING) && !SAMPLED(size)) return;
  let traceback = GET32(H_NFRAME) == 1
    ? internStack1(total, f0)
    : internStack(total, f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15);
  if (traceback < 0 || !reserveBlock(size, <u32>traceback)) {
    stopForMemory();
    return;
  }
  addTrace(ptr, size, <u32>traceback, flags);
}

/**
 * An outermost allocation returned `ptr` (size bytes requested) at a stack `total` deep, f0 most
 * recent. In sampling mode the target calls only when its countdown test says "sampled", and
 * the table runs the same test on the countdown the target left as it was.
 */
export function alloc(
  ptr: u32, size: u32, total: u32,
  f0: u32, f1: u32, f2: u32, f3: u32, f4: u32, f5: u32, f6: u32, f7: u32,
  f8: u32, f9: u32, f10: u32, f11: u32, f12: u32, f13: u32, f14: u32, f15: u32
): void {
  traceAlloc(ptr, size, total, f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15);
}

/**
 * alloc with one frame: what the target's wrapper calls while reportFrames is 1, so that it
 * loads and passes one slot instead of sixteen (the frames past nframe are ignored anyway).
 * Fast path first, else alloc.
 */
export function alloc1(ptr: u32, size: u32, total: u32, f0: u32): void {
  let flags = GETFLAGS();
  if (!(flags & TRACING) || ptr == 0) return;
  if (!(flags & SAMPLING)) {
    let traceback = cachedOneFrame(total, f0);
    if (traceback >= 0 && tryInsertAtHome(ptr, size, <u32>traceback)) {
      COUNT(H_ALLOCATIONS);
      addBytes(size, TRACING);
      return;
    }
  }
  alloc(ptr, size, total, f0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
}

/** An outermost free of `ptr` is about to happen. */
export function free(ptr: u32): void {
  let flags = GETFLAGS();
  if (!(flags & TRACING) || ptr == 0) return;
  if (!(flags & SAMPLING)) {
    let size = tryRemoveAtHome(ptr);
    if (size >= 0) {
      subtractBytes(<u32>size, TRACING);
      COUNT(H_FREES);
      return;
    }
  }
  forgetBlockGeneral(ptr, flags);
}

/**
 * An outermost realloc(old, size) returned `new`. old = 0: an allocation. new = 0: failed (old
 * stays traced), unless size = 0 and the target's libc frees there (reallocZeroFrees).
 * Otherwise old's trace is removed and new's added, whether the block moved or not.
 */
export function realloc(
  old: u32, new_: u32, size: u32, total: u32,
  f0: u32, f1: u32, f2: u32, f3: u32, f4: u32, f5: u32, f6: u32, f7: u32,
  f8: u32, f9: u32, f10: u32, f11: u32, f12: u32, f13: u32, f14: u32, f15: u32
): void {
  traceRealloc(old, new_, size, total, f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15);
}

/** realloc with one frame (see alloc1): fast path for a block resized in place, else realloc. */
export function realloc1(old: u32, new_: u32, size: u32, total: u32, f0: u32): void {
  let flags = GETFLAGS();
  if (!(flags & TRACING)) return;
  if (!(flags & SAMPLING) && old == new_ && new_ != 0) {
    // Resized in place, as in the general path: one free and one allocation, the new traceback.
    let traceback = cachedOneFrame(total, f0);
    if (traceback >= 0) {
      let was = tryResizeAtHome(new_, size, <u32>traceback);
      if (was >= 0) {
        subtractBytes(<u32>was, TRACING);
        COUNT(H_FREES);
        COUNT(H_ALLOCATIONS);
        addBytes(size, TRACING);
        return;
      }
    }
  }
  realloc(old, new_, size, total, f0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
}

/** The body of realloc; under nframe 1 through the one-frame cache, as traceAlloc. */
// @ts-ignore: decorator
@inline function traceRealloc(
  old: u32, new_: u32, size: u32, total: u32,
  f0: u32, f1: u32, f2: u32, f3: u32, f4: u32, f5: u32, f6: u32, f7: u32,
  f8: u32, f9: u32, f10: u32, f11: u32, f12: u32, f13: u32, f14: u32, f15: u32
): void {
  let flags = GETFLAGS();
  if (!(flags & TRACING)) return;
  if (new_ == 0) {
    if (size == 0 && old != 0 && (flags & REALLOC_ZERO_FREES)) forgetBlockGeneral(old, flags);
    return;
  }
  let sampled = !(flags & SAMPLING) || SAMPLED(size);
  let traceback: i32 = 0;
  if (sampled) {
    // Everything that needs memory comes first: running out then leaves old traced.
    traceback = GET32(H_NFRAME) == 1
      ? internStack1(total, f0)
      : internStack(total, f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15);
    if (traceback < 0 || !reserveBlock(size, <u32>traceback)) {
      stopForMemory();
      return;
    }
  }
  if (old == new_ && !(flags & SAMPLING)) {
    // Resized in place (tree-sitter's reallocs nearly all are): the entry is rewritten where it
    // is, one probe instead of a delete and an insert. Same counts as below.
    let e = findBlockEntry(old);
    if (e != 0) {
      subtractBytes(GETSIZE(e), flags);
      SETENTRY(e, new_, size, <u32>traceback);
      COUNT(H_FREES);
      COUNT(H_ALLOCATIONS);
      addBytes(size, flags);
      return;
    }
  }
  if (old != 0) forgetBlockGeneral(old, flags);
  if (sampled) addTrace(new_, size, <u32>traceback, flags);
}

// === Control, called by the host ===

/**
 * Zeroes every counter of the traces and empties the free filter's buckets (not the settings,
 * the sampler's countdown or the limit: skipped bytes count from the countdown as it is now).
 */
function zeroCounters(): void {
  for (let f = H_CURRENT; f <= H_SKIPPED_BYTES; f += 8) SET64(f, 0);
  SETF(H_DRAWN, sampleCountdown);
  SETF(H_EST_CURRENT, 0);
  SETF(H_EST_PEAK, 0);
  memory.fill(ROOT + H_FREE_COUNTS, 0, <usize>FREE_BUCKETS << 2);
  SET32(H_FREE_BITS, 0);
  SETFLAGS(GETFLAGS());
}

/** Drops all traces and tracebacks and gives the structures fresh, small regions. False if out of memory. */
function resetTraces(): bool {
  releaseRegions();
  zeroCounters();
  return initBlocks() && initTracebacks();
}

/** Drops all traces and tracebacks and gives back their regions: nothing left but the header. */
function dropTraces(): void {
  releaseRegions();
  zeroCounters();
  forgetCachedTracebacks();
  SET32(H_BLOCKS_CAP, 0);
  SET32(H_LIVE_BLOCKS, 0);
  SET32(H_TRACEBACK_COUNT, 0);
  SET32(H_INDEX_CAP, 0);
  SET32(H_ARENA_USED, 0);
  SET32(H_WIDE_USED, 0);
  SET32(H_WIDE_FREE, 0);
}

/**
 * Starts tracing with tracebacks of at most `nframe` frames (1..FRAMES). Already tracing: only
 * changes nframe (as CPython). Otherwise clears whatever was kept. Returns OK, E_NFRAME or E_OOM.
 */
export function start(nframe: i32): i32 {
  if (nframe < 1 || nframe > <i32>FRAMES) return E_NFRAME;
  let flags = GETFLAGS();
  if (flags & TRACING) {
    if (<u32>nframe != GET32(H_NFRAME)) {
      SETNFRAME(nframe);
      forgetCachedTracebacks();
    }
    return OK;
  }
  SETNFRAME(nframe);
  forgetCachedTracebacks();
  if (!resetTraces()) {
    dropTraces();
    SETFLAGS(flags & SETTINGS);
    return E_OOM;
  }
  if (flags & SAMPLING) freshCountdown();
  SETFLAGS((flags & SETTINGS) | TRACING);
  return OK;
}

/** Stops tracing and drops every trace (as CPython's stop); settings are kept. */
export function stop(): void {
  dropTraces();
  SETFLAGS(GETFLAGS() & SETTINGS);
}

/** Drops every trace and zeroes the counters; tracing, if on, goes on with empty structures. */
export function clearTraces(): void {
  if (!(GETFLAGS() & TRACING)) {
    dropTraces();
    return;
  }
  if (!resetTraces()) {
    dropTraces();
    stopForMemory();
  }
}

/** 1 while tracing, else 0. */
export function isTracing(): i32 {
  return GETFLAGS() & TRACING ? 1 : 0;
}

/** The traceback limit set by the last start (1 before any). */
export function getTracebackLimit(): i32 {
  return <i32>GET32(H_NFRAME);
}

/** Sets the peak to the current traced size (and the estimated peak to the estimate). */
export function resetPeak(): void {
  SET64(H_PEAK, GET64(H_CURRENT));
  SETF(H_EST_PEAK, GETF(H_EST_CURRENT));
}

/**
 * Sampling mode with a mean of `interval` bytes between samples (0: exact mode), the generator
 * seeded with seedHi·2^32 + seedLo. A change of mode or interval while tracing clears the traces
 * (sampled and exact traces cannot be mixed). Returns OK or E_INTERVAL.
 */
export function setSampling(interval: f64, seedLo: u32, seedHi: u32): i32 {
  if (!(interval >= 0) || !isFinite(interval)) return E_INTERVAL;
  let flags = GETFLAGS();
  let changed = interval != GETF(H_SAMPLING_INTERVAL);
  SETF(H_SAMPLING_INTERVAL, interval);
  seedSampler((<u64>seedHi << 32) | <u64>seedLo);
  if (flags & SAMPLING) SETF(H_SKIPPED_BYTES, GETF(H_SKIPPED_BYTES) + (GETF(H_DRAWN) - sampleCountdown));
  if (interval > 0) {
    flags |= SAMPLING;
    freshCountdown();
  } else {
    flags &= ~SAMPLING;
    SETCOUNTDOWN(-Infinity);
    SETF(H_DRAWN, -Infinity);
  }
  SETFLAGS(flags);
  if (changed && (flags & TRACING)) clearTraces();
  return OK;
}

/** Whether realloc(p, 0) returning NULL means p was freed (the target's libc decides). */
export function setReallocZeroFrees(frees: bool): void {
  let flags = GETFLAGS();
  SETFLAGS(frees ? flags | REALLOC_ZERO_FREES : flags & ~REALLOC_ZERO_FREES);
}

/**
 * Caps the bytes the table may span from its header (structures and the gaps between them).
 * Takes effect at the next growth: a structure that cannot grow stops tracing (OOM_STOPPED).
 */
export function setMemoryLimit(bytes: u32): void {
  SET32(H_LIMIT, min<u32>(bytes, NO_LIMIT));
}

/** Address of the live entry of block `ptr` (blocks.ts layout), or 0 if it is not traced. */
export function findBlock(ptr: u32): usize {
  return findBlockEntry(ptr);
}

/** Address of the record of traceback `id` (tracebacks.ts layout), or 0 if there is no such id. */
export function tracebackAddress(id: u32): usize {
  return recordOf(id);
}

/**
 * Bytes of the table's structures: the header plus the whole of every region (empty slots of
 * the hash tables and unused room of the arena included). Gaps left by moved regions are not
 * counted: they are reserved memory, which the header's highWater and end measure.
 */
export function tracemallocMemory(): usize {
  return bytesInUse();
}
