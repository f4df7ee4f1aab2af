/**
 * The "top N" report of tracemalloc's documentation recipe:
 *
 *     [ Top 10 lineno ]
 *     alloc_basic.c:42: size=1024 B, count=1, average=1024 B
 *     ...
 *     3 other: size=..., count=...
 *     Total allocated size: 2.2 KiB
 */
import { formatSize, type GroupBy, type Snapshot, type Statistic } from '../snapshot/index.js';

/** Options of formatTop. */
export interface TopOptions {
  groupBy?: GroupBy;
  cumulative?: boolean;
  limit?: number;
}

/** Text of the top `limit` statistics of `snapshot`, with the rest summed and the total. */
export function formatTop(snapshot: Snapshot, options: TopOptions = {}): string {
  const groupBy = options.groupBy ?? 'lineno';
  const limit = options.limit ?? 10;
  const stats = snapshot.statistics(groupBy, options.cumulative ?? false);
  const lines = [`[ Top ${limit} ${groupBy}${options.cumulative ? ' (cumulative)' : ''} ]`];
  for (const stat of stats.slice(0, limit)) {
    if (groupBy === 'traceback') lines.push(...formatTracebackStatistic(stat));
    else lines.push(stat.toString());
  }
  const other = stats.slice(limit);
  if (other.length > 0) {
    const size = other.reduce((sum, s) => sum + s.size, 0);
    const count = other.reduce((sum, s) => sum + s.count, 0);
    lines.push(`${other.length} other: size=${formatSize(size, false)}, count=${count}`);
  }
  const total = options.cumulative ? snapshot.statistics(groupBy === 'filename' ? 'filename' : 'lineno') : stats;
  lines.push(`Total allocated size: ${formatSize(total.reduce((sum, s) => sum + s.size, 0), false)}`);
  return lines.join('\n');
}

/** A traceback statistic as the docs' "pretty top" prints it: a header, then the frames. */
function formatTracebackStatistic(stat: Statistic): string[] {
  return [`${stat.count} memory blocks: ${formatSize(stat.size, false)}`, ...stat.traceback.format()];
}
