/**
 * What the commands on snapshot files share: loading a file with an error that names it,
 * `--filter` / `--exclude` parsing, and the same-module check of two snapshots.
 */
import { Filter, Snapshot, SnapshotFormatError, type GroupBy } from '../snapshot/index.js';
import { UsageError } from './errors.js';
import { readFileWithProgress } from './progress.js';

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'it is a directory',
};

/** Reads and decodes a snapshot file (with a progress bar when big and on a terminal). */
export function loadSnapshotArg(path: string): Snapshot {
  let bytes: Uint8Array;
  let progress;
  try {
    ({ bytes, progress } = readFileWithProgress(path, `reading ${path}`));
  } catch (e) {
    const code = (e as { code?: string }).code ?? '';
    throw new UsageError(`cannot read the snapshot ${path}: ${REASONS[code] ?? (e as Error).message}`);
  }
  try {
    progress.stage(`decoding ${path}`, 1);
    return Snapshot.fromBytes(bytes);
  } catch (e) {
    if (e instanceof SnapshotFormatError) throw new UsageError(`${path} is not a valid snapshot: ${e.message}`);
    throw e;
  } finally {
    progress.stop();
  }
}

/** Options every snapshot command takes to select traces. */
export interface FilterOptions {
  filter: string[];
  exclude: string[];
  allFrames?: boolean;
}

/** `pattern[:line]` → a Filter (a trailing `:digits` is the line number). */
export function parseFilter(spec: string, inclusive: boolean, allFrames: boolean): Filter {
  const m = /^(.*):(\d+)$/.exec(spec);
  const pattern = m ? m[1]! : spec;
  if (pattern === '') throw new UsageError(`${inclusive ? '--filter' : '--exclude'} ${JSON.stringify(spec)}: expected a file name pattern, optionally followed by :line`);
  return new Filter(inclusive, pattern, m ? Number(m[2]) : null, allFrames);
}

/** The filters of the options, inclusive ones first. */
export function filtersOf(options: FilterOptions): Filter[] {
  const all = options.allFrames === true;
  return [...options.filter.map((s) => parseFilter(s, true, all)), ...options.exclude.map((s) => parseFilter(s, false, all))];
}

/** The snapshot with the filters of `options` applied (itself when there are none). */
export function applyFilters(snapshot: Snapshot, options: FilterOptions): Snapshot {
  const filters = filtersOf(options);
  return filters.length === 0 ? snapshot : snapshot.filterTraces(filters);
}

/** Refuses `--cumulative` with `--group-by traceback`, as tracemalloc does. */
export function checkGrouping(groupBy: GroupBy, cumulative: boolean | undefined): void {
  if (cumulative && groupBy === 'traceback') {
    throw new UsageError('--cumulative works with --group-by lineno or filename, not traceback (as in tracemalloc)');
  }
}

/** Refuses two snapshots of different modules (both hashes known and different) unless allowed. */
export function checkSameModule(old: Snapshot, now: Snapshot, oldPath: string, newPath: string, allow: boolean): void {
  const a = old.meta.moduleHash;
  const b = now.meta.moduleHash;
  if (allow || a === '' || b === '' || a === b) return;
  const name = (s: Snapshot, hash: string): string => `${s.meta.moduleName || 'unknown module'}, sha256 ${hash.slice(0, 12)}…`;
  throw new UsageError(
    `${oldPath} and ${newPath} are snapshots of different modules (${name(old, a)} vs ${name(now, b)}): ` +
      'their file:line sites need not mean the same code; pass --allow-different-modules to compare them anyway',
  );
}
