import { start, stop, free, isTracing, getTracebackLimit, findBlock, tracemallocMemory } from "../../assembly/table";
import { GET32, GET64, H_MAGIC, H_UNKNOWN_FREES, MAGIC, HEADER_SIZE, E_NFRAME, OK } from "../../assembly/layout";
import { GETSIZE } from "../../assembly/blocks";
import { freshTable, alloc1, current, peak, live, allocations, frees } from "./helpers";

describe("a fresh table", () => {
  beforeEach(() => { freshTable(); });

  it("has a header and nothing else", () => {
    expect(GET32(H_MAGIC)).toBe(MAGIC);
    expect(isTracing()).toBe(0);
    expect(getTracebackLimit()).toBe(1);
    expect(tracemallocMemory()).toBe(HEADER_SIZE);
  });

  it("ignores the imports until start", () => {
    alloc1(0x1000, 10);
    free(0x1000);
    expect(live()).toBe(0);
    expect(GET64(H_UNKNOWN_FREES)).toBe(0);
  });

  it("rejects nframe outside 1..16", () => {
    expect(start(0)).toBe(E_NFRAME);
    expect(start(17)).toBe(E_NFRAME);
    expect(start(-1)).toBe(E_NFRAME);
    expect(isTracing()).toBe(0);
    expect(start(16)).toBe(OK);
    expect(getTracebackLimit()).toBe(16);
  });
});

describe("alloc and free", () => {
  beforeEach(() => { freshTable(); start(1); });

  it("counts bytes, blocks and the peak", () => {
    alloc1(0x1000, 100);
    alloc1(0x2000, 50);
    expect(current()).toBe(150);
    expect(live()).toBe(2);
    free(0x1000);
    expect(current()).toBe(50);
    expect(peak()).toBe(150);
    expect(allocations()).toBe(2);
    expect(frees()).toBe(1);
    expect(findBlock(0x1000)).toBe(0);
    expect(GETSIZE(findBlock(0x2000))).toBe(50);
  });

  it("stop clears everything", () => {
    alloc1(0x1000, 100);
    stop();
    expect(isTracing()).toBe(0);
    expect(current()).toBe(0);
    expect(live()).toBe(0);
    expect(tracemallocMemory()).toBe(HEADER_SIZE);
  });
});
