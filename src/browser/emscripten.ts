/**
 * Tracing an Emscripten program in the page through its own glue, unchanged: the browser form
 * of host/emscripten.ts. The glue calls `Module.instantiateWasm(imports, successCallback)`;
 * we instrument the .wasm (fetched, or given as bytes), instantiate it beside a trace table and
 * call back.
 *
 *   const tracing = emscriptenInstantiateWasm({ wasm: 'sql-wasm.wasm', glue: 'sql-wasm.js', nframe: 4 });
 *   const SQL = await initSqlJs({ locateFile: (f) => f, instantiateWasm: tracing.instantiateWasm });
 *   openPanel({ traced: await tracing.traced });
 *
 * Release builds export the allocator under minified names (`_malloc = c.Ia`): give the glue
 * (its URL, or its text) and the names are read from it.
 */
import { allocatorsFromGlue } from '../instrument/emscriptenGlue.js';
import { instantiateWasmOnce, runFactoryTraced, type EmscriptenTracing } from '../host/emscriptenFactory.js';
import { TracingSetupError } from '../host/errors.js';
import { resolveNframe, type TracedInstance } from '../host/tracedModule.js';
import { instantiateTraced, type BrowserInstantiateOptions } from './instantiate.js';

/** Where a file is: a URL (relative to the page), or its bytes. */
export type WasmSource = BufferSource | string | URL;

/** The glue: its URL, or `{ source }` with its text. */
export type GlueSource = string | URL | { source: string; name?: string };

export type { EmscriptenTracing };

/** Options of the browser's Emscripten routes. */
export interface BrowserEmscriptenOptions extends BrowserInstantiateOptions {
  /** The program's .wasm (the one the glue would load). */
  wasm: WasmSource;
  /** The glue .js, read for the allocator's export names when the build minified them. */
  glue?: GlueSource | undefined;
}

function fileName(url: string | URL): string {
  const path = new URL(url, globalThis.location?.href).pathname;
  return path.slice(path.lastIndexOf('/') + 1);
}

async function fetchBytes(url: string | URL, what: string): Promise<Uint8Array> {
  const href = new URL(url, globalThis.location?.href).href;
  let response: Response;
  try {
    response = await fetch(href);
  } catch (e) {
    throw new TracingSetupError(`cannot fetch the ${what} ${href}: ${(e as Error).message}`);
  }
  if (!response.ok) throw new TracingSetupError(`cannot fetch the ${what} ${href}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * The instrument options for a glue: its allocator exports, checked here (before any Binaryen
 * work) so that a glue that names none fails at once, with the file named.
 */
export async function glueInstrumentOptions(glue: GlueSource, base: BrowserInstantiateOptions['instrument'] = {}): Promise<NonNullable<BrowserInstantiateOptions['instrument']>> {
  const { source, name } = typeof glue === 'string' || glue instanceof URL
    ? { source: new TextDecoder().decode(await fetchBytes(glue, 'glue file')), name: fileName(glue) }
    : { source: glue.source, name: glue.name ?? 'glue.js' };
  try {
    allocatorsFromGlue(source, name);
  } catch (e) {
    throw new TracingSetupError(`cannot read the allocator's export names from the glue file ${name}: ${(e as Error).message}`);
  }
  return { ...base, glue: { source, name } };
}

/**
 * A `Module.instantiateWasm` that instruments and traces the program. The .wasm and the glue
 * are fetched as soon as this is called, in parallel with the glue's own start-up.
 */
export function emscriptenInstantiateWasm(options: BrowserEmscriptenOptions): EmscriptenTracing {
  resolveNframe(options.nframe);
  const { wasm, glue, ...rest } = options;
  const isUrl = typeof wasm === 'string' || wasm instanceof URL;
  const prepared = Promise.all([
    isUrl ? fetchBytes(wasm, 'module') : Promise.resolve(wasm),
    glue === undefined ? Promise.resolve(options.instrument) : glueInstrumentOptions(glue, options.instrument),
  ]);
  prepared.catch(() => {}); // reported through `traced` once the glue asks
  const instantiateOptions: BrowserInstantiateOptions = {
    ...rest,
    moduleName: options.moduleName ?? (isUrl ? fileName(wasm) : undefined),
    modulePath: options.modulePath ?? (isUrl ? new URL(wasm, globalThis.location?.href).href : undefined),
  };
  return instantiateWasmOnce((imports) =>
    prepared.then(([bytes, instrument]) => instantiateTraced(bytes, imports, { ...instantiateOptions, instrument })),
  );
}

/**
 * Runs an Emscripten module factory (`initSqlJs`, `sqlite3InitModule`, …) with tracing:
 * `instantiateWasm` is added to `moduleArg`, and a failure to trace rejects instead of leaving
 * the glue waiting forever.
 */
export async function withEmscriptenTracing<T, A extends object>(
  factory: (moduleArg: A & { instantiateWasm: EmscriptenTracing['instantiateWasm'] }) => Promise<T>,
  moduleArg: A,
  options: BrowserEmscriptenOptions,
): Promise<{ module: T; traced: TracedInstance }> {
  return runFactoryTraced(factory, moduleArg, emscriptenInstantiateWasm(options));
}
