/**
 * `wasm-tracemalloc bench a.wasm [b.wasm …] [-- args…]`: runs each WASI build with the same
 * arguments under the allocator probe and prints their allocator reports side by side (two
 * builds of one program with different allocators: `-sMALLOC=dlmalloc` vs `emmalloc`). The
 * programs' own output goes to stdout, the report to stderr (--json also writes it to a file). Exits with
 * the first non-zero exit code of the programs, else 0.
 */
import { writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { AllocatorReport } from '../host/allocatorBench.js';
import { formatAllocatorReports } from '../report/allocatorReport.js';
import { UsageError } from './errors.js';
import { readInput } from './readInput.js';
import { pairs } from './run.js';

/** Parsed options of `bench`. */
export interface BenchCommandOptions {
  nframe?: number;
  limit: number;
  /** Also write the reports as JSON to this file (- for stdout). */
  json?: string;
  root?: string;
  dir: string[];
  env: string[];
}

/** Modules before `--`, the programs' arguments after it. */
export function splitModulesAndArgs(items: string[]): { modules: string[]; args: string[] } {
  const dashes = items.indexOf('--');
  const modules = dashes === -1 ? items : items.slice(0, dashes);
  const args = dashes === -1 ? [] : items.slice(dashes + 1);
  if (modules.length === 0) throw new UsageError('bench needs at least one .wasm module before --');
  return { modules, args };
}

/** Names to show: the file names, or the paths as given when two file names are the same. */
function displayNames(modules: string[]): string[] {
  const names = modules.map((m) => basename(m));
  return new Set(names).size === names.length ? names : modules;
}

/** Runs the command; returns the exit code. */
export async function benchCommand(items: string[], options: BenchCommandOptions): Promise<number> {
  const { modules, args } = splitModulesAndArgs(items);
  const env = pairs(options.env, '--env');
  const preopens = pairs(options.dir, '--dir');
  const inputs = modules.map((m) => readInput(m, 'module'));
  const names = displayNames(modules);
  // Loaded here, not at the top: node:wasi warns when loaded, and main.ts silences that first.
  const { benchWasi } = await import('../host/allocatorBench.js');
  const reports: AllocatorReport[] = [];
  for (let i = 0; i < modules.length; i++) {
    reports.push(
      await benchWasi(inputs[i]!, {
        args: [basename(modules[i]!), ...args],
        env,
        preopens,
        nframe: options.nframe,
        moduleName: names[i]!,
        modulePath: resolve(modules[i]!),
        root: options.root ?? process.cwd(),
      }),
    );
  }
  process.stderr.write(`${formatAllocatorReports(reports, { limit: options.limit })}\n`);
  if (options.json !== undefined) {
    const json = `${JSON.stringify(reports, null, 2)}\n`;
    if (options.json === '-') process.stdout.write(json);
    else writeFileSync(options.json, json);
  }
  return reports.find((r) => r.exitCode !== 0)?.exitCode ?? 0;
}
