// The trace table driven from the host: through a Wasm target that imports it exactly as an
// instrumented module does (docs/abi.md §2), through the exported functions called with 16 frame
// arguments, and against a plain Map model over a few million random operations.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { TraceTable } from '../../src/host/traceTable.js';
import { loadTableModuleSync } from '../../src/host/tableWasmNode.js';
import { HEADER_SIZE } from '../../src/host/tableLayout.js';
import { xorshift32 as rng } from '../support/random.js';

type Call = (...args: number[]) => void;

/** The 16 frame arguments of a stack: its frames, then garbage (the table must ignore it). */
function frameArgs(frames: readonly number[], garbage: number): Uint32Array {
  return Uint32Array.from({ length: 16 }, (_, i) => (i < frames.length ? frames[i]! : garbage + i));
}

/** alloc(ptr, size) from a stack `total` deep, as the target's allocator wrapper calls it. */
function callAlloc(t: TraceTable, ptr: number, size: number, total: number, frames: readonly number[] | Uint32Array): void {
  const f = frames instanceof Uint32Array ? frames : frameArgs(frames, 0xdead0000);
  (t.imports.alloc as Call)(ptr, size, total,
    f[0]!, f[1]!, f[2]!, f[3]!, f[4]!, f[5]!, f[6]!, f[7]!, f[8]!, f[9]!, f[10]!, f[11]!, f[12]!, f[13]!, f[14]!, f[15]!);
}

/** realloc(old, new, size) from a stack `total` deep. */
function callRealloc(t: TraceTable, old: number, neu: number, size: number, total: number, frames: readonly number[] | Uint32Array): void {
  const f = frames instanceof Uint32Array ? frames : frameArgs(frames, 0xbeef0000);
  (t.imports.realloc as Call)(old, neu, size, total,
    f[0]!, f[1]!, f[2]!, f[3]!, f[4]!, f[5]!, f[6]!, f[7]!, f[8]!, f[9]!, f[10]!, f[11]!, f[12]!, f[13]!, f[14]!, f[15]!);
}

// === A tiny target module, encoded by hand (binaryen.js takes seconds to load) ===

/** Unsigned LEB128. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of an i32. */
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) { out.push(byte); return out; }
    out.push(byte | 0x80);
  }
}

const str = (s: string): number[] => [...uleb(s.length), ...new TextEncoder().encode(s)];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const I32 = 0x7f;
const funcType = (params: number): number[] => [0x60, ...uleb(params), ...Array(params).fill(I32), 0];
const op = {
  get: (i: number) => [0x20, ...uleb(i)], tee: (i: number) => [0x22, ...uleb(i)], const: (v: number) => [0x41, ...sleb(v | 0)],
  call: (f: number) => [0x10, ...uleb(f)], add: [0x6a], shl: [0x74], ltU: [0x49], end: [0x0b],
  loop: [0x03, 0x40], brIf: (d: number) => [0x0d, ...uleb(d)],
};
const consts = (vs: number[]): number[] => vs.flatMap((v) => op.const(v));

/**
 * A target that imports "tracemalloc" as an instrumented module does (docs/abi.md §2):
 *   traced_malloc(ptr, size, site)   alloc from a stack 3 deep: site, 100, 200
 *   traced_free(ptr)
 *   traced_realloc(old, new, size)   realloc from a stack 1 deep: site 7
 *   pairs(n)                         n alloc/free pairs in a Wasm loop, site 9
 */
function targetModule(): WebAssembly.Module {
  const types = vec([funcType(19), funcType(1), funcType(20), funcType(3)]);
  const imports = vec([
    [...str('tracemalloc'), ...str('alloc'), 0, 0],
    [...str('tracemalloc'), ...str('free'), 0, 1],
    [...str('tracemalloc'), ...str('realloc'), 0, 2],
  ]);
  const funcs = vec([[3], [1], [3], [1]]);
  const exportsSec = vec([
    [...str('traced_malloc'), 0, 3], [...str('traced_free'), 0, 4], [...str('traced_realloc'), 0, 5], [...str('pairs'), 0, 6],
  ]);
  const body = (locals: number[][], code: number[]): number[] => {
    const b = [...vec(locals), ...code, ...op.end];
    return [...uleb(b.length), ...b];
  };
  const ptrI = [...op.const(0x100000), ...op.get(1), ...op.const(4), ...op.shl, ...op.add];
  const code = vec([
    body([], [...op.get(0), ...op.get(1), ...op.const(3), ...op.get(2), ...consts([100, 200]), ...consts(Array(13).fill(0)), ...op.call(0)]),
    body([], [...op.get(0), ...op.call(1)]),
    body([], [...op.get(0), ...op.get(1), ...op.get(2), ...op.const(1), ...op.const(7), ...consts(Array(15).fill(0)), ...op.call(2)]),
    body([[1, I32]], [
      ...op.loop,
      ...ptrI, ...op.const(24), ...op.const(1), ...op.const(9), ...consts(Array(15).fill(0)), ...op.call(0),
      ...ptrI, ...op.call(1),
      ...op.get(1), ...op.const(1), ...op.add, ...op.tee(1), ...op.get(0), ...op.ltU, ...op.brIf(0),
      ...op.end,
    ]),
  ]);
  const bytes = new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, types), ...section(2, imports), ...section(3, funcs), ...section(7, exportsSec), ...section(10, code),
  ]);
  return new WebAssembly.Module(bytes);
}

describe('TraceTable: loading', () => {
  test('create() loads build/tracetable.wasm; the imports are the table exports themselves', async () => {
    const t = await TraceTable.create();
    assert.equal(t.imports.alloc, t.exports.alloc);
    assert.equal(t.imports.free, t.exports.free);
    assert.equal(t.imports.realloc, t.exports.realloc);
    assert.equal(t.isTracing(), false);
    assert.equal(t.getTracebackLimit(), 1);
    assert.equal(t.getTracemallocMemory(), HEADER_SIZE);
  });

  test('one compiled module, many independent instances (sync and async)', async () => {
    const module = loadTableModuleSync();
    const a = TraceTable.fromModule(module);
    const b = await TraceTable.create({ source: module });
    a.start(1);
    callAlloc(a, 0x1000, 10, 1, [1]);
    assert.equal(a.counters().liveBlocks, 1);
    assert.equal(b.counters().liveBlocks, 0);
    assert.notEqual(a.exports.memory, b.exports.memory);
  });

  test('create() from bytes, as a browser would', async () => {
    const { readFileSync } = await import('node:fs');
    const { tableWasmUrl } = await import('../../src/host/tableWasmNode.js');
    const bytes = new Uint8Array(readFileSync(tableWasmUrl));
    const t = await TraceTable.create({ source: bytes });
    t.start(2);
    assert.equal(t.getTracebackLimit(), 2);
    const r = await TraceTable.create({ source: new Response(bytes, { headers: { 'content-type': 'application/wasm' } }) });
    assert.equal(r.isTracing(), false);
  });
});

describe('TraceTable: a Wasm target calling its imports', () => {
  test('alloc, free and realloc arrive Wasm → Wasm with the ABI signatures', async () => {
    const t = await TraceTable.create();
    const target = new WebAssembly.Instance(targetModule(), { tracemalloc: t.imports });
    const x = target.exports as Record<string, Call>;
    t.start(16);
    x.traced_malloc!(0x1000, 100, 5);
    x.traced_malloc!(0x2000, 50, 5);
    x.traced_malloc!(0x3000, 7, 6);
    assert.deepEqual(t.getTracedMemory(), [157, 157]);
    const tb = t.getObjectTraceback(0x1000);
    assert.ok(tb);
    assert.deepEqual([...tb.frames], [5, 100, 200]);
    assert.equal(tb.totalNframe, 3);
    assert.equal(t.lookup(0x2000)?.tracebackId, t.lookup(0x1000)?.tracebackId);
    x.traced_free!(0x2000);
    x.traced_realloc!(0x3000, 0x4000, 70);
    assert.equal(t.lookup(0x3000), null);
    assert.deepEqual(t.lookup(0x4000)?.size, 70);
    assert.deepEqual([...t.getObjectTraceback(0x4000)!.frames], [7]);
    assert.deepEqual(t.getTracedMemory(), [170, 170]);
    x.pairs!(100000);
    const c = t.counters();
    assert.equal(c.liveBlocks, 2);
    assert.equal(c.allocations, 4 + 100000);
    assert.equal(c.frees, 2 + 100000);
    assert.equal(c.unknownFrees, 0);
  });
});

describe('TraceTable: the API', () => {
  test('start() rejects nframe outside 1..16 with a clear message', async () => {
    const t = await TraceTable.create();
    assert.throws(() => t.start(40), { message: 'nframe must be between 1 and 16 (the depth compiled into the instrumented module), got 40' });
    assert.throws(() => t.start(0), /between 1 and 16/);
    assert.throws(() => t.start(2.5), /got 2.5/);
    assert.equal(t.isTracing(), false);
    t.start(16);
    assert.equal(t.isTracing(), true);
    t.start(4); // already tracing: only the limit changes
    assert.equal(t.getTracebackLimit(), 4);
  });

  test('traced memory, peak, resetPeak, counters, clearTraces, stop', async () => {
    const t = await TraceTable.create();
    t.start(1);
    callAlloc(t, 0x1000, 1000, 1, [1]);
    callAlloc(t, 0x2000, 500, 1, [2]);
    (t.imports.free as Call)(0x1000);
    (t.imports.free as Call)(0x9000);
    assert.deepEqual(t.getTracedMemory(), [500, 1500]);
    t.resetPeak();
    assert.deepEqual(t.getTracedMemory(), [500, 500]);
    assert.equal(t.counters().liveBlocks, 1);
    assert.deepEqual(t.counters(), {
      allocations: 2, frees: 1, unknownFrees: 1, unsampledFrees: 0, replaced: 0, skippedBytes: 0, liveBlocks: 1, tracebacks: 2,
    });
    assert.ok(t.getTracemallocMemory() > HEADER_SIZE);
    t.clearTraces();
    assert.equal(t.isTracing(), true);
    assert.deepEqual(t.getTracedMemory(), [0, 0]);
    assert.equal(t.readTraces().traceSizes.length, 0);
    t.stop();
    assert.equal(t.isTracing(), false);
    assert.equal(t.getTracemallocMemory(), HEADER_SIZE);
  });

  // A bound: with stale entries left in a reused region the table's probe loops can run forever.
  test('tables regrown after clearTraces hold only the new blocks (reused memory is zeroed, fresh memory is not rewritten)', { timeout: 120_000 }, async () => {
    // The blocks table and the intern index skip zeroing memory that was never handed out
    // (memory.grow gives zeros) but must zero the gaps earlier regions left. Two fills of
    // 300,000 blocks (big enough to hash by chunk) at disjoint addresses, with clearTraces between.
    const t = await TraceTable.create();
    t.start(1);
    const fill = (base: number, sizeOf: (i: number) => number): void => {
      for (let i = 0; i < 300_000; i++) callAlloc(t, base + 16 * i, sizeOf(i), 1, [1 + (i % 50)]);
    };
    fill(0x100000, (i) => 1 + (i % 97));
    const { highWater } = t.tableMemory();
    t.clearTraces();
    fill(0x4000000, (i) => 2 + (i % 89));
    assert.equal(t.tableMemory().highWater, highWater, 'the second fill reused the memory of the first');
    const { traceSizes, tracePointers, traceTracebackIds, tracebacks } = t.readTraces();
    assert.equal(tracePointers.length, 300_000);
    const seen = new Set<number>();
    for (let k = 0; k < tracePointers.length; k++) {
      const i = (tracePointers[k]! - 0x4000000) / 16;
      assert.ok(Number.isInteger(i) && i >= 0 && i < 300_000, `trace at ${tracePointers[k]} is not one of the second fill`);
      assert.equal(traceSizes[k], 2 + (i % 89));
      // Growing in place moves the traceback ids to a new array (assembly/blocks.ts, growInPlace).
      assert.equal(tracebacks[traceTracebackIds[k]!]?.frames[0], 1 + (i % 50), `traceback of block ${i}`);
      seen.add(i);
    }
    assert.equal(seen.size, 300_000);
    assert.equal(t.lookup(0x100000 + 16 * 12345), null, 'a block of the first fill');
    assert.equal(t.lookup(0x4000000 + 16 * 12345)?.size, 2 + (12345 % 89));
  });

  test('sizes and traceback ids too wide to pack in a block value are read back exactly', async () => {
    // A value packs size < 2^15 and traceback id < 2^16; the rest go to wide records
    // (assembly/blocks.ts). 66,000 call sites: ids are dense, so site 1 + i has id i.
    const t = await TraceTable.create();
    t.start(1);
    const n = 66_000;
    const sizeOf = (i: number): number => (i % 3 === 0 ? 32_768 + i : i % 3 === 1 ? 32_767 : 0xffff_ffff);
    for (let i = 0; i < n; i++) callAlloc(t, 0x10000 + 16 * i, sizeOf(i), 1, [1 + i]);
    const { traceSizes, tracePointers, traceTracebackIds, tracebacks } = t.readTraces();
    assert.equal(tracePointers.length, n);
    for (let k = 0; k < n; k++) {
      const i = (tracePointers[k]! - 0x10000) / 16;
      assert.equal(traceSizes[k], sizeOf(i), `size of block ${i}`);
      assert.equal(traceTracebackIds[k], i, `traceback id of block ${i}`);
      assert.equal(tracebacks[i]?.frames[0], 1 + i);
    }
    for (const i of [0, 1, 2, 65_535, 65_536, 65_537, n - 1]) {
      assert.deepEqual(t.lookup(0x10000 + 16 * i), { size: sizeOf(i), tracebackId: i }, `lookup of block ${i}`);
    }
  });

  test('realloc(p, 0) follows the libc flag; a failed realloc keeps the block', async () => {
    const t = await TraceTable.create();
    t.start(1);
    callAlloc(t, 0x1000, 10, 1, [1]);
    callRealloc(t, 0x1000, 0, 100, 1, [2]);
    assert.equal(t.lookup(0x1000)?.size, 10);
    callRealloc(t, 0x1000, 0, 0, 1, [2]);
    assert.equal(t.lookup(0x1000)?.size, 10);
    t.setReallocZeroFrees(true);
    callRealloc(t, 0x1000, 0, 0, 1, [2]);
    assert.equal(t.lookup(0x1000), null);
  });

  test('runs out of memory at the limit: stops by itself, keeps its traces, oomStopped', async () => {
    const t = await TraceTable.create({ memoryLimit: 256 << 10 });
    assert.equal(t.tableMemory().limit, 256 << 10);
    t.start(1);
    let n = 0;
    while (t.isTracing()) callAlloc(t, 16 * ++n, 8, 1, [1]);
    assert.equal(t.oomStopped, true);
    assert.equal(t.counters().liveBlocks, n - 1);
    assert.ok(t.tableMemory().highWater <= 256 << 10);
    assert.equal(t.readTraces().traceSizes.length, n - 1);
    assert.throws(() => t.setMemoryLimit(-1), /non-negative integer/);
    t.setMemoryLimit(Infinity);
    t.start(1); // restarts clean
    assert.equal(t.oomStopped, false);
    assert.equal(t.counters().liveBlocks, 0);
  });

  test('start() reports a table that cannot even start', async () => {
    const t = await TraceTable.create({ memoryLimit: HEADER_SIZE + 100 });
    assert.throws(() => t.start(1), /could not get memory/);
    assert.equal(t.isTracing(), false);
  });

  test('traceback(id) and lookup() on unknown ids and pointers', async () => {
    const t = await TraceTable.create();
    t.start(1);
    assert.equal(t.lookup(0x1234), null);
    assert.equal(t.getObjectTraceback(0x1234), null);
    assert.throws(() => t.traceback(0), /no traceback with id 0/);
  });

  test('readTraces() decodes each referenced traceback once and leaves the others null', async () => {
    const t = await TraceTable.create();
    t.start(3);
    callAlloc(t, 0x10, 1, 5, [1, 2, 3]);
    callAlloc(t, 0x20, 2, 5, [1, 2, 3]);
    callAlloc(t, 0x30, 4, 2, [9, 8]);
    (t.imports.free as Call)(0x30);
    const r = t.readTraces();
    assert.equal(r.tracebacks.length, 2);
    assert.equal(r.tracebacks[1], null);
    assert.deepEqual([...r.tracebacks[0]!.frames], [1, 2, 3]);
    assert.equal(r.tracebacks[0]!.totalNframe, 5);
    assert.deepEqual([...r.traceTracebackIds], [0, 0]);
    assert.deepEqual([...r.traceSizes].sort(), [1, 2]);
    assert.equal(r.samplingInterval, 0);
  });
});


interface ModelBlock { size: number; frames: number[]; total: number }

/** The model's traceback for a stack: frames kept = min(total, nframe); depth 0 = [0], total 1. */
function keptStack(total: number, frames: readonly number[], nframe: number): { frames: number[]; total: number } {
  if (total === 0) return { frames: [0], total: 1 };
  return { frames: frames.slice(0, Math.min(total, nframe)), total };
}

/** Compares every trace of the table with the model. */
function checkAgainstModel(t: TraceTable, model: Map<number, ModelBlock>, current: number, peak: number): void {
  assert.deepEqual(t.getTracedMemory(), [current, peak]);
  const r = t.readTraces();
  assert.equal(r.traceSizes.length, model.size);
  for (let i = 0; i < r.traceSizes.length; i++) {
    const m = model.get(r.tracePointers[i]!);
    assert.ok(m, `trace of ${r.tracePointers[i]} is in the model`);
    assert.equal(r.traceSizes[i], m.size);
    const tb = r.tracebacks[r.traceTracebackIds[i]!];
    assert.ok(tb);
    assert.equal(tb.totalNframe, m.total);
    assert.deepEqual([...tb.frames], m.frames);
  }
}

/**
 * The table under test: build/tracetable.wasm, or the module named by TRACETABLE_WASM (e.g. the
 * debug build, whose invariant checks trap: `npx asc assembly/index.ts --target debug`).
 */
async function tableUnderTest(): Promise<TraceTable> {
  const path = process.env.TRACETABLE_WASM;
  if (!path) return TraceTable.create();
  const { readFileSync } = await import('node:fs');
  return TraceTable.create({ source: new Uint8Array(readFileSync(path)) });
}

describe('TraceTable: randomized model test', () => {
  for (const { nframe, ops, seed } of [
    { nframe: 16, ops: 2_000_000, seed: 0x5eed },
    { nframe: 3, ops: 1_000_000, seed: 0xbead },
    { nframe: 1, ops: 1_000_000, seed: 0xfeed }, // the one-frame traceback cache's path
  ]) {
    test(`matches a Map over ${ops} random operations (nframe ${nframe})`, async () => {
      const t = await tableUnderTest();
      t.setReallocZeroFrees(true);
      t.start(nframe);
      const rand = rng(seed);
      const model = new Map<number, ModelBlock>();
      const live: number[] = [];
      const where = new Map<number, number>(); // ptr → index in live
      let current = 0;
      let peak = 0;
      let unknown = 0;
      interface Stack { total: number; args: Uint32Array; kept: { frames: number[]; total: number } }
      const stack = (total: number, frames: number[]): Stack =>
        ({ total, args: frameArgs(frames.slice(0, total), 0xf00d0000), kept: keptStack(total, frames, nframe) });
      const stacks: Stack[] = [];
      const deep: number[] = Array.from({ length: 16 }, () => 1 + (rand() % 50));
      for (let s = 0; s < 300; s++) {
        const total = s === 0 ? 0 : 1 + (rand() % 24);
        stacks.push(stack(total, Array.from({ length: 16 }, () => 1 + (rand() % 50))));
      }
      // the same frames at other depths: different tracebacks
      stacks.push(stack(17, deep), stack(18, deep), stack(16, deep));
      const addLive = (p: number): void => { where.set(p, live.length); live.push(p); };
      const dropLive = (p: number): void => {
        const i = where.get(p)!;
        const last = live.pop()!;
        if (last !== p) { live[i] = last; where.set(last, i); }
        where.delete(p);
      };
      const put = (p: number, size: number, st: Stack): void => {
        const old = model.get(p);
        if (old) current -= old.size;
        else addLive(p);
        model.set(p, { size, frames: st.kept.frames, total: st.kept.total });
        current += size;
        if (current > peak) peak = current;
      };
      const remove = (p: number): void => {
        const old = model.get(p);
        if (!old) { unknown++; return; }
        current -= old.size;
        model.delete(p);
        dropLive(p);
      };
      const randomPtr = (): number => 8 * (1 + (rand() % 200_000));
      for (let op = 0; op < ops; op++) {
        const r = rand() % 100;
        const st = stacks[rand() % stacks.length]!;
        if (r < 48 || live.length === 0) {
          const p = randomPtr(); // sometimes already live: the table must replace it
          const size = rand() % 4096;
          callAlloc(t, p, size, st.total, st.args);
          put(p, size, st);
        } else if (r < 92) {
          const p = rand() % 50 === 0 ? randomPtr() : live[rand() % live.length]!;
          (t.imports.free as Call)(p);
          remove(p);
        } else {
          const old = live[rand() % live.length]!;
          const kind = rand() % 4;
          const size = rand() % 8192;
          if (kind === 0) {
            // in place
            callRealloc(t, old, old, size, st.total, st.args);
            remove(old);
            put(old, size, st);
          } else if (kind === 1) {
            // failed: nothing changes
            callRealloc(t, old, 0, size + 1, st.total, st.args);
          } else if (kind === 2) {
            // realloc(p, 0) that frees (reallocZeroFrees is set)
            callRealloc(t, old, 0, 0, st.total, st.args);
            remove(old);
          } else {
            const p = randomPtr();
            callRealloc(t, old, p, size, st.total, st.args);
            remove(old);
            put(p, size, st);
          }
        }
        if (op % 500_000 === 0) checkAgainstModel(t, model, current, peak);
      }
      checkAgainstModel(t, model, current, peak);
      const c = t.counters();
      assert.equal(c.liveBlocks, model.size);
      assert.equal(c.unknownFrees, unknown);
      assert.equal(c.liveBlocks, c.allocations - c.frees - c.replaced);
      for (const [p, m] of model) {
        const l = t.lookup(p);
        assert.ok(l);
        assert.equal(l.size, m.size);
      }
      assert.ok(!t.oomStopped);
      // interned: never more tracebacks than distinct stacks (+ the per-nframe truncations)
      assert.ok(c.tracebacks <= stacks.length, `${c.tracebacks} tracebacks for ${stacks.length} stacks`);
    });
  }
});
