#!/usr/bin/env node
/**
 * The `wasm-tracemalloc` command line. Each command lives in its own module; this file parses
 * arguments (commander) and turns the errors a user can meet into one clear line and exit
 * code 2, leaving stack traces to real bugs.
 */
import './quietWarnings.js';
import { Command, InvalidArgumentError, Option } from 'commander';
import { runCommand } from './run.js';
import { instrumentCommand } from './instrumentCommand.js';
import { isUserError } from './errors.js';

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

const program = new Command('wasm-tracemalloc')
  .description("Python's tracemalloc for WebAssembly: trace every allocation of a .wasm module with its call stack")
  .version('0.1.0')
  .enablePositionalOptions();

program
  .command('run')
  .description('instrument a WASI program, run it with tracing on, and print the top allocation sites at exit')
  .argument('<module>', 'the .wasm file (a WASI command)')
  .argument('[args...]', "the program's arguments (put them after --)")
  .option('-n, --nframe <n>', 'frames stored per traceback (1-16)', positiveInteger, 1)
  .option('-s, --snapshot <file>', 'also write the snapshot taken at exit to this file')
  .option('-f, --force', 'overwrite the snapshot file if it exists')
  .option('-l, --limit <n>', 'lines in the report', positiveInteger, 10)
  .addOption(new Option('-g, --group-by <key>', 'group the report by').choices(['lineno', 'filename', 'traceback']).default('lineno'))
  .option('-c, --cumulative', 'count every frame of a traceback, not only the most recent')
  .option('--root <dir>', 'show source files relative to this directory')
  .option('--dir <guest=host>', 'preopen a host directory for the program (repeatable)', collect, [])
  .option('--env <name=value>', 'set an environment variable for the program (repeatable)', collect, [])
  .passThroughOptions()
  .action(async (module: string, args: string[], options) => {
    process.exitCode = await runCommand(module, args, options);
  });

program
  .command('instrument')
  .description('write a traced copy of a module, for loading with instantiate() or in a browser')
  .argument('<module>', 'the .wasm file to instrument')
  .requiredOption('-o, --output <file>', 'where to write the instrumented module')
  .option('-f, --force', 'overwrite the output file if it exists')
  .option('--explain', 'print which allocator functions were found and why, and what was instrumented')
  .option('--malloc <fn>', 'the malloc function: name, export name or function index (repeatable)', collect, [])
  .option('--free <fn>', 'the free function (repeatable)', collect, [])
  .option('--calloc <fn>', 'the calloc function (repeatable)', collect, [])
  .option('--realloc <fn>', 'the realloc function (repeatable)', collect, [])
  .action(async (module: string, options) => {
    process.exitCode = await instrumentCommand(module, options);
  });

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (!isUserError(e)) throw e;
  process.stderr.write(`wasm-tracemalloc: error: ${(e as Error).message}\n`);
  process.exitCode = 2;
}
