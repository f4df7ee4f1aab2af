// The wasm-bindgen glue of gecko-profiler-demangle (plain ESM, no types of its own), bundled by
// the browser build (src/browser/demangle.ts).
declare module 'gecko-profiler-demangle/index_bg.js' {
  export function __wbg_set_wasm(exports: WebAssembly.Exports): void;
  export function demangle_any(name: string): string;
}
