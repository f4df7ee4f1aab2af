import { start, stop, free, isTracing, setMemoryLimit, findBlock, clearTraces, tracemallocMemory } from "../../assembly/table";
import { GETFLAGS, OOM_STOPPED, TRACING, GET32, H_HIGH_WATER, H_TRACEBACK_COUNT, HEADER_SIZE, E_OOM, OK } from "../../assembly/layout";
import { GETSIZE, countBlocks, wideRecordsInUse } from "../../assembly/blocks";
import { freshTable, alloc1, allocDeep, realloc1, current, live } from "./helpers";

describe("out of memory", () => {
  beforeEach(() => { freshTable(); });

  it("stops by itself at the limit, keeps what it had, ignores the rest", () => {
    start(1);
    setMemoryLimit(64 << 10);
    let i: u32 = 1;
    while (isTracing()) {
      alloc1(i << 4, 8);
      ++i;
      assert(i < 1000000);
    }
    expect(GETFLAGS() & OOM_STOPPED).toBe(OOM_STOPPED);
    expect(GET32(H_HIGH_WATER)).toBeLessThanOrEqual(64 << 10);
    let kept = live();
    // the allocation that hit the limit was not traced; all before it were
    expect(kept).toBe(i - 2);
    expect(countBlocks()).toBe(kept);
    expect(current()).toBe(<u64>kept * 8);
    expect(GETSIZE(findBlock(16))).toBe(8);
    // further calls change nothing
    alloc1(0x7FFF0000, 1);
    free(16);
    realloc1(32, 0x7FFF1000, 5);
    expect(live()).toBe(kept);
    expect(findBlock(32)).not.toBe(0);
  });

  it("stops cleanly at the limit when every block takes a wide record, keeping what it had", () => {
    // Sizes of 2^15 and up take a wide record each (blocks.ts); the wide region grows by half.
    start(1);
    setMemoryLimit(64 << 10);
    let i: u32 = 1;
    while (isTracing()) {
      alloc1(i << 4, 40000 + i);
      ++i;
      assert(i < 1000000);
    }
    expect(GETFLAGS() & OOM_STOPPED).toBe(OOM_STOPPED);
    expect(GET32(H_HIGH_WATER)).toBeLessThanOrEqual(64 << 10);
    let kept = live();
    expect(kept).toBe(i - 2, "the allocation that hit the limit was not traced; all before it were");
    expect(wideRecordsInUse()).toBe(kept);
    let bytes: u64 = 0;
    for (let j: u32 = 1; j <= kept; ++j) bytes += 40000 + j;
    expect(current()).toBe(bytes);
    expect(GETSIZE(findBlock(kept << 4))).toBe(40000 + kept);
  });

  it("stops when a new traceback does not fit", () => {
    start(16);
    setMemoryLimit(48 << 10);
    let i: u32 = 1;
    while (isTracing()) {
      allocDeep(i << 4, 8, i * 16, 16); // a new traceback every time
      ++i;
      assert(i < 1000000);
    }
    expect(GETFLAGS() & OOM_STOPPED).toBe(OOM_STOPPED);
    expect(live()).toBe(GET32(H_TRACEBACK_COUNT));
  });

  it("stops when the heap.alloc'ed region itself is exhausted", () => {
    freshTable(16 << 10); // the 8 KB header, and room for a few regions
    start(1);
    let i: u32 = 1;
    while (isTracing()) { alloc1(i << 4, 8); ++i; assert(i < 1000000); }
    expect(GETFLAGS() & OOM_STOPPED).toBe(OOM_STOPPED);
    expect(live()).toBe(i - 2);
  });

  it("a realloc that runs out leaves the old block traced", () => {
    start(1);
    setMemoryLimit(64 << 10);
    let i: u32 = 1;
    while (isTracing()) { alloc1(i << 4, 8); ++i; }
    let fit = i - 2; // blocks traced before the table needed to grow past the limit
    start(1);       // not tracing any more: start clears and lays the regions out again
    expect(GETFLAGS() & OOM_STOPPED).toBe(0);
    for (let j: u32 = 1; j <= fit; ++j) alloc1(j << 4, 8);
    expect(isTracing()).toBe(1);
    // the moved block needs a slot the table cannot grow to give
    realloc1(16, 0x7FFF0000, 100);
    expect(GETFLAGS() & OOM_STOPPED).toBe(OOM_STOPPED);
    expect(GETSIZE(findBlock(16))).toBe(8);
    expect(findBlock(0x7FFF0000)).toBe(0);
    expect(live()).toBe(fit);
    expect(current()).toBe(<u64>fit * 8);
  });

  it("start fails cleanly when even the first structures do not fit", () => {
    setMemoryLimit(<u32>HEADER_SIZE + 64);
    expect(start(1)).toBe(E_OOM);
    expect(isTracing()).toBe(0);
    expect(tracemallocMemory()).toBe(HEADER_SIZE);
    setMemoryLimit(0xFFFFFFFF);
    expect(start(1)).toBe(OK);
  });

  it("clearTraces and stop reset the flag state", () => {
    start(1);
    setMemoryLimit(16 << 10);
    let i: u32 = 1;
    while (isTracing()) { alloc1(i << 4, 8); ++i; }
    clearTraces();
    expect(live()).toBe(0);
    expect(GETFLAGS() & OOM_STOPPED).toBe(OOM_STOPPED); // still says why tracing stopped
    stop();
    expect(GETFLAGS() & (OOM_STOPPED | TRACING)).toBe(0);
  });
});
