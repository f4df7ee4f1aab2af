/**
 * Export names of a self-contained module (`instrument --self-contained`, selfContained.ts),
 * kept apart from the Binaryen code so that the host can use them without loading binaryen.js.
 */

/** Prefix of the trace table's exports in a self-contained module (`__tracemalloc_start`, …). */
export const SELF_CONTAINED_PREFIX = '__tracemalloc_';
/** Export: the byte offset where the table's memory starts now inside the module's one memory. */
export const MEMORY_BASE_EXPORT = `${SELF_CONTAINED_PREFIX}memory_base`;
/** Export: the module's one memory (also under the target's own export name, if it had one). */
export const MEMORY_EXPORT = `${SELF_CONTAINED_PREFIX}memory`;
