// Binary search over sorted addresses and offsets: the one every symbol lookup uses (DWARF scopes
// and line rows, source-map mappings).

/**
 * Index of the last of `sorted[lo..hi]` (ascending) that is <= `value`, or `lo - 1` when none is
 * (-1 over the whole array).
 */
export function lastAtOrBefore(sorted: ArrayLike<number>, value: number, lo = 0, hi = sorted.length - 1): number {
  let found = lo - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= value) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}
