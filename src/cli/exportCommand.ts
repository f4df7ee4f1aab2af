/**
 * `wasm-tracemalloc export snap.tmsnap --format pprof|folded|html -o out` and
 * `wasm-tracemalloc report [old.tmsnap] new.tmsnap -o report.html`: files for other tools and
 * for people. Outputs are written atomically and never replace a file without `--force`
 * (`-o -` writes to stdout).
 */
import { basename } from 'node:path';
import type { Snapshot } from '../snapshot/index.js';
import { writeBytesAtomicSync } from '../snapshot/file.js';
import { toFolded, type FoldedValue } from '../report/folded.js';
import { toHtml } from '../report/html.js';
import { toPprof } from '../report/pprof.js';
import { UsageError } from './errors.js';
import { samePath } from './paths.js';
import { Progress } from './progress.js';
import { applyFilters, checkSameModule, loadSnapshotArg, type FilterOptions } from './snapshotInput.js';

/** Formats of `export`. */
export type ExportFormat = 'pprof' | 'folded' | 'html';

/** Parsed options of `export`. */
export interface ExportOptions extends FilterOptions {
  format: ExportFormat;
  output: string;
  force?: boolean;
  value: FoldedValue;
}

/** Parsed options of `report`. */
export interface ReportOptions extends FilterOptions {
  output: string;
  force?: boolean;
  title?: string;
  allowDifferentModules?: boolean;
}

function checkOutput(output: string, inputs: string[]): void {
  if (output === '-') return;
  for (const input of inputs) {
    if (samePath(input, output)) throw new UsageError(`the output ${output} is the input snapshot ${input}: write to another file`);
  }
}

function write(output: string, bytes: Uint8Array, force: boolean, what: string): void {
  if (output === '-') {
    process.stdout.write(bytes);
    return;
  }
  writeBytesAtomicSync(output, bytes, { force });
  process.stderr.write(`${what} written to ${output}\n`);
}

/** Traces a snapshot holds, as a rough size of the work of exporting it. */
function workOf(...snapshots: Snapshot[]): number {
  return snapshots.reduce((n, s) => n + s.traceCount * 4, 0); // ~4 bytes a trace in a dump
}

/** Runs `export`; returns the exit code. */
export function exportCommand(path: string, options: ExportOptions): number {
  checkOutput(options.output, [path]);
  const snapshot = applyFilters(loadSnapshotArg(path), options);
  const progress = Progress.forWork(workOf(snapshot));
  let bytes: Uint8Array;
  try {
    if (options.format === 'pprof') {
      progress.stage('grouping tracebacks', 1);
      let stacks = -1;
      bytes = toPprof(snapshot, {
        onProgress: (done, total) => {
          if (stacks !== total) progress.stage('building the pprof profile', (stacks = total));
          progress.update(done);
        },
      });
    } else if (options.format === 'folded') {
      progress.stage('folding stacks', 1);
      bytes = new TextEncoder().encode(toFolded(snapshot, { value: options.value }));
    } else {
      progress.stage('building the HTML report', 1);
      bytes = new TextEncoder().encode(toHtml(snapshot, null, { labels: { new: basename(path) } }));
    }
  } finally {
    progress.stop();
  }
  write(options.output, bytes, options.force === true, options.format === 'html' ? 'report' : `${options.format} profile`);
  return 0;
}

/** Runs `report` on one snapshot or two (old, new); returns the exit code. */
export function reportCommand(first: string, second: string | undefined, options: ReportOptions): number {
  const paths = second === undefined ? [first] : [first, second];
  checkOutput(options.output, paths);
  const loaded = paths.map(loadSnapshotArg);
  let old: Snapshot | null = null;
  let now = loaded[0]!;
  if (loaded.length === 2) {
    checkSameModule(loaded[0]!, loaded[1]!, first, second!, options.allowDifferentModules === true);
    old = applyFilters(loaded[0]!, options);
    now = applyFilters(loaded[1]!, options);
  } else {
    now = applyFilters(now, options);
  }
  const progress = Progress.forWork(workOf(now, ...(old ? [old] : [])));
  let html: string;
  try {
    progress.stage('building the HTML report', 1);
    const labels = old === null ? { new: basename(first) } : { old: basename(first), new: basename(second!) };
    html = toHtml(now, old, { labels, ...(options.title === undefined ? {} : { title: options.title }) });
  } finally {
    progress.stop();
  }
  write(options.output, new TextEncoder().encode(html), options.force === true, 'report');
  return 0;
}
