#!/usr/bin/env node
/**
 * The `wasm-tracemalloc` command line. Each command lives in its own module; this file parses
 * arguments (commander) and turns the errors a user can meet into one clear line and exit
 * code 2, leaving stack traces to real bugs.
 */
import './quietWarnings.js';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { runCommand } from './run.js';
import { instrumentCommand } from './instrumentCommand.js';
import { compareCommand, statsCommand } from './statsCommand.js';
import { exportCommand, reportCommand } from './exportCommand.js';
import { benchCommand } from './benchCommand.js';
import { isUserError, userErrorMessage } from './errors.js';
import { withAllocatorOptions } from './allocatorOptions.js';
import { collect } from './optionValues.js';

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
}

function frameCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 16) {
    throw new InvalidArgumentError(`expected 1 to 16 (the frames compiled into an instrumented module), got "${value}"`);
  }
  return n;
}

function nonNegativeInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`expected an integer ≥ 0, got "${value}"`);
  return n;
}

/** The options every command on snapshot files takes to select traces. */
function withFilters(command: Command): Command {
  return command
    .option('--filter <pattern[:line]>', 'keep only traces whose most recent frame matches (fnmatch pattern, repeatable)', collect, [])
    .option('--exclude <pattern[:line]>', 'drop traces whose most recent frame matches (repeatable)', collect, [])
    .option('--all-frames', 'filters match any frame of a traceback, not only the most recent');
}

/** --group-by, --cumulative, --limit and --json of stats and compare. */
function withReportOptions(command: Command): Command {
  return withFilters(command)
    .addOption(new Option('-g, --group-by <key>', 'group by').choices(['lineno', 'filename', 'traceback']).default('lineno'))
    .option('-c, --cumulative', 'count every frame of a traceback, not only the most recent')
    .option('-l, --limit <n>', 'rows shown, the rest summed on one line (0: all)', nonNegativeInteger, 10)
    .option('--json', 'print JSON for scripts instead of text');
}

const program = new Command('wasm-tracemalloc')
  .description("Python's tracemalloc for WebAssembly: trace every allocation of a .wasm module with its call stack")
  .version('0.1.0')
  .enablePositionalOptions()
  // Usage mistakes get the same one line and exit code 2 as every other user error (the
  // subcommands made below inherit both settings).
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(`wasm-tracemalloc: ${text}`) });

const runCommandLine = program
  .command('run')
  .description('instrument a WASI program, run it with tracing on, and print the top allocation sites at exit')
  .argument('<module>', 'the .wasm file (a WASI command)')
  .argument('[args...]', "the program's arguments (put them after --)")
  .option('-n, --nframe <n>', 'frames stored per traceback, 1-16 (default: $WASM_TRACEMALLOC, else 1)', frameCount)
  .option('-s, --snapshot <file>', 'also write the snapshot taken at exit to this file')
  .option('-f, --force', 'overwrite the snapshot file if it exists')
  .option('-l, --limit <n>', 'lines in the report', positiveInteger, 10)
  .addOption(new Option('-g, --group-by <key>', 'group the report by').choices(['lineno', 'filename', 'traceback']).default('lineno'))
  .option('-c, --cumulative', 'count every frame of a traceback, not only the most recent')
  .option('--root <dir>', 'show source files relative to this directory')
  .option('--debug-file <file.wasm>', 'the separate DWARF of a -gseparate-dwarf build (default: the file the module names, beside it)')
  .option('--dir <guest=host>', 'preopen a host directory for the program (repeatable)', collect, [])
  .option('--env <name=value>', 'set an environment variable for the program (repeatable)', collect, []);
withAllocatorOptions(runCommandLine)
  .passThroughOptions()
  .action(async (module: string, args: string[], options) => {
    process.exitCode = await runCommand(module, args, options);
  });

const instrumentCommandLine = program
  .command('instrument')
  .description('write a traced copy of a module, for loading with instantiate() or in a browser')
  .argument('<module>', 'the .wasm file to instrument')
  .requiredOption('-o, --output <file>', 'where to write the instrumented module')
  .option('-f, --force', 'overwrite the output file if it exists')
  .option('--explain', 'print which allocator functions were found and why, and what was instrumented');
withAllocatorOptions(instrumentCommandLine)
  .option('--self-contained', 'merge the trace table into the module: no extra imports, one memory, the tracer API exported as __tracemalloc_*')
  .action(async (module: string, options) => {
    process.exitCode = await instrumentCommand(module, options);
  });

withReportOptions(
  program
    .command('stats')
    .description('print the top allocation sites of a snapshot file (tracemalloc\'s "top N" recipe)')
    .argument('<snapshot>', 'a snapshot file (written by `run --snapshot`)'),
).action((snapshot: string, options) => {
  process.exitCode = statsCommand(snapshot, options);
});

withReportOptions(
  program
    .command('compare')
    .description('print what changed between two snapshot files, biggest change first')
    .argument('<old>', 'the earlier snapshot file')
    .argument('<new>', 'the later snapshot file')
    .option('--allow-different-modules', 'compare snapshots of different modules (their hashes differ)'),
).action((oldPath: string, newPath: string, options) => {
  process.exitCode = compareCommand(oldPath, newPath, options);
});

program
  .command('bench')
  .description("run WASI builds under an allocator probe and compare their allocators: counts, sizes, peak live bytes vs memory, who grew it, lifetimes, time")
  .argument('<modules...>', 'one or more .wasm files (WASI commands), then -- and the arguments every one of them gets')
  .option('-n, --nframe <n>', 'frames kept per "who grew the memory" stack, 1-16', frameCount, 4)
  .option('-l, --limit <n>', 'rows in the growth and temporary-site lists', positiveInteger, 5)
  .option('--json <file>', 'also write the reports as JSON (- for stdout)')
  .option('--root <dir>', 'show source files relative to this directory')
  .option('--dir <guest=host>', 'preopen a host directory for the programs (repeatable)', collect, [])
  .option('--env <name=value>', 'set an environment variable for the programs (repeatable)', collect, [])
  .passThroughOptions()
  .action(async (modules: string[], options) => {
    process.exitCode = await benchCommand(modules, options);
  });

withFilters(
  program
    .command('export')
    .description('write a snapshot as a pprof profile, folded stacks (flame-graph tools) or a self-contained HTML report')
    .argument('<snapshot>', 'a snapshot file')
    .addOption(new Option('-F, --format <format>', 'output format').choices(['pprof', 'folded', 'html']).makeOptionMandatory())
    .requiredOption('-o, --output <file>', 'where to write it (- for stdout)')
    .option('-f, --force', 'overwrite the output file if it exists')
    .addOption(new Option('--value <what>', 'folded: the number on each stack').choices(['bytes', 'blocks']).default('bytes')),
).action((snapshot: string, options) => {
  process.exitCode = exportCommand(snapshot, options);
});

withFilters(
  program
    .command('report')
    .description('write a self-contained HTML report (flame graph, top sites) of a snapshot, or of the change between two')
    .argument('<snapshot>', 'a snapshot file, or the old one when two are given')
    .argument('[new]', 'the new snapshot file: the report shows the change from the first')
    .requiredOption('-o, --output <file>', 'where to write the HTML (- for stdout)')
    .option('-f, --force', 'overwrite the output file if it exists')
    .option('--title <text>', 'title of the page')
    .option('--allow-different-modules', 'compare snapshots of different modules (their hashes differ)'),
).action((first: string, second: string | undefined, options) => {
  process.exitCode = reportCommand(first, second, options);
});

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // commander has printed its message (prefixed, see configureOutput); --help and --version exit 0.
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  } else {
    if (!isUserError(e)) throw e;
    process.stderr.write(`wasm-tracemalloc: error: ${userErrorMessage(e)}\n`);
    process.exitCode = 2;
  }
}
