// CPython's create_snapshots() from Lib/test/test_tracemalloc.py (3.12), as our snapshots.
import { Snapshot, Statistic, StatisticDiff, Traceback } from '../../src/snapshot/index.js';
import { snapshotOf, type RawTrace } from './helpers.js';

export const RAW1: RawTrace[] = [
  [10, [['a.py', 2], ['b.py', 4]], 3],
  [10, [['a.py', 2], ['b.py', 4]], 3],
  [10, [['a.py', 2], ['b.py', 4]], 3],
  [2, [['a.py', 5], ['b.py', 4]], 3],
  [66, [['b.py', 1]], 1],
  [7, [['<unknown>', 0]], 1],
];

export const RAW2: RawTrace[] = [
  [10, [['a.py', 2], ['b.py', 4]], 3],
  [10, [['a.py', 2], ['b.py', 4]], 3],
  [10, [['a.py', 2], ['b.py', 4]], 3],
  [2, [['a.py', 5], ['b.py', 4]], 3],
  [5000, [['a.py', 5], ['b.py', 4]], 3],
  [400, [['c.py', 578]], 1],
];

/** (snapshot, snapshot2) with traceback_limit 2, as CPython's tests build them. */
export function createSnapshots(): [Snapshot, Snapshot] {
  return [snapshotOf(RAW1, 2), snapshotOf(RAW2, 2)];
}

/** CPython's traceback(*frames): frames most recent first. */
export function tb(...frames: [string, number][]): Traceback {
  return new Traceback(frames);
}

/** A Statistic or StatisticDiff as plain data, for deepEqual with readable failures. */
export function plain(s: Statistic | StatisticDiff): unknown[] {
  const frames = s.traceback.frames.map(String);
  return s instanceof StatisticDiff ? [frames, s.size, s.sizeDiff, s.count, s.countDiff] : [frames, s.size, s.count];
}

export function stat(t: Traceback, size: number, count: number): unknown[] {
  return plain(new Statistic(t, size, count));
}

export function diff(t: Traceback, size: number, sizeDiff: number, count: number, countDiff: number): unknown[] {
  return plain(new StatisticDiff(t, size, sizeDiff, count, countDiff));
}
