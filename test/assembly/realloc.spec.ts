import { start, free, setReallocZeroFrees, findBlock } from "../../assembly/table";
import { GET64, H_UNKNOWN_FREES, H_REPLACED } from "../../assembly/layout";
import { GETSIZE, GETTRACEBACK, wideRecordsInUse } from "../../assembly/blocks";
import { freshTable, alloc1, realloc1, current, peak, live, allocations, frees, useOneFrameEntries } from "./helpers";

/** The traced totals after a step: current and peak bytes, allocations, frees, live blocks. */
function expectTotals(cur: u64, pk: u64, allocs: u64, fr: u64, blocks: u32): void {
  expect(current()).toBe(cur);
  expect(peak()).toBe(pk);
  expect(allocations()).toBe(allocs);
  expect(frees()).toBe(fr);
  expect(live()).toBe(blocks);
}

// Each suite runs twice: through alloc / realloc, and through alloc1 / realloc1, whose fast
// paths (table.ts) must do exactly what the general paths do.
describe("realloc", () => {
  beforeEach(() => { freshTable(); start(1); });
  reallocCases();
});

describe("realloc, through the one-frame entries", () => {
  beforeEach(() => { freshTable(); start(1); useOneFrameEntries(true); });
  reallocCases();
});

describe("unknown pointers", () => {
  beforeEach(() => { freshTable(); start(1); });
  unknownPointerCases();
});

describe("unknown pointers, through the one-frame entries", () => {
  beforeEach(() => { freshTable(); start(1); useOneFrameEntries(true); });
  unknownPointerCases();
});

function reallocCases(): void {
  it("realloc(NULL, n) is an allocation", () => {
    realloc1(0, 0x1000, 40);
    expect(live()).toBe(1);
    expect(current()).toBe(40);
    expect(GET64(H_UNKNOWN_FREES)).toBe(0);
  });

  it("a moved block drops the old trace and adds the new one", () => {
    alloc1(0x1000, 40, 7);
    realloc1(0x1000, 0x2000, 100, 9);
    expect(findBlock(0x1000)).toBe(0);
    let e = findBlock(0x2000);
    expect(GETSIZE(e)).toBe(100);
    expectTotals(100, 100, 2, 1, 1);
  });

  it("in place: same pointer, new size, the realloc's traceback", () => {
    alloc1(0x1000, 40, 7);
    let before = GETTRACEBACK(findBlock(0x1000));
    realloc1(0x1000, 0x1000, 10, 9);
    let e = findBlock(0x1000);
    expect(GETSIZE(e)).toBe(10);
    expect(GETTRACEBACK(e)).not.toBe(before);
    // counted as a free and an allocation, as CPython counts a realloc
    expectTotals(10, 40, 2, 1, 1);
    // growing in place raises the peak
    realloc1(0x1000, 0x1000, 500, 9);
    expectTotals(500, 500, 3, 2, 1);
  });

  it("in place across the packing limit: narrow to wide and back, the wide record taken and given back", () => {
    alloc1(0x1000, 40, 7);
    alloc1(0x2000, 8, 7);
    realloc1(0x1000, 0x1000, 1 << 20, 9);
    expect(wideRecordsInUse()).toBe(1);
    expect(GETSIZE(findBlock(0x1000))).toBe(1 << 20);
    expectTotals((1 << 20) + 8, (1 << 20) + 8, 3, 1, 2);
    realloc1(0x1000, 0x1000, 24, 7);
    expect(wideRecordsInUse()).toBe(0);
    expect(GETSIZE(findBlock(0x1000))).toBe(24);
    expect(GETTRACEBACK(findBlock(0x1000))).toBe(GETTRACEBACK(findBlock(0x2000)));
    expectTotals(32, (1 << 20) + 8, 4, 2, 2);
  });

  it("in place of an untraced block: an unknown free, then the block is traced", () => {
    realloc1(0x3000, 0x3000, 64, 5);
    expect(GET64(H_UNKNOWN_FREES)).toBe(1);
    expect(GETSIZE(findBlock(0x3000))).toBe(64);
    expect(live()).toBe(1);
    expect(current()).toBe(64);
  });

  it("a failed realloc leaves the old block traced", () => {
    alloc1(0x1000, 40);
    realloc1(0x1000, 0, 1 << 30);
    expect(GETSIZE(findBlock(0x1000))).toBe(40);
    expect(current()).toBe(40);
    expect(frees()).toBe(0);
  });

  it("realloc(p, 0) returning NULL frees p only when the libc says so", () => {
    alloc1(0x1000, 40);
    realloc1(0x1000, 0, 0);
    expect(live()).toBe(1);
    setReallocZeroFrees(true);
    realloc1(0x1000, 0, 0);
    expect(live()).toBe(0);
    expect(current()).toBe(0);
    expect(frees()).toBe(1);
  });

  it("realloc(p, 0) returning a block traces a block of size 0", () => {
    alloc1(0x1000, 40);
    realloc1(0x1000, 0x3000, 0);
    expect(GETSIZE(findBlock(0x3000))).toBe(0);
    expect(live()).toBe(1);
    expect(current()).toBe(0);
  });

  it("realloc of an untraced pointer counts an unknown free and traces the new block", () => {
    realloc1(0x5000, 0x6000, 32);
    expect(GET64(H_UNKNOWN_FREES)).toBe(1);
    expect(GETSIZE(findBlock(0x6000))).toBe(32);
    expect(current()).toBe(32);
  });

  it("realloc(NULL, n) that failed changes nothing", () => {
    realloc1(0, 0, 100);
    expect(live()).toBe(0);
    expect(GET64(H_UNKNOWN_FREES)).toBe(0);
  });
}

function unknownPointerCases(): void {
  it("a free of an untraced pointer is counted and changes no total", () => {
    alloc1(0x1000, 40);
    free(0x9999);
    free(0x9999);
    expect(GET64(H_UNKNOWN_FREES)).toBe(2);
    expect(current()).toBe(40);
    expect(live()).toBe(1);
    expect(frees()).toBe(0);
  });

  it("a free of NULL is ignored", () => {
    free(0);
    expect(GET64(H_UNKNOWN_FREES)).toBe(0);
  });

  it("an alloc of a live pointer replaces it and fixes the totals", () => {
    alloc1(0x1000, 40, 1);
    alloc1(0x1000, 10, 2);
    expect(live()).toBe(1);
    expect(current()).toBe(10);
    expect(peak()).toBe(40);
    expect(GET64(H_REPLACED)).toBe(1);
    expect(GETSIZE(findBlock(0x1000))).toBe(10);
    // liveBlocks = allocations − frees − replaced
    expect(<u64>live()).toBe(allocations() - frees() - GET64(H_REPLACED));
  });

  it("an alloc of NULL is ignored", () => {
    alloc1(0, 40);
    expect(live()).toBe(0);
  });
}
