/**
 * Text and JSON reports of snapshot files: `wasm-tracemalloc stats` and `compare`.
 *
 * The numbers are tracemalloc's (`Snapshot.statistics`, `Snapshot.compareTo`), the sizes are
 * printed as tracemalloc prints them (`formatSize`: "1000 B", "12.3 KiB", "+1024 B"), tracebacks
 * as `Traceback.format()` prints them, and the columns are aligned:
 *
 *     [ Top 3 lineno ]
 *       size  count  average  location
 *     1000 B      1   1000 B  c/alloc_basic.c:184
 *      400 B      1    400 B  c/alloc_basic.c:177
 *      128 B      4     32 B  c/alloc_basic.c:141
 *      724 B      7        -  10 other
 *     Total allocated size: 2252 B
 *
 * The JSON forms carry the same rows with raw numbers, for scripts.
 */
import { formatSize, type GroupBy, type Snapshot, type Statistic, type StatisticDiff, type Traceback } from '../snapshot/index.js';

/** Options shared by the stats and compare reports. */
export interface TextReportOptions {
  groupBy?: GroupBy;
  cumulative?: boolean;
  /** Rows shown (the rest is summed on one line); 0 or Infinity shows every row. Default 10. */
  limit?: number;
}

/** A table: header cells, rows of cells, and which columns are right-aligned. */
function alignTable(header: readonly string[], rows: readonly (readonly string[])[], right: readonly boolean[]): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, c) => {
        const last = c === cells.length - 1;
        if (right[c]) return cell.padStart(widths[c]!);
        return last ? cell : cell.padEnd(widths[c]!);
      })
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

function shownRows<T>(items: readonly T[], limit: number | undefined): { shown: readonly T[]; rest: readonly T[] } {
  const n = limit === undefined ? 10 : limit === 0 ? Infinity : limit;
  return { shown: items.slice(0, n), rest: items.slice(n) };
}

function average(size: number, count: number): string {
  return count ? formatSize(size / count, false) : '-';
}

function sum<T>(items: readonly T[], f: (t: T) => number): number {
  let s = 0;
  for (const t of items) s += f(t);
  return s;
}

/** Where a statistic's group is: `file:line` (line 0 for a 'filename' group), or the traceback's oldest frame. */
function location(tb: Traceback): string {
  return tb.toString();
}

function title(kind: string, limit: number | undefined, options: TextReportOptions): string {
  const n = limit === 0 ? 'all' : String(limit ?? 10);
  return `[ Top ${n} ${kind}${options.groupBy ?? 'lineno'}${options.cumulative ? ' (cumulative)' : ''} ]`;
}

/** One line saying what a snapshot is: module, hash, traced memory, limit, time, sampling. */
export function describeSnapshot(snapshot: Snapshot, label?: string): string {
  const m = snapshot.meta;
  const parts: string[] = [];
  parts.push(m.moduleName || 'unknown module');
  if (m.moduleHash) parts.push(`sha256 ${m.moduleHash.slice(0, 12)}`);
  parts.push(`${snapshot.traceCount} traces`);
  if (m.tracedCurrent !== null) parts.push(`traced ${formatSize(m.tracedCurrent, false)}`);
  if (m.tracedPeak !== null) parts.push(`peak ${formatSize(m.tracedPeak, false)}`);
  parts.push(`traceback limit ${snapshot.tracebackLimit}`);
  if (m.timestamp !== null) parts.push(`taken ${new Date(m.timestamp).toISOString()}`);
  if (m.samplingInterval > 0) parts.push(`sampled every ${formatSize(m.samplingInterval, false)} on average: figures are estimates`);
  return `${label ? `${label}: ` : ''}${parts.join(', ')}`;
}

/** The "top N" report of one snapshot, aligned. */
export function formatStats(snapshot: Snapshot, options: TextReportOptions = {}): string {
  const groupBy = options.groupBy ?? 'lineno';
  const stats = snapshot.statistics(groupBy, options.cumulative ?? false);
  const { shown, rest } = shownRows(stats, options.limit);
  const lines = [title('', options.limit, options)];
  if (groupBy === 'traceback') {
    const rows = shown.map((s, i) => [`#${i + 1}`, formatSize(s.size, false), String(s.count), average(s.size, s.count)]);
    const table = alignTable(['', 'size', 'count', 'average'], rows, [false, true, true, true]);
    lines.push(table[0]!);
    shown.forEach((s, i) => lines.push(table[i + 1]!, ...s.traceback.format()));
    if (rest.length > 0) lines.push(`${rest.length} other: size=${formatSize(sum(rest, (s) => s.size), false)}, count=${sum(rest, (s) => s.count)}`);
  } else {
    const rows = shown.map((s) => [formatSize(s.size, false), String(s.count), average(s.size, s.count), location(s.traceback)]);
    if (rest.length > 0) {
      const size = sum(rest, (s) => s.size);
      const count = sum(rest, (s) => s.count);
      rows.push([formatSize(size, false), String(count), '-', `${rest.length} other`]);
    }
    lines.push(...alignTable(['size', 'count', 'average', 'location'], rows, [true, true, true, false]));
  }
  lines.push(`Total allocated size: ${formatSize(totalSize(snapshot, groupBy, options.cumulative ?? false, stats), false)}`);
  return lines.join('\n');
}

/** The live bytes of a snapshot: cumulative statistics count a block once per frame, so sum the plain ones. */
function totalSize(snapshot: Snapshot, groupBy: GroupBy, cumulative: boolean, stats: readonly Statistic[]): number {
  const plain = cumulative ? snapshot.statistics(groupBy === 'filename' ? 'filename' : 'lineno') : stats;
  return sum(plain, (s) => s.size);
}

function totalCount(snapshot: Snapshot): number {
  return sum(snapshot.statistics('filename'), (s) => s.count);
}

/** The "top N differences" report of `now` against `old`, aligned. */
export function formatCompare(old: Snapshot, now: Snapshot, options: TextReportOptions = {}): string {
  const groupBy = options.groupBy ?? 'lineno';
  const diffs = now.compareTo(old, groupBy, options.cumulative ?? false);
  const { shown, rest } = shownRows(diffs, options.limit);
  const lines = [title('differences ', options.limit, options)];
  const cells = (d: StatisticDiff): string[] => [
    formatSize(d.size, false),
    formatSize(d.sizeDiff, true),
    String(d.count),
    signed(d.countDiff),
    average(d.size, d.count),
  ];
  if (groupBy === 'traceback') {
    const rows = shown.map((d, i) => [`#${i + 1}`, ...cells(d)]);
    const table = alignTable(['', 'size', 'size diff', 'count', 'count diff', 'average'], rows, [false, true, true, true, true, true]);
    lines.push(table[0]!);
    shown.forEach((d, i) => lines.push(table[i + 1]!, ...d.traceback.format()));
    if (rest.length > 0) lines.push(`${rest.length} other: size diff=${formatSize(sum(rest, (d) => d.sizeDiff), true)}, count diff=${signed(sum(rest, (d) => d.countDiff))}`);
  } else {
    const rows = shown.map((d) => [...cells(d), location(d.traceback)]);
    if (rest.length > 0) {
      rows.push([
        formatSize(sum(rest, (d) => d.size), false),
        formatSize(sum(rest, (d) => d.sizeDiff), true),
        String(sum(rest, (d) => d.count)),
        signed(sum(rest, (d) => d.countDiff)),
        '-',
        `${rest.length} other`,
      ]);
    }
    lines.push(...alignTable(['size', 'size diff', 'count', 'count diff', 'average', 'location'], rows, [true, true, true, true, true, false]));
  }
  const oldSize = totalSize(old, 'lineno', false, old.statistics('lineno'));
  const newSize = totalSize(now, 'lineno', false, now.statistics('lineno'));
  const oldCount = totalCount(old);
  const newCount = totalCount(now);
  lines.push(
    `Total allocated size: ${formatSize(newSize, false)} (${formatSize(newSize - oldSize, true)}), ` +
      `${newCount} blocks (${signed(newCount - oldCount)})`,
  );
  return lines.join('\n');
}

function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n === 0 ? 0 : n);
}

// ---- JSON ----------------------------------------------------------------------------------

/** A frame in JSON. */
export interface FrameJson {
  filename: string;
  lineno: number;
}

/** What a snapshot is, in JSON. */
export interface SnapshotJson {
  path?: string;
  moduleName: string;
  moduleHash: string;
  tracebackLimit: number;
  tracedCurrent: number | null;
  tracedPeak: number | null;
  timestamp: number | null;
  samplingInterval: number;
  traces: number;
}

function framesJson(tb: Traceback): FrameJson[] {
  return tb.frames.map((f) => ({ filename: f.filename, lineno: f.lineno }));
}

/** The snapshot's metadata in JSON. */
export function snapshotJson(snapshot: Snapshot, path?: string): SnapshotJson {
  const m = snapshot.meta;
  return {
    ...(path === undefined ? {} : { path }),
    moduleName: m.moduleName,
    moduleHash: m.moduleHash,
    tracebackLimit: snapshot.tracebackLimit,
    tracedCurrent: m.tracedCurrent,
    tracedPeak: m.tracedPeak,
    timestamp: m.timestamp,
    samplingInterval: m.samplingInterval,
    traces: snapshot.traceCount,
  };
}

/** `stats --json`: frames are most recent first; `text` is tracemalloc's `str(stat)`. */
export interface StatsJson {
  snapshot: SnapshotJson;
  groupBy: GroupBy;
  cumulative: boolean;
  total: { size: number; count: number };
  statistics: { size: number; count: number; traceback: FrameJson[]; text: string }[];
  other: { groups: number; size: number; count: number };
}

/** The stats report as JSON data. */
export function statsJson(snapshot: Snapshot, options: TextReportOptions = {}, path?: string): StatsJson {
  const groupBy = options.groupBy ?? 'lineno';
  const cumulative = options.cumulative ?? false;
  const stats = snapshot.statistics(groupBy, cumulative);
  const { shown, rest } = shownRows(stats, options.limit);
  return {
    snapshot: snapshotJson(snapshot, path),
    groupBy,
    cumulative,
    total: { size: totalSize(snapshot, groupBy, cumulative, stats), count: totalCount(snapshot) },
    statistics: shown.map((s) => ({ size: s.size, count: s.count, traceback: framesJson(s.traceback), text: s.toString() })),
    other: { groups: rest.length, size: sum(rest, (s) => s.size), count: sum(rest, (s) => s.count) },
  };
}

/** `compare --json`. */
export interface CompareJson {
  old: SnapshotJson;
  new: SnapshotJson;
  groupBy: GroupBy;
  cumulative: boolean;
  total: { size: number; sizeDiff: number; count: number; countDiff: number };
  differences: { size: number; sizeDiff: number; count: number; countDiff: number; traceback: FrameJson[]; text: string }[];
  other: { groups: number; size: number; sizeDiff: number; count: number; countDiff: number };
}

/** The compare report as JSON data. */
export function compareJson(old: Snapshot, now: Snapshot, options: TextReportOptions = {}, paths: { old?: string; new?: string } = {}): CompareJson {
  const groupBy = options.groupBy ?? 'lineno';
  const cumulative = options.cumulative ?? false;
  const diffs = now.compareTo(old, groupBy, cumulative);
  const { shown, rest } = shownRows(diffs, options.limit);
  const oldSize = totalSize(old, 'lineno', false, old.statistics('lineno'));
  const newSize = totalSize(now, 'lineno', false, now.statistics('lineno'));
  const oldCount = totalCount(old);
  const newCount = totalCount(now);
  return {
    old: snapshotJson(old, paths.old),
    new: snapshotJson(now, paths.new),
    groupBy,
    cumulative,
    total: { size: newSize, sizeDiff: newSize - oldSize, count: newCount, countDiff: newCount - oldCount },
    differences: shown.map((d) => ({
      size: d.size,
      sizeDiff: d.sizeDiff,
      count: d.count,
      countDiff: d.countDiff,
      traceback: framesJson(d.traceback),
      text: d.toString(),
    })),
    other: {
      groups: rest.length,
      size: sum(rest, (d) => d.size),
      sizeDiff: sum(rest, (d) => d.sizeDiff),
      count: sum(rest, (d) => d.count),
      countDiff: sum(rest, (d) => d.countDiff),
    },
  };
}
