// The method other Wasm memory tools use, as a comparison point: a JavaScript import called on
// every allocation and free, which captures `new Error().stack` for each live block and keeps it
// in a Map (Emscripten's --memoryprofiler hooks malloc/free in JS and records the stack trace of
// each allocation; the wasm-tracing-allocator crate calls a JS `on_alloc` that does
// `new Error().stack`). Here the hook is fed by our instrumented module's wrapper, with the
// trace table's imports replaced: exact mode, one call per allocation and per free, no shadow
// stack read — the engine's own stack walk does the work.

/** The "tracemalloc" imports that send every event to a JS Error().stack hook. */
export interface JsHook {
  readonly imports: WebAssembly.ModuleImports;
  /** Live blocks and the characters of their stacks now, and at the peak. */
  readonly stats: { liveBlocks: number; stackChars: number; peakStackChars: number; allocations: number };
}

/** A fresh hook: a Map from block address to the stack captured when it was allocated. */
export function jsHook(): JsHook {
  const live = new Map<number, string>();
  const stats = { liveBlocks: 0, stackChars: 0, peakStackChars: 0, allocations: 0 };
  const forget = (ptr: number): void => {
    const stack = live.get(ptr);
    if (stack === undefined) return;
    live.delete(ptr);
    stats.liveBlocks--;
    stats.stackChars -= stack.length;
  };
  const record = (ptr: number): void => {
    forget(ptr);
    const stack = new Error().stack ?? '';
    live.set(ptr, stack);
    stats.allocations++;
    stats.liveBlocks++;
    stats.stackChars += stack.length;
    if (stats.stackChars > stats.peakStackChars) stats.peakStackChars = stats.stackChars;
  };
  const realloc = (old: number, ptr: number, size: number): void => {
    if (ptr === 0) return; // failed: the old block stays
    if (old !== 0) forget(old);
    if (size !== 0 || ptr !== 0) record(ptr);
  };
  return {
    stats,
    imports: {
      // What the instrumented wrapper reads before calling: trace, exactly, one frame slot.
      reportFrames: new WebAssembly.Global({ value: 'i32', mutable: true }, 1),
      sampleCountdown: new WebAssembly.Global({ value: 'f64', mutable: true }, -Infinity),
      freeFilter: new WebAssembly.Global({ value: 'i32', mutable: true }, -1),
      alloc: (ptr: number) => record(ptr),
      alloc1: (ptr: number) => record(ptr),
      realloc: (old: number, ptr: number, size: number) => realloc(old, ptr, size),
      realloc1: (old: number, ptr: number, size: number) => realloc(old, ptr, size),
      free: (ptr: number) => forget(ptr),
    },
  };
}
