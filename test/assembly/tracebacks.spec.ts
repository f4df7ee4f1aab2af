import { start, stop, findBlock, tracebackAddress, clearTraces, alloc1 as tableAlloc1 } from "../../assembly/table";
import { GET32, H_TRACEBACK_COUNT } from "../../assembly/layout";
import { GETTRACEBACK } from "../../assembly/blocks";
import { TB_TOTAL, TB_NFRAME, TB_FRAMES } from "../../assembly/tracebacks";
import { freshTable, alloc1, allocDeep } from "./helpers";

function tracebackOf(ptr: u32): u32 {
  return GETTRACEBACK(findBlock(ptr));
}
function totalOf(id: u32): u32 { return load<u32>(tracebackAddress(id), TB_TOTAL); }
function nframeOf(id: u32): u32 { return load<u32>(tracebackAddress(id), TB_NFRAME); }
function frameOf(id: u32, i: u32): u32 { return load<u32>(tracebackAddress(id) + (<usize>i << 2), TB_FRAMES); }
function count(): u32 { return GET32(H_TRACEBACK_COUNT); }

describe("interning", () => {
  beforeEach(() => { freshTable(); });

  it("stores the same stack once", () => {
    start(16);
    allocDeep(0x1000, 1, 100, 5);
    allocDeep(0x2000, 1, 100, 5);
    alloc1(0x3000, 1, 7);
    allocDeep(0x4000, 1, 100, 5);
    expect(count()).toBe(2);
    expect(tracebackOf(0x1000)).toBe(tracebackOf(0x2000));
    expect(tracebackOf(0x1000)).toBe(tracebackOf(0x4000));
    expect(tracebackOf(0x3000)).not.toBe(tracebackOf(0x1000));
  });

  it("nframe 1: sites that alternate are interned once each, and a clear or an nframe change forgets the cache", () => {
    start(1);
    // 1000 allocations cycling over 300 (total, site) pairs: the one-frame cache holds 256
    // entries, so some collide and go to the index; every block still gets its own stack.
    for (let i: u32 = 0; i < 1000; ++i) tableAlloc1((i + 1) << 4, 1, 1 + (i % 3), 500 + (i % 100));
    expect(count()).toBe(300);
    let wrong = 0;
    for (let i: u32 = 0; i < 1000; ++i) {
      let id = tracebackOf((i + 1) << 4);
      if (totalOf(id) != 1 + (i % 3) || frameOf(id, 0) != 500 + (i % 100) || nframeOf(id) != 1) ++wrong;
    }
    expect(wrong).toBe(0);
    // After a clear, ids start again from 0: a cached id from before must not be reused.
    clearTraces();
    tableAlloc1(0x10, 1, 2, 900);              // id 0 now
    tableAlloc1(0x20, 1, 1, 500);              // was cached with another id before the clear
    expect(count()).toBe(2);
    expect(frameOf(tracebackOf(0x20), 0)).toBe(500);
    expect(totalOf(tracebackOf(0x20))).toBe(1);
    // nframe 1 -> 2 -> 1 while tracing: the cache is emptied each time, ids stay right.
    start(2);
    allocDeep(0x30, 1, 700, 4);
    start(1);
    tableAlloc1(0x40, 1, 4, 700);
    let id = tracebackOf(0x40);
    expect(nframeOf(id)).toBe(1);
    expect(frameOf(id, 0)).toBe(700);
    expect(totalOf(id)).toBe(4);
  });

  it("nframe 16: stacks that alternate are interned once each, through the stack cache and past it", () => {
    start(16);
    // 100 stacks sharing their first frame (so some share a cache entry), 20 deep, 1000 allocations.
    for (let i: u32 = 0; i < 1000; ++i) allocDeep((i + 1) << 4, 1, 1000 + (i % 100) * 32, 20);
    expect(count()).toBe(100);
    let wrong = 0;
    for (let i: u32 = 0; i < 1000; ++i) {
      let id = tracebackOf((i + 1) << 4);
      if (totalOf(id) != 20 || nframeOf(id) != 16) ++wrong;
      for (let k: u32 = 0; k < 16; ++k) if (frameOf(id, k) != 1000 + (i % 100) * 32 + k) ++wrong;
    }
    expect(wrong).toBe(0);
    // Same kept frames, another total: another traceback (CPython's total_nframe), not a cache hit.
    allocDeep(0x100000, 1, 1000, 21);
    expect(count()).toBe(101);
    expect(totalOf(tracebackOf(0x100000))).toBe(21);
  });

  it("keeps min(total, nframe) frames, most recent first, and the true total", () => {
    start(3);
    allocDeep(0x1000, 1, 100, 20);
    let id = tracebackOf(0x1000);
    expect(nframeOf(id)).toBe(3);
    expect(totalOf(id)).toBe(20);
    expect(frameOf(id, 0)).toBe(100);
    expect(frameOf(id, 1)).toBe(101);
    expect(frameOf(id, 2)).toBe(102);
  });

  it("ignores the garbage frames past the depth", () => {
    start(16);
    allocDeep(0x1000, 1, 100, 2); // frames 2..15 are 0xF00D....
    let id = tracebackOf(0x1000);
    expect(nframeOf(id)).toBe(2);
    alloc1(0x2000, 1, 100); // one frame: different traceback
    expect(tracebackOf(0x2000)).not.toBe(id);
    // the same two frames with other garbage after them: the same traceback
    allocDeep(0x3000, 1, 100, 2);
    expect(tracebackOf(0x3000)).toBe(id);
  });

  it("tells apart stacks with the same kept frames and different totals", () => {
    start(2);
    allocDeep(0x1000, 1, 100, 5);
    allocDeep(0x2000, 1, 100, 6);
    allocDeep(0x3000, 1, 100, 5);
    expect(tracebackOf(0x1000)).not.toBe(tracebackOf(0x2000));
    expect(tracebackOf(0x1000)).toBe(tracebackOf(0x3000));
    expect(totalOf(tracebackOf(0x2000))).toBe(6);
    expect(count()).toBe(2);
  });

  it("stores a stack of depth 0 as one frame 0 with total 1 (as CPython)", () => {
    start(4);
    allocDeep(0x1000, 1, 100, 0);
    let id = tracebackOf(0x1000);
    expect(nframeOf(id)).toBe(1);
    expect(totalOf(id)).toBe(1);
    expect(frameOf(id, 0)).toBe(0);
  });

  it("does not reuse a cached traceback across a change of nframe", () => {
    start(16);
    allocDeep(0x1000, 1, 100, 16);
    start(1); // already tracing: only the limit changes
    allocDeep(0x2000, 1, 100, 16);
    expect(nframeOf(tracebackOf(0x2000))).toBe(1);
    expect(nframeOf(tracebackOf(0x1000))).toBe(16);
  });

  it("does not reuse a cached id after clearTraces", () => {
    start(1);
    alloc1(0x1000, 1, 5);
    alloc1(0x2000, 1, 6);
    clearTraces();
    alloc1(0x3000, 1, 6); // same stack as the last one, but ids restarted
    expect(count()).toBe(1);
    expect(tracebackOf(0x3000)).toBe(0);
    expect(frameOf(0, 0)).toBe(6);
  });

  it("grows the index, offsets and arena and keeps every traceback", () => {
    start(16);
    for (let i: u32 = 0; i < 5000; ++i) allocDeep(0x10000 + (i << 4), 1, i * 32, 1 + (i % 16));
    expect(count()).toBe(5000);
    let wrong = 0;
    for (let i: u32 = 0; i < 5000; ++i) {
      let id = tracebackOf(0x10000 + (i << 4));
      let n = 1 + (i % 16);
      if (id != i || nframeOf(id) != n || frameOf(id, n - 1) != i * 32 + n - 1) ++wrong;
    }
    expect(wrong).toBe(0);
    // interning again finds them all
    for (let i: u32 = 0; i < 5000; ++i) allocDeep(0x90000 + (i << 4), 1, i * 32, 1 + (i % 16));
    expect(count()).toBe(5000);
  });

  it("returns no record for an id that does not exist", () => {
    start(1);
    alloc1(0x1000, 1);
    expect(tracebackAddress(1)).toBe(0);
    expect(tracebackAddress(0)).not.toBe(0);
  });

  it("the one-frame import alloc1 interns as alloc does, under nframe 1 and under more", () => {
    start(1);
    tableAlloc1(0x10, 8, 3, 7);
    tableAlloc1(0x20, 8, 3, 7);                 // cache hit
    expect(tracebackOf(0x20)).toBe(tracebackOf(0x10));
    tableAlloc1(0x30, 8, 4, 7);                 // another total
    tableAlloc1(0x40, 8, 3, 9);                 // another frame
    expect(tracebackOf(0x30)).not.toBe(tracebackOf(0x10));
    expect(tracebackOf(0x40)).not.toBe(tracebackOf(0x10));
    allocDeep(0x50, 8, 7, 3);                   // sixteen-frame form, same kept frame and total
    expect(tracebackOf(0x50)).toBe(tracebackOf(0x10));
    tableAlloc1(0x60, 8, 3, 7);                 // back to alloc1 after alloc filled the cache
    expect(tracebackOf(0x60)).toBe(tracebackOf(0x10));
    tableAlloc1(0x70, 8, 0, 5);                 // depth 0: one frame, site 0, total 1
    expect(totalOf(tracebackOf(0x70))).toBe(1);
    expect(frameOf(tracebackOf(0x70), 0)).toBe(0);
    stop();
    start(4);
    allocDeep(0x80, 8, 7, 3);                   // frames 7, 8, 9
    tableAlloc1(0x90, 8, 3, 7);                 // frames 7, 0, 0: another traceback
    expect(tracebackOf(0x90)).not.toBe(tracebackOf(0x80));
    expect(nframeOf(tracebackOf(0x90))).toBe(3);
    expect(frameOf(tracebackOf(0x90), 1)).toBe(0);
    tableAlloc1(0xA0, 8, 3, 7);
    expect(tracebackOf(0xA0)).toBe(tracebackOf(0x90));
    start(1);                                   // nframe changes while tracing: the cache is emptied
    tableAlloc1(0xB0, 8, 3, 7);
    expect(nframeOf(tracebackOf(0xB0))).toBe(1);
  });
});
