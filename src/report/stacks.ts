/**
 * The call stacks of a snapshot, one per distinct traceback, with their live bytes and blocks:
 * what pprof, folded stacks and the HTML flame graph are drawn from.
 *
 * Sizes and counts are `snapshot.statistics('traceback')`'s, so a sampled snapshot gives the
 * same (rounded) estimates here as in every other report.
 */
import type { Frame, Snapshot, Traceback } from '../snapshot/index.js';

/** One call stack and the live memory allocated under it. */
export interface Stack {
  /** Frames, most recent first (frames[0] is the allocation site), as in a Traceback. */
  readonly frames: readonly Frame[];
  /** Live bytes (an estimate in a sampled snapshot). */
  readonly size: number;
  /** Live blocks (an estimate in a sampled snapshot). */
  readonly count: number;
  /**
   * Whether the stack was cut at the traceback limit: the program was deeper than the frames
   * kept, so the oldest frame shown is not the real root.
   */
  readonly truncated: boolean;
}

/** Label of the made-up root frame put above truncated stacks in flame graphs and pprof. */
export const TRUNCATED_FRAME = '[truncated]';

/** `file:line`, the name every report gives a frame (snapshots hold no function names). */
export function frameLabel(frame: Frame): string {
  return `${frame.filename}:${frame.lineno}`;
}

/** Key of a frame sequence, equal for equal frames. */
function sequenceKey(frames: Iterable<Frame>): string {
  let key = '';
  for (const f of frames) key += `${f.lineno}\u0000${f.filename}\u0001`;
  return key;
}

/** The stacks of `snapshot`, biggest first (the order of `statistics('traceback')`). */
export function stacksOf(snapshot: Snapshot): Stack[] {
  // Which frame sequences were cut: traces share one Traceback object per interned traceback,
  // so this looks at each distinct traceback once.
  const seen = new Set<Traceback>();
  const truncated = new Set<string>();
  for (const trace of snapshot.traces) {
    const tb = trace.traceback;
    if (seen.has(tb)) continue;
    seen.add(tb);
    if (tb.totalNframe !== undefined && tb.totalNframe > tb.length) truncated.add(sequenceKey(tb));
  }
  return snapshot.statistics('traceback').map((stat) => ({
    frames: stat.traceback.frames,
    size: stat.size,
    count: stat.count,
    truncated: truncated.size > 0 && truncated.has(sequenceKey(stat.traceback)),
  }));
}
