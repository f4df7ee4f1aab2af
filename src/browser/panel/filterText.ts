/**
 * The panel's filter box: a line of `Filter` patterns, as the CLI's `--filter` / `--exclude`
 * take them. Each word is `pattern[:line]` (keep traces with a frame there) or `-pattern[:line]`
 * (drop them); patterns are fnmatch patterns on file names (`*.c`, `sqlite3.c:1234`). Matching
 * applies to every frame of a traceback (allFrames), so a caller in the pattern also matches.
 */
import { Filter } from '../../snapshot/index.js';

/** The filters of one line of the box; a clear error for a word it cannot read. */
export function parseFilterText(text: string): Filter[] {
  const filters: Filter[] = [];
  for (const word of text.trim().split(/\s+/).filter((w) => w !== '')) {
    const inclusive = !word.startsWith('-');
    const spec = inclusive ? word : word.slice(1);
    const colon = spec.lastIndexOf(':');
    let pattern = spec;
    let lineno: number | null = null;
    if (colon > 0 && /^[0-9]+$/.test(spec.slice(colon + 1))) {
      pattern = spec.slice(0, colon);
      lineno = Number(spec.slice(colon + 1));
    }
    if (pattern === '') throw new Error(`filter "${word}": expected a file name pattern, optionally followed by :line`);
    filters.push(new Filter(inclusive, pattern, lineno, true));
  }
  return filters;
}
