// Statistic and StatisticDiff: what `Snapshot.statistics` and `Snapshot.compareTo` return,
// with CPython's text (`str()`) and sort keys.

import { Traceback } from './frame.js';
import { formatSize, pyInt } from './pytext.js';

/** Size and count of the memory blocks allocated at one traceback (or file, or line). */
export class Statistic {
  /**
   * @param traceback the group: one frame (`'lineno'`), one frame with line 0 (`'filename'`),
   *   or the whole traceback (`'traceback'`)
   * @param size total size of the blocks in bytes
   * @param count number of blocks
   */
  constructor(
    readonly traceback: Traceback,
    readonly size: number,
    readonly count: number,
  ) {}

  /** CPython's `str(stat)`: `a.c:12: size=12.3 KiB, count=3, average=4.1 KiB`. */
  toString(): string {
    let text = `${this.traceback}: size=${formatSize(this.size, false)}, count=${pyInt(this.count, false)}`;
    if (this.count) text += `, average=${formatSize(this.size / this.count, false)}`;
    return text;
  }

  /** Same traceback, size and count. */
  equals(other: Statistic): boolean {
    return this.size === other.size && this.count === other.count && this.traceback.equals(other.traceback);
  }

  /**
   * The order of `Snapshot.statistics`: biggest first by (size, count, traceback), as CPython
   * sorts by `(size, count, traceback)` with `reverse=True`.
   */
  static compare(a: Statistic, b: Statistic): number {
    return b.size - a.size || b.count - a.count || Traceback.compare(b.traceback, a.traceback);
  }
}

/** Difference of size and count of one group between an old and a new snapshot. */
export class StatisticDiff {
  /**
   * @param traceback the group (see Statistic)
   * @param size total size in the new snapshot (0 if the blocks are gone)
   * @param sizeDiff new size − old size
   * @param count number of blocks in the new snapshot (0 if gone)
   * @param countDiff new count − old count
   */
  constructor(
    readonly traceback: Traceback,
    readonly size: number,
    readonly sizeDiff: number,
    readonly count: number,
    readonly countDiff: number,
  ) {}

  /** CPython's `str(diff)`: `a.c:12: size=12.3 KiB (+1024 B), count=3 (+1), average=4.1 KiB`. */
  toString(): string {
    let text =
      `${this.traceback}: size=${formatSize(this.size, false)} (${formatSize(this.sizeDiff, true)}), ` +
      `count=${pyInt(this.count, false)} (${pyInt(this.countDiff, true)})`;
    if (this.count) text += `, average=${formatSize(this.size / this.count, false)}`;
    return text;
  }

  /** Same traceback and numbers. */
  equals(other: StatisticDiff): boolean {
    return (
      this.size === other.size &&
      this.sizeDiff === other.sizeDiff &&
      this.count === other.count &&
      this.countDiff === other.countDiff &&
      this.traceback.equals(other.traceback)
    );
  }

  /**
   * The order of `Snapshot.compareTo`: biggest first by
   * (|sizeDiff|, size, |countDiff|, count, traceback), as CPython sorts.
   */
  static compare(a: StatisticDiff, b: StatisticDiff): number {
    return (
      Math.abs(b.sizeDiff) - Math.abs(a.sizeDiff) ||
      b.size - a.size ||
      Math.abs(b.countDiff) - Math.abs(a.countDiff) ||
      b.count - a.count ||
      Traceback.compare(b.traceback, a.traceback)
    );
  }
}
