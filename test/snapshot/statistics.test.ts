// Snapshot.statistics and compareTo, ported from CPython's Lib/test/test_tracemalloc.py
// (TestSnapshot.test_snapshot_group_by_*), with its expected values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Snapshot, Traceback } from '../../src/snapshot/index.js';
import { createSnapshots, diff, plain, stat, tb } from './fixtures.js';

const line = (file: string, lineno: number): Traceback => tb([file, lineno]);
const file = (name: string): Traceback => tb([name, 0]);

test('statistics by lineno groups by the most recent frame (test_snapshot_group_by_line)', () => {
  const [snapshot, snapshot2] = createSnapshots();
  assert.deepEqual(snapshot.statistics('lineno').map(plain), [
    stat(line('b.py', 1), 66, 1),
    stat(line('a.py', 2), 30, 3),
    stat(line('<unknown>', 0), 7, 1),
    stat(line('a.py', 5), 2, 1),
  ]);
  assert.deepEqual(snapshot2.statistics('lineno').map(plain), [
    stat(line('a.py', 5), 5002, 2),
    stat(line('c.py', 578), 400, 1),
    stat(line('a.py', 2), 30, 3),
  ]);
});

test('compareTo by lineno lists new, grown, unchanged and vanished lines (test_snapshot_group_by_line)', () => {
  const [snapshot, snapshot2] = createSnapshots();
  assert.deepEqual(snapshot2.compareTo(snapshot, 'lineno').map(plain), [
    diff(line('a.py', 5), 5002, 5000, 2, 1),
    diff(line('c.py', 578), 400, 400, 1, 1),
    diff(line('b.py', 1), 0, -66, 0, -1),
    diff(line('<unknown>', 0), 0, -7, 0, -1),
    diff(line('a.py', 2), 30, 0, 3, 0),
  ]);
});

test('statistics by filename shows line 0 (test_snapshot_group_by_file)', () => {
  const [snapshot, snapshot2] = createSnapshots();
  assert.deepEqual(snapshot.statistics('filename').map(plain), [
    stat(file('b.py'), 66, 1),
    stat(file('a.py'), 32, 4),
    stat(file('<unknown>'), 7, 1),
  ]);
  assert.deepEqual(snapshot2.statistics('filename').map(plain), [stat(file('a.py'), 5032, 5), stat(file('c.py'), 400, 1)]);
});

test('compareTo by filename (test_snapshot_group_by_file)', () => {
  const [snapshot, snapshot2] = createSnapshots();
  assert.deepEqual(snapshot2.compareTo(snapshot, 'filename').map(plain), [
    diff(file('a.py'), 5032, 5000, 5, 1),
    diff(file('c.py'), 400, 400, 1, 1),
    diff(file('b.py'), 0, -66, 0, -1),
    diff(file('<unknown>'), 0, -7, 0, -1),
  ]);
});

test('statistics by traceback groups whole tracebacks (test_snapshot_group_by_traceback)', () => {
  const [snapshot, snapshot2] = createSnapshots();
  const tb1 = tb(['a.py', 2], ['b.py', 4]);
  const tb2 = tb(['a.py', 5], ['b.py', 4]);
  const tb3 = tb(['b.py', 1]);
  const tb4 = tb(['<unknown>', 0]);
  const tb5 = tb(['c.py', 578]);
  assert.deepEqual(snapshot.statistics('traceback').map(plain), [
    stat(tb3, 66, 1),
    stat(tb1, 30, 3),
    stat(tb4, 7, 1),
    stat(tb2, 2, 1),
  ]);
  assert.deepEqual(snapshot2.statistics('traceback').map(plain), [stat(tb2, 5002, 2), stat(tb5, 400, 1), stat(tb1, 30, 3)]);
  assert.deepEqual(snapshot2.compareTo(snapshot, 'traceback').map(plain), [
    diff(tb2, 5002, 5000, 2, 1),
    diff(tb5, 400, 400, 1, 1),
    diff(tb3, 0, -66, 0, -1),
    diff(tb4, 0, -7, 0, -1),
    diff(tb1, 30, 0, 3, 0),
  ]);
});

test('cumulative statistics count every frame of the traceback (test_snapshot_group_by_cumulative)', () => {
  const [snapshot] = createSnapshots();
  assert.deepEqual(snapshot.statistics('filename', true).map(plain), [
    stat(file('b.py'), 98, 5),
    stat(file('a.py'), 32, 4),
    stat(file('<unknown>'), 7, 1),
  ]);
  assert.deepEqual(snapshot.statistics('lineno', true).map(plain), [
    stat(line('b.py', 1), 66, 1),
    stat(line('b.py', 4), 32, 4),
    stat(line('a.py', 2), 30, 3),
    stat(line('<unknown>', 0), 7, 1),
    stat(line('a.py', 5), 2, 1),
  ]);
});

test('cumulative mode counts a frame once per occurrence in a traceback, as CPython does', () => {
  // (a.c:1 ← a.c:1 ← b.c:2): recursion through the same line
  const s = new Snapshot([{ size: 10, traceback: [['a.c', 1], ['a.c', 1], ['b.c', 2]] }], 3);
  assert.deepEqual(s.statistics('lineno', true).map(plain), [stat(line('a.c', 1), 20, 2), stat(line('b.c', 2), 10, 1)]);
  assert.deepEqual(s.statistics('filename', true).map(plain), [stat(file('a.c'), 20, 2), stat(file('b.c'), 10, 1)]);
});

test('cumulative mode with traceback is refused with an error naming the rule', () => {
  const [snapshot] = createSnapshots();
  assert.throws(() => snapshot.statistics('traceback', true), {
    name: 'RangeError',
    message: /cumulative mode cannot be used with key type 'traceback'.*'filename' and 'lineno'/,
  });
  assert.throws(() => snapshot.compareTo(snapshot, 'traceback', true), RangeError);
});

test('an unknown key type is refused as CPython refuses it', () => {
  const [snapshot] = createSnapshots();
  assert.throws(() => snapshot.statistics('line' as 'lineno'), { name: 'RangeError', message: "unknown key_type: 'line'" });
  assert.throws(() => snapshot.compareTo(snapshot, 'file' as 'lineno'), { message: "unknown key_type: 'file'" });
});

test('statistics of a traceback group carry no totalNframe, as CPython builds them', () => {
  const [snapshot] = createSnapshots();
  for (const key of ['traceback', 'lineno', 'filename'] as const) {
    for (const s of snapshot.statistics(key)) assert.equal(s.traceback.totalNframe, undefined);
  }
});

test('traces that differ only by totalNframe fall in one traceback group', () => {
  const s = new Snapshot(
    [
      { size: 1, traceback: [['a.c', 1]], totalNframe: 1 },
      { size: 2, traceback: [['a.c', 1]], totalNframe: 9 },
    ],
    1,
  );
  assert.deepEqual(s.statistics('traceback').map(plain), [stat(line('a.c', 1), 3, 2)]);
  assert.deepEqual(
    s.traces.map((t) => t.traceback.totalNframe),
    [1, 9],
  );
});

test('equal size and count are ordered by traceback, biggest first, frames compared oldest first', () => {
  // Tracebacks (most recent first) [x.c:1, a.c:9] and [a.c:1, b.c:0]: oldest frames a.c:9 and
  // b.c:0, so [a.c:1, b.c:0] is bigger and comes first although its most recent frame is smaller.
  const s = new Snapshot(
    [
      { size: 5, traceback: [['x.c', 1], ['a.c', 9]] },
      { size: 5, traceback: [['a.c', 1], ['b.c', 0]] },
      { size: 5, traceback: [['a.c', 1]] },
    ],
    2,
  );
  assert.deepEqual(
    s.statistics('traceback').map((st) => st.traceback.frames.map(String).join(' < ')),
    ['a.c:1 < b.c:0', 'x.c:1 < a.c:9', 'a.c:1'],
  );
});

test('compareTo matches groups across snapshots built separately', () => {
  const a = new Snapshot([{ size: 1, traceback: [['z.c', 3], ['m.c', 1]] }], 2);
  const b = new Snapshot(
    [
      { size: 7, traceback: [['q.c', 1]] },
      { size: 4, traceback: [['z.c', 3], ['m.c', 1]] },
    ],
    2,
  );
  assert.deepEqual(b.compareTo(a, 'traceback').map(plain), [
    diff(tb(['q.c', 1]), 7, 7, 1, 1),
    diff(tb(['z.c', 3], ['m.c', 1]), 4, 3, 1, 0),
  ]);
  assert.deepEqual(a.compareTo(b, 'lineno', true).map(plain), [
    diff(line('q.c', 1), 0, -7, 0, -1),
    diff(line('z.c', 3), 1, -3, 1, 0), // ties broken by traceback, biggest first
    diff(line('m.c', 1), 1, -3, 1, 0),
  ]);
});

test('an empty snapshot has no statistics and compares as all-vanished', () => {
  const empty = new Snapshot([], 1);
  const [snapshot] = createSnapshots();
  assert.deepEqual(empty.statistics('lineno'), []);
  const d = empty.compareTo(snapshot, 'filename');
  assert.deepEqual(d.map(plain), [diff(file('b.py'), 0, -66, 0, -1), diff(file('a.py'), 0, -32, 0, -4), diff(file('<unknown>'), 0, -7, 0, -1)]);
});

test('a vanished group of zero-size blocks prints +0 B, as Python prints -0 == 0', () => {
  const old = new Snapshot([{ size: 0, traceback: [['a.c', 1]] }], 1);
  const now = new Snapshot([], 1);
  assert.deepEqual(now.compareTo(old, 'lineno').map(String), ['a.c:1: size=0 B (+0 B), count=0 (-1)']);
});
