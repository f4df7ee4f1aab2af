// Demangling of C++ (Itanium) and Rust (legacy and v0) names with gecko-profiler-demangle, the
// Rust demanglers (cpp_demangle, rustc-demangle) compiled to Wasm that the Firefox profiler uses.
//
// The package is a wasm-bindgen "bundler" build: its index.js does `import * as wasm from
// "./index_bg.wasm"`, which Node cannot import. So we instantiate index_bg.wasm ourselves, with
// index_bg.js (the glue, plain ESM) as its import module, exactly as a bundler would wire it.
//
// Two quirks of demangle_any are guarded here:
//   - it strips one leading underscore from names that are not mangled (`__original_main` →
//     `_original_main`, macOS-style), so only names that look mangled are passed to it, and a
//     result that merely lost a prefix is discarded;
//   - Rust legacy names come back without their `::h<hash>` suffix, as wanted (stable keys);
//   - cpp_demangle prints an empty trailing parameter pack as `f<>(void*, )`; the stray `, ` is
//     removed (`, )` cannot occur in a real signature).

/** A function from a (possibly mangled) symbol to the name a user reads. */
export type Demangler = (name: string) => string;

/** Itanium (`_Z…`, `__Z…` on macOS) and Rust v0 (`_R…`) prefixes; legacy Rust is Itanium-shaped. */
const MANGLED = /^(?:_{1,2}Z|_R[_A-Z0-9])/;

/** True when `name` looks like a mangled C++ or Rust symbol. */
export function looksMangled(name: string): boolean {
  return MANGLED.test(name);
}

/** Wraps a raw demangler with the guards above; never throws. */
export function guardedDemangler(raw: (name: string) => string): Demangler {
  return (name: string): string => {
    if (!looksMangled(name)) return name;
    let out: string;
    try {
      out = raw(name);
    } catch {
      return name;
    }
    if (!out || out === name || out === name.slice(1) || out === name.slice(2)) return name; // only a prefix lost
    return out.replace(/, \)/g, ')');
  };
}

let loading: Promise<Demangler> | undefined;
let loader: () => Promise<Demangler> = loadGecko;

/**
 * Replaces how gecko-profiler-demangle is loaded: the browser build fetches its Wasm from beside
 * the bundle (src/browser/demangle.ts) instead of reading it with node:fs.
 */
export function setDemanglerLoader(load: () => Promise<Demangler>): void {
  loader = load;
  loading = undefined;
}

/**
 * Loads gecko-profiler-demangle once (from node_modules in Node; in a page, as set by
 * setDemanglerLoader). When it cannot be loaded (a missing package or asset), resolves to the
 * identity with `error` set on the result.
 */
export function loadDemangler(): Promise<Demangler & { error?: string }> {
  loading ??= loader().catch((e: unknown) => {
    const identity: Demangler & { error?: string } = (name: string) => name;
    identity.error = `demangler unavailable (${(e as Error).message}); names are shown mangled`;
    return identity;
  });
  return loading;
}

/** The wasm-bindgen glue of gecko-profiler-demangle (index_bg.js). */
export interface WasmBindgenGlue {
  __wbg_set_wasm(exports: WebAssembly.Exports): void;
  demangle_any(name: string): string;
}

/**
 * Wires gecko-profiler-demangle's Wasm to its glue, as a bundler would, and guards the result.
 * `instantiate` makes the instance from the imports (the browser passes the engine's own
 * functions, so that a global hook in place does not take the demangler for a program).
 */
export async function demanglerFrom(glue: WasmBindgenGlue, instantiate: (imports: WebAssembly.Imports) => Promise<WebAssembly.Instance>): Promise<Demangler> {
  const instance = await instantiate({ './index_bg.js': glue as unknown as WebAssembly.ModuleImports });
  glue.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as () => void)();
  return guardedDemangler((name) => glue.demangle_any(name));
}

async function loadGecko(): Promise<Demangler> {
  const { createRequire } = await import('node:module');
  const { readFile } = await import('node:fs/promises');
  const require = createRequire(import.meta.url);
  const wasmPath = require.resolve('gecko-profiler-demangle/index_bg.wasm');
  const gluePath = require.resolve('gecko-profiler-demangle/index_bg.js');
  const { pathToFileURL } = await import('node:url');
  const glue = (await import(pathToFileURL(gluePath).href)) as WasmBindgenGlue;
  const bytes = await readFile(wasmPath);
  return demanglerFrom(glue, async (imports) => (await WebAssembly.instantiate(bytes, imports)).instance);
}
