/**
 * The engine's own WebAssembly functions, captured when the host is first loaded.
 *
 * The global hook (globalHook.ts) replaces `WebAssembly.instantiate`, `compile`, `Module`, …
 * with versions that instrument what passes through; the host itself must keep calling the
 * originals, or instantiating a traced module would re-enter the hook.
 */

/** The original WebAssembly entry points, untouched by the global hook. */
export const engine = {
  compile: WebAssembly.compile.bind(WebAssembly),
  instantiate: WebAssembly.instantiate.bind(WebAssembly) as {
    (module: WebAssembly.Module, imports?: WebAssembly.Imports): Promise<WebAssembly.Instance>;
    (bytes: BufferSource, imports?: WebAssembly.Imports): Promise<WebAssembly.WebAssemblyInstantiatedSource>;
  },
  Module: WebAssembly.Module,
  Instance: WebAssembly.Instance,
  compileStreaming: typeof WebAssembly.compileStreaming === 'function' ? WebAssembly.compileStreaming.bind(WebAssembly) : undefined,
  instantiateStreaming:
    typeof WebAssembly.instantiateStreaming === 'function' ? WebAssembly.instantiateStreaming.bind(WebAssembly) : undefined,
} as const;
