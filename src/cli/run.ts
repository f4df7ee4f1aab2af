/**
 * `wasm-tracemalloc run app.wasm [options] -- args…`: the main job. The program keeps its own
 * stdin/stdout/stderr; the report goes to stderr after it exits, so piping the program's output
 * is unaffected. Exits with the program's exit code.
 */
import { basename, resolve } from 'node:path';
import { formatTop } from '../report/top.js';
import type { GroupBy } from '../snapshot/index.js';
import { dumpSnapshotSync } from '../snapshot/file.js';
import { UsageError } from './errors.js';
import { readInput } from './readInput.js';

/** Parsed options of `run`. */
export interface RunOptions {
  nframe: number;
  snapshot?: string;
  force?: boolean;
  limit: number;
  groupBy: GroupBy;
  cumulative?: boolean;
  root?: string;
  dir: string[];
  env: string[];
}

function pairs(values: string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new UsageError(`${flag} ${v}: expected NAME=VALUE`);
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

/** Runs the command; returns the exit code. */
export async function runCommand(modulePath: string, args: string[], options: RunOptions): Promise<number> {
  if (options.cumulative && options.groupBy === 'traceback') {
    throw new UsageError('--cumulative works with --group-by lineno or filename, not traceback (as in tracemalloc)');
  }
  const bytes = readInput(modulePath, 'module');
  const name = basename(modulePath);
  // Loaded here, not at the top: node:wasi warns when loaded, and main.ts silences that first.
  const { runWasi } = await import('../host/wasiRunner.js');
  const result = await runWasi(bytes, {
    args: [name, ...args],
    env: pairs(options.env, '--env'),
    preopens: pairs(options.dir, '--dir'),
    nframe: options.nframe,
    moduleName: name,
    modulePath: resolve(modulePath),
    root: options.root ?? process.cwd(),
  });
  if (result.trap !== null) process.stderr.write(`wasm-tracemalloc: the program trapped: ${result.trap.message}\n`);
  const report = formatTop(result.snapshot, { groupBy: options.groupBy, cumulative: options.cumulative ?? false, limit: options.limit });
  process.stderr.write(`${report}\n`);
  if (options.snapshot !== undefined) {
    dumpSnapshotSync(result.snapshot, options.snapshot, { force: options.force === true });
    process.stderr.write(`snapshot written to ${options.snapshot}\n`);
  }
  return result.exitCode;
}
