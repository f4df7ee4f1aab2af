/**
 * The options that name a module's allocator (`--malloc 123 --free 124`, `--glue app.js`),
 * shared by the commands that instrument (`run`, `instrument`), and the module errors of those
 * commands worded for the command line.
 */
import type { Command } from 'commander';
import { AllocatorNotFoundError, type AllocatorShape, type AllocatorSpec } from '../instrument/allocators.js';
import { InstrumentError } from '../instrument/errors.js';
import type { InstrumentOptions } from '../instrument/instrument.js';
import { UsageError } from './errors.js';
import { collect } from './optionValues.js';
import { readInput } from './readInput.js';

/** The parsed allocator options. */
export interface AllocatorOptions {
  malloc: string[];
  free: string[];
  calloc: string[];
  realloc: string[];
  glue?: string;
}

/** Adds --malloc, --free, --calloc, --realloc and --glue to `command`. */
export function withAllocatorOptions(command: Command): Command {
  return command
    .option('--malloc <fn>', 'the malloc function: name, export name or function index (repeatable)', collect, [])
    .option('--free <fn>', 'the free function (repeatable)', collect, [])
    .option('--calloc <fn>', 'the calloc function (repeatable)', collect, [])
    .option('--realloc <fn>', 'the realloc function (repeatable)', collect, [])
    .option('--glue <file.js>', "an Emscripten build's JS glue: reads the minified export names of _malloc/_free from it");
}

/** A function named on the command line: an original function index (digits only), else a name. */
export function functionRef(value: string): number | string {
  return /^\d+$/.test(value) ? Number(value) : value;
}

/** The instrumenter options the allocator options stand for (the glue file is read here). */
export function instrumentOptionsOf(options: AllocatorOptions): InstrumentOptions {
  const allocators: AllocatorSpec[] = [];
  const shapes: AllocatorShape[] = ['malloc', 'free', 'calloc', 'realloc'];
  for (const shape of shapes) {
    for (const value of options[shape as 'malloc']) {
      allocators.push({ function: functionRef(value), shape });
    }
  }
  const glue = options.glue === undefined ? undefined : { source: new TextDecoder().decode(readInput(options.glue, 'glue file')), name: options.glue };
  return { allocators, ...(glue ? { glue } : {}) };
}

/**
 * A module the instrumenter refused, as one line that names the file. The library's own hint
 * for JavaScript callers (`instrument: { allocators: … }`) is left out: the instrumenter's
 * message already names the command-line options.
 */
export function moduleError(e: unknown, modulePath: string): unknown {
  if (e instanceof AllocatorNotFoundError) {
    const inner = e.cause instanceof AllocatorNotFoundError ? e.cause : e;
    return new UsageError(`${modulePath}: ${inner.message}`);
  }
  if (e instanceof InstrumentError) return new UsageError(`${modulePath}: ${e.message}`);
  return e;
}
