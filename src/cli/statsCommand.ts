/**
 * `wasm-tracemalloc stats snap.tmsnap` and `wasm-tracemalloc compare old.tmsnap new.tmsnap`:
 * tracemalloc's "top N" and "top differences" recipes on snapshot files, aligned text on
 * stdout, or JSON with `--json`.
 */
import type { GroupBy } from '../snapshot/index.js';
import { compareJson, describeSnapshot, formatCompare, formatStats, statsJson } from '../report/text.js';
import { applyFilters, checkGrouping, checkSameModule, loadSnapshotArg, type FilterOptions } from './snapshotInput.js';

/** Parsed options of `stats`. */
export interface StatsOptions extends FilterOptions {
  groupBy: GroupBy;
  cumulative?: boolean;
  limit: number;
  json?: boolean;
}

/** Parsed options of `compare`. */
export interface CompareOptions extends StatsOptions {
  allowDifferentModules?: boolean;
}

/** Runs `stats`; returns the exit code. */
export function statsCommand(path: string, options: StatsOptions): number {
  checkGrouping(options.groupBy, options.cumulative);
  const snapshot = applyFilters(loadSnapshotArg(path), options);
  const report = { groupBy: options.groupBy, cumulative: options.cumulative ?? false, limit: options.limit };
  if (options.json) {
    process.stdout.write(`${JSON.stringify(statsJson(snapshot, report, path), null, 2)}\n`);
  } else {
    process.stdout.write(`${describeSnapshot(snapshot, path)}\n${formatStats(snapshot, report)}\n`);
  }
  return 0;
}

/** Runs `compare`; returns the exit code. */
export function compareCommand(oldPath: string, newPath: string, options: CompareOptions): number {
  checkGrouping(options.groupBy, options.cumulative);
  const old = loadSnapshotArg(oldPath);
  const now = loadSnapshotArg(newPath);
  checkSameModule(old, now, oldPath, newPath, options.allowDifferentModules === true);
  const a = applyFilters(old, options);
  const b = applyFilters(now, options);
  const report = { groupBy: options.groupBy, cumulative: options.cumulative ?? false, limit: options.limit };
  if (options.json) {
    process.stdout.write(`${JSON.stringify(compareJson(a, b, report, { old: oldPath, new: newPath }), null, 2)}\n`);
  } else {
    process.stdout.write(`${describeSnapshot(a, `old ${oldPath}`)}\n${describeSnapshot(b, `new ${newPath}`)}\n${formatCompare(a, b, report)}\n`);
  }
  return 0;
}
