/**
 * Node-only loading of build/tracetable.wasm, kept out of traceTable.ts so that the host runs
 * in browsers too (there, pass the bytes, a Response or a WebAssembly.Module to TraceTable).
 * TraceTable.create() reaches this module through a dynamic import when given no source.
 */
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';

/** Where the compiled table is: build/ at the package root (from src/host/ and from dist/host/). */
export const tableWasmUrl = new URL('../../build/tracetable.wasm', import.meta.url);

let compiled: WebAssembly.Module | undefined;
let compiling: Promise<WebAssembly.Module> | undefined;

/** Reads build/tracetable.wasm, with a hint to build it when it is missing. */
async function readTableWasm(): Promise<Uint8Array<ArrayBuffer>> {
  try {
    return new Uint8Array(await readFile(tableWasmUrl));
  } catch (err) {
    throw new Error(`cannot read the trace table ${tableWasmUrl.pathname}: ${(err as Error).message} (build it with \`npm run build:table\`)`);
  }
}

/** The compiled table module, compiled once per process. */
export function loadTableModule(): Promise<WebAssembly.Module> {
  if (compiled) return Promise.resolve(compiled);
  compiling ??= readTableWasm()
    .then((bytes) => WebAssembly.compile(bytes))
    .then((module) => (compiled = module))
    .catch((err: unknown) => {
      compiling = undefined; // let a later call retry (e.g. after `npm run build:table`)
      throw err;
    });
  return compiling;
}

/** The compiled table module, synchronously (reads and compiles on first use, then cached). */
export function loadTableModuleSync(): WebAssembly.Module {
  if (compiled) return compiled;
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = new Uint8Array(readFileSync(tableWasmUrl));
  } catch (err) {
    throw new Error(`cannot read the trace table ${tableWasmUrl.pathname}: ${(err as Error).message} (build it with \`npm run build:table\`)`);
  }
  compiled = new WebAssembly.Module(bytes);
  return compiled;
}
