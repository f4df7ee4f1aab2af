// Statistics of sampled snapshots (meta.samplingInterval = T > 0): each sampled block of size
// s stands for s / (1 − exp(−s/T)) bytes and 1 / (1 − exp(−s/T)) blocks; group sums are
// rounded to integers. Expected values computed with Python's math module:
//   T = 1000, s = 1000: 1 / (1 − e^−1) = 1.5819767068693265 → 1581.9767068693266 bytes
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Snapshot } from '../../src/snapshot/index.js';

const sampled = (sizes: [number, string, number][], samplingInterval: number): Snapshot =>
  new Snapshot(
    sizes.map(([size, file, line]) => ({ size, traceback: [[file, line] as [string, number]] })),
    1,
    { samplingInterval },
  );

test('one sampled block stands for s/p bytes and 1/p blocks, rounded', () => {
  const s = sampled([[1000, 'a.c', 1]], 1000);
  const [st] = s.statistics('lineno');
  assert.equal(st!.size, 1582); // 1581.98
  assert.equal(st!.count, 2); // 1.58
  assert.equal(String(st), 'a.c:1: size=1582 B, count=2, average=791 B');
});

test('estimates are summed per group, then rounded once', () => {
  // 2 × 1.5819767 = 3.16 blocks → 3 (rounding each block first would give 4)
  const [st] = sampled([[1000, 'a.c', 1], [1000, 'a.c', 1]], 1000).statistics('filename');
  assert.equal(st!.count, 3);
  assert.equal(st!.size, 3164); // 3163.95
});

test('blocks of different sizes weigh differently', () => {
  // 100·w(100) + 5000·w(5000) = 6084.75 bytes, w(100) + w(5000) = 11.52 blocks
  const [st] = sampled([[100, 'a.c', 1], [5000, 'a.c', 1]], 1000).statistics('lineno');
  assert.deepEqual([st!.size, st!.count], [6085, 12]);
});

test('blocks much larger than the interval count as themselves', () => {
  const [st] = sampled([[10_000_000, 'a.c', 1]], 4096).statistics('lineno');
  assert.deepEqual([st!.size, st!.count], [10_000_000, 1]);
});

test('a zero-size block counts as one block of zero bytes', () => {
  const [st] = sampled([[0, 'a.c', 1]], 4096).statistics('lineno');
  assert.deepEqual([st!.size, st!.count], [0, 1]);
});

test('compareTo of sampled snapshots diffs the rounded estimates', () => {
  const old = sampled([[1000, 'a.c', 1]], 1000); // 1582 B, 2 blocks
  const now = sampled([[1000, 'a.c', 1], [1000, 'a.c', 1], [1000, 'a.c', 1]], 1000); // 4745.93 → 4746, 4.75 → 5
  assert.deepEqual(now.compareTo(old, 'lineno').map(String), ['a.c:1: size=4746 B (+3164 B), count=5 (+3), average=949 B']);
});

test('sampling 0 means exact statistics', () => {
  const [st] = sampled([[1000, 'a.c', 1]], 0).statistics('lineno');
  assert.deepEqual([st!.size, st!.count], [1000, 1]);
});

test('traces keep the sampled sizes; only statistics estimate', () => {
  assert.deepEqual(sampled([[1000, 'a.c', 1]], 1000).traces.map((t) => t.size), [1000]);
});
