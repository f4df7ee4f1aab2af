// stats / compare reports on hand-made snapshots: every figure is worked out in sample.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareJson, describeSnapshot, formatCompare, formatStats, statsJson } from '../../src/report/text.js';
import { newSnapshot, oldSnapshot } from './sample.js';

test('stats by line: aligned columns, tracemalloc sizes, biggest first, the rest summed', () => {
  assert.equal(
    formatStats(oldSnapshot(), { limit: 2 }),
    [
      '[ Top 2 lineno ]',
      '  size  count  average  location',
      '5000 B      1   5000 B  b.c:5',
      ' 250 B      3     83 B  a.c:10',
      '   8 B      1        -  1 other',
      'Total allocated size: 5258 B',
    ].join('\n'),
  );
  // 25000 B is above 10 KiB: tracemalloc prints "24.4 KiB"
  assert.match(formatStats(newSnapshot()), /^24\.4 KiB +2 +12\.2 KiB  b\.c:5$/m);
});

test('stats: limit 0 shows every row; filename groups print line 0', () => {
  const text = formatStats(oldSnapshot(), { groupBy: 'filename', limit: 0 });
  assert.equal(
    text,
    [
      '[ Top all filename ]',
      '  size  count  average  location',
      '5000 B      1   5000 B  b.c:0',
      ' 250 B      3     83 B  a.c:0',
      '   8 B      1      8 B  c.c:0',
      'Total allocated size: 5258 B',
    ].join('\n'),
  );
});

test('stats by traceback: one row per stack, then its frames as Traceback.format() prints them', () => {
  assert.equal(
    formatStats(oldSnapshot(), { groupBy: 'traceback', limit: 2 }),
    [
      '[ Top 2 traceback ]',
      '      size  count  average',
      '#1  5000 B      1   5000 B',
      '  File "a.c", line 2',
      '  File "b.c", line 5',
      '#2   200 B      2    100 B',
      '  File "a.c", line 1',
      '  File "a.c", line 10',
      '2 other: size=58 B, count=2',
      'Total allocated size: 5258 B',
    ].join('\n'),
  );
});

test('stats --cumulative counts callers; the total stays the live bytes', () => {
  const text = formatStats(oldSnapshot(), { cumulative: true, limit: 3 });
  assert.match(text, /^\[ Top 3 lineno \(cumulative\) \]$/m);
  assert.match(text, /^5000 B +1 +5000 B  a\.c:2$/m);
  assert.match(text, /Total allocated size: 5258 B$/);
});

test('compare by line: size and count differences with signs, vanished lines too', () => {
  assert.equal(
    formatCompare(oldSnapshot(), newSnapshot(), { limit: 3 }),
    [
      '[ Top 3 differences lineno ]',
      '    size  size diff  count  count diff   average  location',
      '24.4 KiB  +19.5 KiB      2          +1  12.2 KiB  b.c:5',
      '   150 B     -100 B      2          -1      75 B  a.c:10',
      '     1 B       +1 B      1          +1       1 B  d.c:1',
      '     8 B       +0 B      1           0         -  1 other',
      'Total allocated size: 24.6 KiB (+19.4 KiB), 6 blocks (+1)',
    ].join('\n'),
  );
});

test('describeSnapshot names the module, hash, counts, limit and time', () => {
  assert.equal(
    describeSnapshot(oldSnapshot(), 'old.tmsnap'),
    'old.tmsnap: app.wasm, sha256 aaaaaaaaaaaa, 5 traces, traced 5258 B, peak 6000 B, traceback limit 2, taken 2024-01-02T03:04:05.000Z',
  );
});

test('JSON: raw numbers, frames most recent first, str(stat) beside each row', () => {
  const j = statsJson(oldSnapshot(), { limit: 1 }, 'old.tmsnap');
  assert.deepEqual(j.snapshot, {
    path: 'old.tmsnap', moduleName: 'app.wasm', moduleHash: 'aa'.repeat(32), tracebackLimit: 2,
    tracedCurrent: 5258, tracedPeak: 6000, timestamp: Date.UTC(2024, 0, 2, 3, 4, 5), samplingInterval: 0, traces: 5,
  });
  assert.deepEqual(j.total, { size: 5258, count: 5 });
  assert.deepEqual(j.statistics, [{ size: 5000, count: 1, traceback: [{ filename: 'b.c', lineno: 5 }], text: 'b.c:5: size=5000 B, count=1, average=5000 B' }]);
  assert.deepEqual(j.other, { groups: 2, size: 258, count: 4 });

  const tb = statsJson(oldSnapshot(), { groupBy: 'traceback', limit: 1 });
  assert.deepEqual(tb.statistics[0]!.traceback, [{ filename: 'b.c', lineno: 5 }, { filename: 'a.c', lineno: 2 }]);

  const c = compareJson(oldSnapshot(), newSnapshot(), { limit: 0 });
  assert.deepEqual(c.total, { size: 25159, sizeDiff: 19901, count: 6, countDiff: 1 });
  assert.equal(c.differences.length, 4);
  assert.deepEqual(
    c.differences.map((d) => [d.traceback[0]!.filename, d.sizeDiff, d.countDiff]),
    [['b.c', 20000, 1], ['a.c', -100, -1], ['d.c', 1, 1], ['c.c', 0, 0]],
  );
  assert.deepEqual(c.other, { groups: 0, size: 0, sizeDiff: 0, count: 0, countDiff: 0 });
});
