/** Number formats of the panel, in tracemalloc's units (CPython's `_format_size`: B, KiB, MiB). */
import { formatSize } from '../../snapshot/index.js';

/** `1.5 MiB`, `512 B`. */
export function formatBytes(bytes: number): string {
  return formatSize(bytes, false);
}

/** `+1.5 MiB`, `-512 B`, `+0 B`. */
export function formatBytesDiff(bytes: number): string {
  return formatSize(bytes, true);
}

/** `+12`, `-3`, `0`. */
export function formatCountDiff(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}
