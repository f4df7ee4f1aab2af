/**
 * Names and sizes shared by the instrumenter and the host (docs/abi.md §1–2). Kept apart from
 * the Binaryen code so that the host can use them without loading binaryen.js.
 */

/** Frames passed by value to the trace table on each allocation (docs/abi.md §2). */
export const MAX_FRAMES = 16;
/** Bytes of the shadow-stack ring: 4096 frames; deeper stacks keep their newest 4096. */
export const SLOT_BLOCK_BYTES = 16 * 1024;

/** Export that takes the shadow-stack block from the program's allocator; call it before anything else. */
export const INIT_EXPORT = '__tracemalloc_init';
/** Export returning the bytes taken for the shadow stack (the tracer's memory, not the program's). */
export const SLOT_BYTES_EXPORT = '__tracemalloc_slot_bytes';
/**
 * Prefix of the exports that call an exported allocator without reporting (`__tracemalloc_untraced_malloc`
 * for the export `malloc`): Emscripten side modules allocate through them, Wasm to Wasm, and
 * report with their own call sites (src/host/dynamicLinking.ts).
 */
export const UNTRACED_EXPORT_PREFIX = '__tracemalloc_untraced_';
