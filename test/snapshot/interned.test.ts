// Snapshot.fromInterned: the host's fast path, and the constructors' validation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Frame, Snapshot, Traceback } from '../../src/snapshot/index.js';
import { randomTraces, snapshotOf } from './helpers.js';

const A = new Traceback([['a.c', 1], ['m.c', 9]], 2);
const B = new Traceback([['b.c', 2]], 1);

test('fromInterned gives the same snapshot as the plain constructor', () => {
  const raw = randomTraces(8, { traces: 300 });
  const plain = snapshotOf(raw, 5);
  const tbs: Traceback[] = [];
  const index = new Map<unknown, number>();
  const ids = new Uint32Array(raw.length);
  const sizes = new Float64Array(raw.length);
  raw.forEach(([size, frames, total], i) => {
    let id = index.get(frames);
    if (id === undefined) {
      id = tbs.length;
      tbs.push(new Traceback(frames, total ?? undefined));
      index.set(frames, id);
    }
    ids[i] = id;
    sizes[i] = size;
  });
  const fast = Snapshot.fromInterned({ tracebacks: tbs, traceTracebackIds: ids, traceSizes: sizes, tracebackLimit: 5 });
  assert.deepEqual(fast.traces.map(String), plain.traces.map(String));
  for (const key of ['filename', 'lineno', 'traceback'] as const) {
    assert.deepEqual(fast.statistics(key).map(String), plain.statistics(key).map(String));
  }
  assert.deepEqual(fast.toBytes(), plain.toBytes());
});

test('fromInterned copies its arrays: later changes by the host do not leak in', () => {
  const ids = Uint32Array.of(0, 1);
  const sizes = Uint32Array.of(5, 6);
  const s = Snapshot.fromInterned({ tracebacks: [A, B], traceTracebackIds: ids, traceSizes: sizes, tracebackLimit: 2 });
  ids[0] = 1;
  sizes[0] = 99;
  assert.deepEqual(s.traces.map(String), ['m.c:9: 5 B', 'b.c:2: 6 B']);
});

test('fromInterned merges equal tracebacks given under two ids', () => {
  const A2 = new Traceback([new Frame('a.c', 1), new Frame('m.c', 9)]);
  const s = Snapshot.fromInterned({
    tracebacks: [A, A2],
    traceTracebackIds: Uint32Array.of(0, 1),
    traceSizes: Float64Array.of(1, 2),
    tracebackLimit: 2,
  });
  assert.deepEqual(s.statistics('traceback').map(String), ['m.c:9: size=3 B, count=2, average=2 B']);
  assert.deepEqual(s.traces.map((t) => t.traceback.totalNframe), [2, undefined]);
});

test('fromInterned accepts holes where no trace points', () => {
  const s = Snapshot.fromInterned({
    tracebacks: [undefined, B, null],
    traceTracebackIds: Uint32Array.of(1, 1),
    traceSizes: Uint32Array.of(1, 2),
    tracebackLimit: 1,
  });
  assert.equal(s.traceCount, 2);
});

test('fromInterned refuses ids without a traceback, mismatched lengths and bad sizes', () => {
  const base = { tracebacks: [A, undefined], tracebackLimit: 2 };
  assert.throws(
    () => Snapshot.fromInterned({ ...base, traceTracebackIds: Uint32Array.of(1), traceSizes: Uint32Array.of(1) }),
    /trace 0: traceback id 1 has no traceback/,
  );
  assert.throws(
    () => Snapshot.fromInterned({ ...base, traceTracebackIds: Uint32Array.of(5), traceSizes: Uint32Array.of(1) }),
    /trace 0: traceback id 5 has no traceback/,
  );
  assert.throws(() => Snapshot.fromInterned({ ...base, traceTracebackIds: Uint32Array.of(0), traceSizes: Uint32Array.of() }), /entries/);
  for (const bad of [-1, 1.5, NaN, 2 ** 53]) {
    assert.throws(
      () => Snapshot.fromInterned({ ...base, traceTracebackIds: Uint32Array.of(0), traceSizes: Float64Array.of(bad) }),
      /size must be a non-negative safe integer/,
    );
  }
});

test('fromInterned builds no trace object until traces is read', () => {
  const n = 100000;
  const s = Snapshot.fromInterned({
    tracebacks: [A, B],
    traceTracebackIds: new Uint32Array(n).map((_, i) => i & 1),
    traceSizes: new Uint32Array(n).fill(8),
    tracebackLimit: 2,
  });
  assert.equal((s as unknown as { materialized: unknown }).materialized, undefined);
  // 400,000 B = 390.6 KiB; equal size and count: the bigger traceback (b.c:2) first
  assert.deepEqual(s.statistics('lineno').map(String), ['b.c:2: size=391 KiB, count=50000, average=8 B', 'a.c:1: size=391 KiB, count=50000, average=8 B']);
  assert.equal((s as unknown as { materialized: unknown }).materialized, undefined);
  assert.equal(s.traces.length, n);
  assert.equal(s.traces[0]!.traceback, s.traces[2]!.traceback, 'one Traceback object per distinct traceback');
});

test('a trace needs a traceback of at least one frame', () => {
  assert.throws(() => new Snapshot([{ size: 1, traceback: [] }], 1), /at least one frame/);
  assert.throws(
    () => Snapshot.fromInterned({ tracebacks: [new Traceback([])], traceTracebackIds: Uint32Array.of(0), traceSizes: Uint32Array.of(1), tracebackLimit: 1 }),
    /at least one frame/,
  );
});

test('metadata is validated and normalized', () => {
  assert.equal(new Snapshot([], 1, { moduleHash: 'ABcd' }).meta.moduleHash, 'abcd');
  assert.throws(() => new Snapshot([], 1, { moduleHash: 'abc' }), /even length/);
  assert.throws(() => new Snapshot([], 1, { moduleHash: 'xy' }), /hex/);
  assert.throws(() => new Snapshot([], -1), /tracebackLimit/);
  assert.throws(() => new Snapshot([], 1, { samplingInterval: -1 }), /samplingInterval/);
  assert.throws(() => new Snapshot([], 1, { tracedPeak: 1.5 }), /tracedPeak/);
  assert.ok(Object.isFrozen(new Snapshot([], 1).meta));
});

test('filterTraces keeps the metadata', () => {
  const s = new Snapshot([{ size: 1, traceback: [['a.c', 1]] }], 1, { moduleName: 'x', tracedCurrent: 1, samplingInterval: 4096 });
  assert.deepEqual(s.filterTraces([]).meta, s.meta);
});

test('a size of -0 is stored as 0', () => {
  const a = new Snapshot([{ size: -0, traceback: [['a.c', 1]] }], 1);
  const b = Snapshot.fromInterned({ tracebacks: [B], traceTracebackIds: Uint32Array.of(0), traceSizes: Float64Array.of(-0), tracebackLimit: 1 });
  assert.ok(Object.is(a.traces[0]!.size, 0));
  assert.ok(Object.is(b.traces[0]!.size, 0));
  assert.equal(String(b.traces[0]), 'b.c:2: 0 B');
});

test('the plain constructor validates totalNframe, and an explicit one overrides the Traceback', () => {
  assert.throws(() => new Snapshot([{ size: 1, traceback: A, totalNframe: -5 }], 2), /totalNframe/);
  assert.throws(() => new Snapshot([{ size: 1, traceback: [['a.c', 1]], totalNframe: 1.5 }], 2), /totalNframe/);
  const s = new Snapshot([{ size: 1, traceback: A, totalNframe: 40 }, { size: 1, traceback: A }], 2);
  assert.deepEqual(s.traces.map((t) => t.traceback.totalNframe), [40, 2]);
});
