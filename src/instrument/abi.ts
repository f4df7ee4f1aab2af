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
 * Export returning the shadow stack's state, `$tm_depth | $tm_guard` (the depth is a multiple of
 * 4 and the guard 0 or 1, so one i32 holds both). The host reads it when JS calls an export.
 */
export const STACK_STATE_EXPORT = '__tracemalloc_stack_state';
/**
 * Export setting the state back to a value read by STACK_STATE_EXPORT: the host calls it when a
 * call from JS ended in an exception (a trap, a thrown JS error), which skips the exits of the
 * Wasm frames it unwinds (src/host/trapRecovery.ts).
 */
export const STACK_RESTORE_EXPORT = '__tracemalloc_stack_restore';
/**
 * Prefix of the exports that call an exported allocator without reporting (`__tracemalloc_untraced_malloc`
 * for the export `malloc`): Emscripten side modules allocate through them, Wasm to Wasm, and
 * report with their own call sites (src/host/dynamicLinking.ts).
 */
export const UNTRACED_EXPORT_PREFIX = '__tracemalloc_untraced_';
