/**
 * Tracing an Emscripten program through its own glue, unchanged.
 *
 * Emscripten's glue lets the page instantiate the module itself: if `Module.instantiateWasm`
 * is set, the glue calls it with the imports it built (`env`, `wasi_snapshot_preview1`) and a
 * callback, and waits for `successCallback(instance, module)` before running anything
 * (constructors, `main`, `onRuntimeInitialized`). That is exactly the hook a tracer needs:
 * instrument the .wasm, instantiate it with the glue's imports plus the trace table's, run
 * `__tracemalloc_init`, then hand the instance back. The glue never knows.
 *
 *   const tracing = emscriptenInstantiateWasm({ wasm: 'app.wasm', nframe: 4 });
 *   const app = await createModule({ instantiateWasm: tracing.instantiateWasm });
 *   const { tracemalloc } = await tracing.traced;
 *
 * Release builds export the allocator under minified names (`_malloc = Module["asm"]["f"]`):
 * give the glue file (`glue`) and the names are read from it.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allocatorsFromGlue } from '../instrument/emscriptenGlue.js';
import { instantiateWasmOnce, runFactoryTraced, type EmscriptenTracing } from './emscriptenFactory.js';
import { TracingSetupError } from './errors.js';
import { bufferBytes, instantiateTraced, resolveNframe, type InstantiateOptions, type TracedInstance } from './instantiate.js';

/** Where the .wasm is: its bytes, a file path, or a `file:` URL. */
export type WasmFile = BufferSource | string | URL;

/** Options of the Emscripten routes. */
export interface EmscriptenTraceOptions extends InstantiateOptions {
  /** The program's .wasm (the one the glue would load). */
  wasm: WasmFile;
  /**
   * The glue .js (path, `file:` URL), read for the allocator's export names when the build
   * minified them. Not needed when the module exports `malloc`/`free` by name.
   */
  glue?: string | URL | undefined;
}

export type { EmscriptenTracing };

function readWasm(wasm: WasmFile): Uint8Array {
  if (typeof wasm === 'string' || wasm instanceof URL) return new Uint8Array(readFileSync(wasm instanceof URL ? fileURLToPath(wasm) : wasm));
  return bufferBytes(wasm);
}

/**
 * The instrument options for a glue file: its allocator exports, checked here (before any
 * Binaryen work) so that a glue that names none fails at once with the file named.
 */
export function glueInstrumentOptions(glue: string | URL, base: InstantiateOptions['instrument'] = {}): NonNullable<InstantiateOptions['instrument']> {
  const path = glue instanceof URL ? fileURLToPath(glue) : glue;
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch (e) {
    throw new TracingSetupError(`cannot read the glue file ${path}: ${(e as Error).message}`);
  }
  const name = basename(path);
  try {
    allocatorsFromGlue(source, name);
  } catch (e) {
    throw new TracingSetupError(`cannot read the allocator's export names from the glue file ${path}: ${(e as Error).message}`);
  }
  return { ...base, glue: { source, name } };
}

/** How the traced instance is made from the glue's imports (dynamicLinking.ts gives its own). */
export type TracedInstantiator = (bytes: Uint8Array, imports: WebAssembly.Imports, options: InstantiateOptions) => Promise<TracedInstance>;

/**
 * A `Module.instantiateWasm` that instruments and traces the program. Options are checked now
 * (a bad `$WASM_TRACEMALLOC` or glue file throws here, not inside the glue).
 */
export function emscriptenInstantiateWasm(options: EmscriptenTraceOptions, instantiate: TracedInstantiator = instantiateTraced): EmscriptenTracing {
  resolveNframe(options.nframe);
  const bytes = readWasm(options.wasm);
  const { wasm, glue, ...rest } = options;
  const instantiateOptions: InstantiateOptions = {
    ...rest,
    moduleName: options.moduleName ?? (typeof wasm === 'string' ? basename(wasm) : wasm instanceof URL ? basename(fileURLToPath(wasm)) : undefined),
    modulePath: options.modulePath ?? (typeof wasm === 'string' ? wasm : wasm instanceof URL ? fileURLToPath(wasm) : undefined),
    instrument: glue === undefined ? options.instrument : glueInstrumentOptions(glue, options.instrument),
  };
  return instantiateWasmOnce((imports) => instantiate(bytes, imports, instantiateOptions));
}

/**
 * Runs an Emscripten module factory (`createModule`, `sqlite3InitModule`, …) with tracing:
 * `instantiateWasm` is added to `moduleArg`, and a failure to trace rejects instead of leaving
 * the glue waiting forever.
 */
export async function withEmscriptenTracing<T, A extends object>(
  factory: (moduleArg: A & { instantiateWasm: EmscriptenTracing['instantiateWasm'] }) => Promise<T>,
  moduleArg: A,
  options: EmscriptenTraceOptions,
): Promise<{ module: T; traced: TracedInstance }> {
  return runFactoryTraced(factory, moduleArg, emscriptenInstantiateWasm(options));
}
