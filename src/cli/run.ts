/**
 * `wasm-tracemalloc run app.wasm [options] -- args…`: the main job. The program keeps its own
 * stdin/stdout/stderr; the report goes to stderr after it exits, so piping the program's output
 * is unaffected. Exits with the program's exit code.
 */
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { samePath } from './paths.js';
import { formatTop } from '../report/top.js';
import type { GroupBy } from '../snapshot/index.js';
import { dumpSnapshotSync } from '../snapshot/file.js';
import { UsageError } from './errors.js';
import { readInput } from './readInput.js';
import { type AllocatorOptions, instrumentOptionsOf, moduleError } from './allocatorOptions.js';
import { isInstrumented } from '../instrument/siteTable.js';

/** Parsed options of `run`. */
export interface RunOptions extends AllocatorOptions {
  nframe?: number;
  snapshot?: string;
  force?: boolean;
  limit: number;
  groupBy: GroupBy;
  cumulative?: boolean;
  root?: string;
  debugFile?: string;
  dir: string[];
  env: string[];
}

/** `NAME=VALUE` options (--env, --dir) as a record; a UsageError names the malformed one. */
export function pairs(values: string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new UsageError(`${flag} ${v}: expected NAME=VALUE`);
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

/**
 * Refuses, before the program runs (its work would be lost), a snapshot destination that is the
 * module itself (even with --force) or an existing file without --force.
 */
function checkSnapshotDestination(snapshot: string, modulePath: string, force: boolean): void {
  if (samePath(snapshot, modulePath)) {
    throw new UsageError(`the snapshot file ${snapshot} is the module being run: write the snapshot to another file`);
  }
  if (!force && existsSync(snapshot)) {
    throw new UsageError(`refusing to overwrite ${snapshot}: the file exists (pass --force to replace it)`);
  }
}

/** Runs the command; returns the exit code. */
export async function runCommand(modulePath: string, args: string[], options: RunOptions): Promise<number> {
  if (options.cumulative && options.groupBy === 'traceback') {
    throw new UsageError('--cumulative works with --group-by lineno or filename, not traceback (as in tracemalloc)');
  }
  if (options.snapshot !== undefined) checkSnapshotDestination(options.snapshot, modulePath, options.force === true);
  const bytes = readInput(modulePath, 'module');
  // Read up front: a debug file named on the command line that cannot be read is a mistake to fix
  // before the program runs, not a warning after it.
  // The path, not the bytes, goes on: the symbolizer's warnings then name the file.
  const debugFile = options.debugFile;
  if (debugFile !== undefined) readInput(debugFile, 'debug file');
  const name = basename(modulePath);
  // `run app.wasm -- a b`: the `--` only ends our options; the program gets `a b`.
  const programArgs = args[0] === '--' ? args.slice(1) : args;
  // Loaded here, not at the top: node:wasi warns when loaded, and main.ts silences that first.
  const { runWasi } = await import('../host/wasiRunner.js');
  const instrument = instrumentOptionsOf(options);
  if (isInstrumented(bytes)) {
    throw new UsageError(`${modulePath} is already instrumented by wasm-tracemalloc: run the original module (run instruments it itself)`);
  }
  let result;
  try {
    result = await runWasi(bytes, {
      args: [name, ...programArgs],
      env: pairs(options.env, '--env'),
      preopens: pairs(options.dir, '--dir'),
      nframe: options.nframe,
      moduleName: name,
      modulePath: resolve(modulePath),
      root: options.root ?? process.cwd(),
      ...(debugFile !== undefined ? { debugFile } : {}),
      instrument,
    });
  } catch (e) {
    throw moduleError(e, modulePath);
  }
  if (result.trap !== null) process.stderr.write(`wasm-tracemalloc: the program trapped: ${result.trap.message}\n`);
  const report = formatTop(result.snapshot, { groupBy: options.groupBy, cumulative: options.cumulative ?? false, limit: options.limit });
  process.stderr.write(`${report}\n`);
  // After the report: the debug info is read while the snapshot's frames are named.
  for (const w of [...(result.traced.report?.warnings ?? []), ...new Set(result.traced.symbolWarnings())]) {
    process.stderr.write(`wasm-tracemalloc: warning: ${w}\n`);
  }
  if (options.snapshot !== undefined) {
    dumpSnapshotSync(result.snapshot, options.snapshot, { force: options.force === true });
    process.stderr.write(`snapshot written to ${options.snapshot}\n`);
  }
  return result.exitCode;
}
