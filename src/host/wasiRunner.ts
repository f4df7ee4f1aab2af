/**
 * Runs a WASI command module under node:wasi with tracing on from before `_start`.
 *
 * Node's WASI imports run as V8 fast API calls, and a GC inside one crashes the process
 * (nodejs/node#46777, DESIGN.md); turning fast API calls off before any WASI object exists
 * avoids it at no measurable cost end to end.
 */
import v8 from 'node:v8';
import { WASI } from 'node:wasi';
import type { Snapshot } from '../snapshot/index.js';
import { nframeFromEnvironment } from './environment.js';
import { instantiateTraced, type InstantiateOptions, type TracedInstance } from './instantiate.js';

v8.setFlagsFromString('--no-turbo-fast-api-calls');

/** How a WASI guest sees its process: arguments, environment, directories, stdio. */
export interface WasiProcessOptions {
  /** argv[0] and the program's arguments. */
  args?: string[];
  env?: Record<string, string>;
  /** Guest path → host path. */
  preopens?: Record<string, string>;
  /** File descriptors for the guest's stdio (default: this process's). */
  stdin?: number;
  stdout?: number;
  stderr?: number;
}

/** Options of runWasi. */
export interface RunWasiOptions extends WasiProcessOptions {
  /**
   * Frames per traceback (tracemalloc's nframe). Absent: `$WASM_TRACEMALLOC` if it is 1–16,
   * else 1 (a run always traces: the report at exit is what it is for).
   */
  nframe?: number;
  /** Name of the module for reports and snapshots. */
  moduleName?: string;
  /** Source root for relative file names. */
  root?: string;
  /** Path of the original module (finds a separate debug file or source map beside it). */
  modulePath?: string;
  /** The separate DWARF of a split build (see InstantiateOptions.debugFile). */
  debugFile?: Uint8Array | string;
  /** When the module given is already instrumented: its original, or null (see InstantiateOptions). */
  original?: Uint8Array | null;
  /** Instrumenter options (e.g. naming the allocator). */
  instrument?: InstantiateOptions['instrument'];
  /** Cache of instrumented modules (see InstantiateOptions). */
  cache?: InstantiateOptions['cache'];
}

/** What a traced run gives back. */
export interface WasiRunResult {
  exitCode: number;
  /** Snapshot taken when the program exited (or trapped). */
  snapshot: Snapshot;
  traced: TracedInstance;
  /** The trap, if the program trapped instead of exiting. */
  trap: Error | null;
}

/** Instruments `original`, runs it as a WASI command with tracing on, and snapshots at exit. */
export async function runWasi(original: Uint8Array, options: RunWasiOptions = {}): Promise<WasiRunResult> {
  // Read before anything else, so that a bad value fails before the program starts.
  const nframe = options.nframe ?? (nframeFromEnvironment() || 1);
  const wasi = newWasi(options, options.moduleName ?? 'app.wasm');
  const traced = await instantiateTraced(original, wasi.getImportObject() as WebAssembly.Imports, {
    moduleName: options.moduleName,
    root: options.root,
    modulePath: options.modulePath,
    debugFile: options.debugFile,
    nframe,
    original: options.original,
    instrument: options.instrument,
    cache: options.cache,
  });
  const { exitCode, trap } = startWasi(wasi, traced.instance);
  const snapshot = traced.tracemalloc.takeSnapshot();
  return { exitCode, snapshot, traced, trap };
}

/** A preview1 WASI for a command, as `options` say (argv[0] defaults to `name`); returns on exit instead of exiting. */
export function newWasi(options: WasiProcessOptions, name: string): WASI {
  return new WASI({
    version: 'preview1',
    args: options.args ?? [name],
    env: options.env ?? {},
    preopens: options.preopens ?? {},
    returnOnExit: true,
    stdin: options.stdin ?? 0,
    stdout: options.stdout ?? 1,
    stderr: options.stderr ?? 2,
  });
}

/**
 * Runs the command's `_start`: its exit code, or 134 and the trap when it trapped (as a native
 * program killed by abort()). Any other exception is the host's and propagates.
 */
export function startWasi(wasi: WASI, instance: WebAssembly.Instance): { exitCode: number; trap: Error | null } {
  try {
    return { exitCode: wasi.start(instance), trap: null };
  } catch (e) {
    // A stack overflow in Wasm is a RangeError in V8, not a RuntimeError: a trap all the same.
    const stackOverflow = e instanceof RangeError && /call stack size/i.test(e.message);
    if (!(e instanceof WebAssembly.RuntimeError) && !stackOverflow) throw e;
    return { exitCode: 134, trap: e as Error };
  }
}
