/**
 * Progress bars for long work (reading a big snapshot, building an export), drawn on stderr
 * with cli-progress — only when stderr is a terminal and the work is big enough to wait for.
 * Piped or redirected stderr gets nothing, so scripts and logs stay clean.
 */
import cliProgress, { type SingleBar } from 'cli-progress';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { formatSize } from '../snapshot/index.js';

/** Work below this many bytes of input gets no bar: it is over before a bar would help. */
export const PROGRESS_MIN_BYTES = 1 << 20;

/** A bar with stages ("reading a.tmsnap", "building the profile"…); a no-op when disabled. */
export class Progress {
  private bar: SingleBar | null = null;

  private constructor(readonly enabled: boolean) {}

  /** A bar on stderr if it is a terminal and `workBytes` is at least PROGRESS_MIN_BYTES. */
  static forWork(workBytes: number): Progress {
    return new Progress(process.stderr.isTTY === true && workBytes >= PROGRESS_MIN_BYTES);
  }

  /** Never draws. */
  static readonly off = new Progress(false);

  /** Starts (or restarts) the bar for a stage of `total` units; `bytes` shows units as sizes. */
  stage(label: string, total: number, bytes = false): void {
    if (!this.enabled) return;
    this.bar?.stop();
    this.bar = new cliProgress.SingleBar(
      {
        format: `${label.padEnd(28)} [{bar}] {percentage}% {value}/{total}`,
        stream: process.stderr,
        barsize: 30,
        hideCursor: true,
        clearOnComplete: true,
        formatValue: bytes ? (v: number, _o: unknown, type: string) => (type === 'value' || type === 'total' ? formatSize(v, false) : String(v)) : undefined,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(Math.max(total, 1), 0);
  }

  /** Units done in the current stage. */
  update(done: number): void {
    this.bar?.update(done);
  }

  /** Removes the bar. */
  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}

/** Reads a file in chunks, drawing a bar if it is big and stderr is a terminal. */
export function readFileWithProgress(path: string, label: string): { bytes: Uint8Array; progress: Progress } {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const progress = Progress.forWork(size);
    const bytes = new Uint8Array(size);
    progress.stage(label, size, true);
    const CHUNK = 1 << 20;
    let off = 0;
    while (off < size) {
      const n = readSync(fd, bytes, off, Math.min(CHUNK, size - off), off);
      if (n === 0) break;
      off += n;
      progress.update(off);
    }
    return { bytes: off === size ? bytes : bytes.subarray(0, off), progress };
  } finally {
    closeSync(fd);
  }
}
