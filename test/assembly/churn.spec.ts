import { start, free, findBlock, tracemallocMemory, clearTraces, tracebackAddress } from "../../assembly/table";
import { GET32, GET64, H_BLOCKS_CAP, H_HIGH_WATER, H_REPLACED, H_UNKNOWN_FREES, H_WIDE_USED, HEADER_SIZE, R_BLOCKS, GETREGIONBYTES, GETREGIONPTR } from "../../assembly/layout";
import { GETSIZE, GETTRACEBACK, wideRecordsInUse, countBlocks, misplacedBlocks, BLOCKS_MIN_CAP, BLOCKS_REGION_BYTES, GROUP_SLOTS, GROUP_BYTES, GROUPS, LOCALITY_MIN_CAP, LOCALITY_SHIFT } from "../../assembly/blocks";
import { freshTable, alloc1, realloc1, current, peak, live, allocations, frees, useOneFrameEntries } from "./helpers";

/** misplacedBlocks with scratch room for the current table. */
function misplaced(): u32 {
  let scratch = heap.alloc(<usize>(GET32(H_BLOCKS_CAP) / GROUP_SLOTS) << 2);
  let bad = misplacedBlocks(scratch);
  heap.free(scratch);
  return bad;
}

/** xorshift32: the test's own random numbers, fixed seed. */
let rng: u32 = 0x12345678;
function rand(): u32 {
  rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5;
  return rng;
}

/** 200k random allocs, frees and reallocs (in place and moving) against a Map of the live blocks. */
function churnAgainstModel(): void {
  let model = new Map<u32, u32>();
  let keys = new Array<u32>();  // live pointers, for picking one at random
  let modelCurrent: u64 = 0;
  let modelPeak: u64 = 0;
  let unknown: u64 = 0;
  for (let op = 0; op < 200000; ++op) {
    let r = rand();
    let kind = r % 10;
    if (kind < 5 || keys.length == 0) {
      // pointers from a small space so that the allocator "reuses" addresses
      let ptr = ((rand() % 40000) + 1) << 3;
      // one in eight too wide to pack (blocks.ts: sizes of 2^15 and more take a wide record)
      let size = (r & 0x700) == 0 ? 32768 + rand() % 100000 : rand() % 1000;
      if (model.has(ptr)) {
        modelCurrent -= model.get(ptr);
      } else {
        keys.push(ptr);
      }
      model.set(ptr, size);
      modelCurrent += size;
      alloc1(ptr, size, r & 7);
    } else if (kind < 9) {
      let i = rand() % <u32>keys.length;
      let ptr = keys[i];
      keys[i] = keys[keys.length - 1];
      keys.pop();
      modelCurrent -= model.get(ptr);
      model.delete(ptr);
      free(ptr);
    } else {
      let i = rand() % <u32>keys.length;
      let ptr = keys[i];
      // Half resized in place (realloc.ts's in-place path), half moved to a disjoint set of addresses.
      let moved = (r & 0x10) != 0 ? ptr : ((rand() % 40000) + 1) << 3 | 4;
      let size = (r & 0x300) == 0 ? 32768 + rand() % 100000 : rand() % 2000;
      modelCurrent -= model.get(ptr);
      model.delete(ptr);
      if (model.has(moved)) {
        modelCurrent -= model.get(moved);
        keys[i] = keys[keys.length - 1];
        keys.pop();
      } else {
        keys[i] = moved;
      }
      model.set(moved, size);
      modelCurrent += size;
      realloc1(ptr, moved, size, 3);
    }
    if (modelCurrent > modelPeak) modelPeak = modelCurrent;
    if (op % 1000 == 0) { free(7); ++unknown; }
  }
  expect(live()).toBe(model.size);
  expect(countBlocks()).toBe(model.size);
  expect(misplaced()).toBe(0);
  expect(current()).toBe(modelCurrent);
  expect(peak()).toBe(modelPeak);
  expect(GET64(H_UNKNOWN_FREES)).toBe(unknown);
  expect(<u64>live()).toBe(allocations() - frees() - GET64(H_REPLACED));
  let ptrs = model.keys();
  let wrong = 0;
  for (let i = 0; i < ptrs.length; ++i) {
    let e = findBlock(ptrs[i]);
    if (e == 0 || GETSIZE(e) != model.get(ptrs[i])) ++wrong;
  }
  expect(wrong).toBe(0);
  let wide: u32 = 0;
  for (let i = 0; i < ptrs.length; ++i) if (model.get(ptrs[i]) >= 32768) ++wide;
  expect(wideRecordsInUse()).toBe(wide, "one wide record for each live block whose size does not pack");
}

describe("the blocks table under churn", () => {
  beforeEach(() => { freshTable(16 << 20); start(1); });

  it("matches a Map over 200k random allocs, frees and reallocs (in place and moving)", () => {
    churnAgainstModel();
  });

  it("matches a Map over 200k random operations through alloc1 / realloc1 (their fast paths)", () => {
    useOneFrameEntries(true);
    churnAgainstModel();
  });


  it("finds every key when hundreds share one home group, and after they leave", () => {
    // 600 pointers whose home group is group 0 of the 64-slot table (8 groups): they overflow
    // through all the groups, so group 0's overflow count passes 255 and sticks there.
    let same = new Array<u32>();
    for (let p: u32 = 16; same.length < 40; p += 16) {
      if (<u32>((<u64>(p * 0x9E3779B1) * 8) >> 32) == 0) same.push(p);
    }
    // 40 colliding keys fit the 64 slots below 7/10 full; more would grow the table and spread them.
    for (let i = 0; i < same.length; ++i) alloc1(same[i], 1);
    expect(GET32(H_BLOCKS_CAP)).toBe(BLOCKS_MIN_CAP);
    expect(misplaced()).toBe(0);
    let wrong = 0;
    for (let i = 0; i < same.length; ++i) if (findBlock(same[i]) == 0) ++wrong;
    expect(wrong).toBe(0);
    for (let i = 0; i < same.length; i += 2) free(same[i]);
    expect(misplaced()).toBe(0);
    for (let i = 0; i < same.length; ++i) if ((findBlock(same[i]) != 0) != ((i & 1) == 1)) ++wrong;
    expect(wrong).toBe(0);
    for (let i = 1; i < same.length; i += 2) free(same[i]);
    expect(live()).toBe(0);
    expect(misplaced()).toBe(0);
  });

  it("keeps overflow counts stuck at 255 correct for lookups", () => {
    // Keys all homed in group 0 of a table grown for them: more than 255 of them pass group 0.
    let same = new Array<u32>();
    for (let i: u32 = 1; i <= 4000; ++i) alloc1(0x100000 + (i << 4), 1); // grow the table first
    let groups = GET32(H_BLOCKS_CAP) / GROUP_SLOTS;
    for (let p: u32 = 0x1000000; same.length < 400; p += 16) { // above the other keys
      if (<u32>((<u64>(p * 0x9E3779B1) * <u64>groups) >> 32) == 0) same.push(p);
    }
    for (let i = 0; i < same.length; ++i) alloc1(same[i], 2);
    expect(GET32(H_BLOCKS_CAP) / GROUP_SLOTS).toBe(groups, "no growth while the colliding keys go in");
    expect(misplaced()).toBe(0, "after the colliding keys went in");
    for (let i = 0; i < same.length; ++i) free(same[i]);
    // the stuck count only makes lookups go further: unknown pointers are still not found
    let wrong = 0;
    for (let i = 0; i < same.length; ++i) if (findBlock(same[i]) != 0) ++wrong;
    expect(wrong).toBe(0, "freed colliding keys found");
    for (let i: u32 = 1; i <= 4000; ++i) if (findBlock(0x100000 + (i << 4)) == 0) ++wrong;
    expect(wrong).toBe(0, "other keys lost");
    expect(misplaced()).toBe(0, "after the colliding keys left");
    expect(live()).toBe(4000);
  });

  it("keeps probe runs intact when deleting inside clusters", () => {
    // many pointers, then delete every other one, then every third: runs must stay reachable
    for (let i: u32 = 1; i <= 20000; ++i) alloc1(i << 4, 1);
    for (let i: u32 = 1; i <= 20000; i += 2) free(i << 4);
    expect(misplaced()).toBe(0);
    for (let i: u32 = 2; i <= 20000; i += 6) free(i << 4);
    expect(misplaced()).toBe(0);
    let n: u32 = 0;
    let wrong = 0;
    for (let i: u32 = 1; i <= 20000; ++i) {
      let expected = (i & 1) == 0 && (i - 2) % 6 != 0;
      if ((findBlock(i << 4) != 0) != expected) ++wrong;
      if (expected) ++n;
    }
    expect(wrong).toBe(0);
    expect(live()).toBe(n);
  });
});

/** Pairs of blocks in one 2^LOCALITY_SHIFT-byte chunk (at `from`, `from + chunk`, ...) that have the same group. */
function chunkmatesTogether(from: u32, pairs: u32): u32 {
  let together: u32 = 0;
  for (let i: u32 = 0; i < pairs; ++i) {
    let p = from + (i << LOCALITY_SHIFT);
    alloc1(p, 1);
    alloc1(p + 16, 1);
    let base = GROUPS(GETREGIONPTR(R_BLOCKS));
    if ((findBlock(p) - base) / GROUP_BYTES == (findBlock(p + 16) - base) / GROUP_BYTES) ++together;
  }
  return together;
}

/** Sizes cycling through the edges of a packed value (2^15 − 1, 2^15) and far past it. */
function edgeSize(i: u32): u32 {
  let k = i % 5;
  return k == 0 ? i & 0x7FFF : k == 1 ? 32767 : k == 2 ? 32768 : k == 3 ? 1 << 20 : 0xFFFFFFFF;
}

describe("values too wide to pack", () => {
  beforeEach(() => { freshTable(32 << 20); start(1); });

  it("keeps sizes of 2^15 and up and traceback ids of 2^16 and up exactly, through every growth", () => {
    // 70,000 call sites: traceback ids 0 .. 69,999 (dense, in order of first appearance).
    let n: u32 = 70000;
    let bytes: u64 = 0;
    let wide: u32 = 0;
    for (let i: u32 = 0; i < n; ++i) {
      alloc1((i + 1) << 4, edgeSize(i), 1000 + i);
      bytes += edgeSize(i);
      if (edgeSize(i) >= 32768 || i >= 65536) ++wide;
    }
    let wrong = 0;
    for (let i: u32 = 0; i < n; ++i) {
      let e = findBlock((i + 1) << 4);
      if (e == 0 || GETSIZE(e) != edgeSize(i) || GETTRACEBACK(e) != i) { ++wrong; continue; }
      if (load<u32>(tracebackAddress(i), 8) != 1000 + i) ++wrong; // frame[0] of the record
    }
    expect(wrong).toBe(0);
    expect(current()).toBe(bytes);
    expect(wideRecordsInUse()).toBe(wide);
    expect(GET32(H_WIDE_USED)).toBe(wide, "no record taken twice");
    expect(misplaced()).toBe(0);
  });

  it("gives a block's wide record back when it is freed, replaced or reallocated narrow", () => {
    // 1,000 wide blocks allocated and freed 50 times over: the records are reused.
    for (let round = 0; round < 50; ++round) {
      for (let i: u32 = 1; i <= 1000; ++i) alloc1(i << 4, 40000 + i, round);
      for (let i: u32 = 1; i <= 1000; ++i) free(i << 4);
    }
    expect(GET32(H_WIDE_USED)).toBe(1000, "records handed out: the most live at once");
    expect(wideRecordsInUse()).toBe(0);
    // Replaced (a free was missed): wide by narrow, then narrow by wide.
    alloc1(0x100, 50000);
    alloc1(0x100, 10);
    expect(wideRecordsInUse()).toBe(0);
    expect(GETSIZE(findBlock(0x100))).toBe(10);
    alloc1(0x100, 70000);
    expect(wideRecordsInUse()).toBe(1);
    expect(GETSIZE(findBlock(0x100))).toBe(70000);
    // Reallocated in place to a narrow size, then moved and made wide again.
    realloc1(0x100, 0x100, 20);
    expect(wideRecordsInUse()).toBe(0);
    realloc1(0x100, 0x200, 1 << 24);
    expect(wideRecordsInUse()).toBe(1);
    expect(findBlock(0x100)).toBe(0);
    expect(GETSIZE(findBlock(0x200))).toBe(1 << 24);
    expect(current()).toBe(1 << 24);
    expect(live()).toBe(1);
  });
});

describe("hashing by chunk in large tables", () => {
  beforeEach(() => { freshTable(16 << 20); start(1); });

  it("puts blocks of one chunk in one group once the table is large, and hashes by address again after a clear", () => {
    // Small table: homes by address, so chunk-mates share a group only by chance (1 in 8 here).
    expect(chunkmatesTogether(0x8000000, 8)).toBeLessThan(8);
    // Grow past LOCALITY_MIN_CAP with scattered blocks (one a 4 KiB page).
    for (let i: u32 = 1; i <= LOCALITY_MIN_CAP; ++i) alloc1(0x100000 + (i << 12), 1);
    expect(GET32(H_BLOCKS_CAP)).toBeGreaterThanOrEqual(LOCALITY_MIN_CAP);
    // A group holds 8 and is at most 7/10 full: most pairs find room together in their home group.
    expect(chunkmatesTogether(0x9000000, 100)).toBeGreaterThan(80);
    expect(misplaced()).toBe(0);
    clearTraces();
    expect(GET32(H_BLOCKS_CAP)).toBe(BLOCKS_MIN_CAP);
    expect(chunkmatesTogether(0xA000000, 8)).toBeLessThan(8);
    expect(misplaced()).toBe(0);
  });
});

describe("growth", () => {
  beforeEach(() => { freshTable(32 << 20); start(1); });

  it("grows from the minimum, staying between 0.52 and 7/10 full", () => {
    expect(GET32(H_BLOCKS_CAP)).toBe(BLOCKS_MIN_CAP);
    let grown = 0;
    let tooFull = 0;
    let wrongSize = 0;
    let cap = GET32(H_BLOCKS_CAP);
    for (let i: u32 = 1; i <= 500000; ++i) {
      alloc1(i << 4, 16);
      let now = GET32(H_BLOCKS_CAP);
      if (now != cap) {
        ++grown;
        cap = now;
        // just grown: 25 slots for 13 blocks, rounded up to whole groups of 8
        let want = ((<u64>live() * 25 + 12) / 13 + 7) & ~7;
        if (<u64>cap != max<u64>(want, BLOCKS_MIN_CAP)) ++wrongSize;
      }
      if (<u64>live() * 10 > <u64>cap * 7) ++tooFull;
    }
    expect(wrongSize).toBe(0, "0.52 full after each growth");
    expect(tooFull).toBe(0, "never more than 7/10 full");
    expect(grown).toBeGreaterThan(10);
    expect(GETREGIONBYTES(R_BLOCKS)).toBe(BLOCKS_REGION_BYTES(cap / GROUP_SLOTS));
    let perBlock = <f64>GETREGIONBYTES(R_BLOCKS) / <f64>live();
    expect(perBlock <= 24.0).toBe(true, "at most 24 bytes a block");
    expect(misplaced()).toBe(0);
  });

  it("grows in place when nothing lies after the table, else moves it, keeping every entry", () => {
    // Random addresses (homes all over, wraps past the last group) mixed with runs of 4-byte
    // blocks (64 to a 256-byte chunk: long overflow runs once the table hashes by chunk); now
    // and then a new call site, whose traceback grows the arena and places it after the table.
    let ptrs = new Array<u32>();
    let sizes = new Array<u32>();
    let tracebacks = new Array<u32>();
    let region = GETREGIONPTR(R_BLOCKS);
    let cap = GET32(H_BLOCKS_CAP);
    let inPlace = 0;
    let moved = 0;
    let badAfterGrowth: u32 = 0;
    let dense: u32 = 0x4000000;
    for (let i: u32 = 1; i <= 120000; ++i) {
      let ptr = i % 3 == 0 ? (dense += 4) : (rand() & 0x3FFFFFC) | 0x8000000;
      if (findBlock(ptr) != 0) continue;
      let site = i % 1000 == 0 ? 1000 + i : i % 7;
      alloc1(ptr, i, site);
      ptrs.push(ptr);
      sizes.push(i);
      tracebacks.push(GETTRACEBACK(findBlock(ptr)));
      if (GET32(H_BLOCKS_CAP) != cap) {
        cap = GET32(H_BLOCKS_CAP);
        if (GETREGIONPTR(R_BLOCKS) == region) ++inPlace; else ++moved;
        region = GETREGIONPTR(R_BLOCKS);
        badAfterGrowth += misplaced();
      }
    }
    expect(inPlace).toBeGreaterThan(5, "growths in place");
    expect(moved).toBeGreaterThan(1, "growths that moved the table");
    expect(badAfterGrowth).toBe(0, "overflow counts exact and every entry found after each growth");
    let wrong = 0;
    for (let i = 0; i < ptrs.length; ++i) {
      let e = findBlock(ptrs[i]);
      if (e == 0 || GETSIZE(e) != sizes[i] || GETTRACEBACK(e) != tracebacks[i]) ++wrong;
    }
    expect(wrong).toBe(0, "every entry keeps its size and traceback id");
    expect(countBlocks()).toBe(live());
    expect(live()).toBe(<u32>ptrs.length);
  });

  it("keeps the span of memory reached near the memory in use", () => {
    for (let i: u32 = 1; i <= 200000; ++i) alloc1(i << 4, 16, i & 255);
    // The span reached stays near the memory in use: the blocks table grows in place (nothing
    // lies after it) instead of needing its old and new regions side by side (2.3× when it did).
    let span = <f64>GET32(H_HIGH_WATER);
    let used = <f64>tracemallocMemory();
    expect(span < used * 1.25).toBe(true, "high-water span " + span.toString() + " for " + used.toString() + " bytes in use");
    expect(used).toBeGreaterThan(<f64>HEADER_SIZE);
  });

  it("realloc moving blocks around keeps the totals", () => {
    for (let i: u32 = 1; i <= 1000; ++i) alloc1(i << 4, i);
    for (let i: u32 = 1; i <= 1000; ++i) realloc1(i << 4, (i + 5000) << 4, 2 * i);
    let expected: u64 = 0;
    for (let i: u64 = 1; i <= 1000; ++i) expected += 2 * i;
    expect(current()).toBe(expected);
    expect(live()).toBe(1000);
  });
});
