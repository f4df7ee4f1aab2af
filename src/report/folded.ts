/**
 * Folded stacks, the text format of Brendan Gregg's flamegraph.pl (and of speedscope, inferno,
 * and most flame-graph tools): one line per stack, frames root first separated by `;`, a space,
 * then the value.
 *
 *     [truncated];c/alloc_basic.c:146;c/alloc_basic.c:115 48
 *
 * Frames are `file:line`. A `;` in a file name would split the frame, and a line break would
 * end the line, so both are replaced by `_`. Truncated stacks (deeper than the traceback limit)
 * start at a `[truncated]` frame.
 */
import type { Snapshot } from '../snapshot/index.js';
import { frameLabel, stacksOf, TRUNCATED_FRAME } from './stacks.js';

/** Which number each stack carries. */
export type FoldedValue = 'bytes' | 'blocks';

/** Options of toFolded. */
export interface FoldedOptions {
  /** Live bytes (default) or live blocks. */
  value?: FoldedValue;
}

function clean(label: string): string {
  return label.replace(/[;\r\n]/g, '_');
}

/** The snapshot as folded stacks, biggest first, one line each (a final newline included). */
export function toFolded(snapshot: Snapshot, options: FoldedOptions = {}): string {
  const byBlocks = options.value === 'blocks';
  let out = '';
  for (const s of stacksOf(snapshot)) {
    const value = byBlocks ? s.count : s.size;
    if (value === 0) continue;
    const names: string[] = [];
    if (s.truncated) names.push(TRUNCATED_FRAME);
    for (let i = s.frames.length - 1; i >= 0; i--) names.push(clean(frameLabel(s.frames[i]!)));
    out += `${names.join(';')} ${value}\n`;
  }
  return out;
}
