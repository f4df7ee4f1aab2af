/**
 * The globals and imports the instrumenter adds to a target, and the expressions that read
 * the shadow stack. Names and layout are the contract of docs/abi.md §1–2.
 */
import binaryen from 'binaryen';

import { MAX_FRAMES } from './abi.js';

export const G_DEPTH = 'tm_depth';
export const G_BASE = 'tm_base';
export const G_MASK = 'tm_mask';
export const G_GUARD = 'tm_guard';

/** Internal names of the trace table's functions, imported from module "tracemalloc". */
export const IMPORT_ALLOC = 'tm_import_alloc';
export const IMPORT_FREE = 'tm_import_free';
export const IMPORT_REALLOC = 'tm_import_realloc';
export const IMPORT_ALLOC1 = 'tm_import_alloc1';
export const IMPORT_REALLOC1 = 'tm_import_realloc1';
/**
 * Optional allocator hooks (docs/abi.md §2, InstrumentOptions.allocatorHooks): called on entry
 * to and exit from every outermost allocator call, for `wasm-tracemalloc bench`.
 */
export const IMPORT_ENTER_ALLOCATOR = 'tm_import_enter_allocator';
export const IMPORT_LEAVE_ALLOCATOR = 'tm_import_leave_allocator';
/** The table's `reportFrames`: nframe while tracing, else 0 (an imported mutable global). */
export const G_REPORT_FRAMES = 'tm_report_frames';
/** The table's `sampleCountdown`: bytes left before the next sample point, −Infinity in exact mode (mutable f64). */
export const G_SAMPLE_COUNTDOWN = 'tm_sample_countdown';
/** The table's `freeFilter`: free(ptr) is reported iff bit freeBucket(ptr) is set (mutable i32). */
export const G_FREE_FILTER = 'tm_free_filter';
/** Multiplier of the free filter's hash: bucket = (ptr × FREE_HASH) >>> 27 (assembly/layout.ts FREEBUCKET). */
export const FREE_HASH = 0x9e3779b1 | 0;
/** Shift that keeps the top 5 bits of the hash: 32 buckets, one bit each of freeFilter. */
export const FREE_BUCKET_SHIFT = 27;


/**
 * Adds the shadow-stack globals and the trace-table imports to `module`; with `allocatorHooks`,
 * also `tracemalloc.enterAllocator` and `tracemalloc.leaveAllocator` (both `() → ()`).
 */
export function addTracerGlobalsAndImports(module: binaryen.Module, allocatorHooks = false): void {
  if (allocatorHooks) {
    module.addFunctionImport(IMPORT_ENTER_ALLOCATOR, 'tracemalloc', 'enterAllocator', binaryen.none, binaryen.none);
    module.addFunctionImport(IMPORT_LEAVE_ALLOCATOR, 'tracemalloc', 'leaveAllocator', binaryen.none, binaryen.none);
  }
  for (const g of [G_DEPTH, G_BASE, G_MASK, G_GUARD]) module.addGlobal(g, binaryen.i32, true, module.i32.const(0));
  const frames = Array.from({ length: MAX_FRAMES }, () => binaryen.i32);
  module.addFunctionImport(IMPORT_ALLOC, 'tracemalloc', 'alloc', binaryen.createType([binaryen.i32, binaryen.i32, binaryen.i32, ...frames]), binaryen.none);
  module.addFunctionImport(IMPORT_FREE, 'tracemalloc', 'free', binaryen.i32, binaryen.none);
  module.addFunctionImport(IMPORT_ALLOC1, 'tracemalloc', 'alloc1', binaryen.createType([binaryen.i32, binaryen.i32, binaryen.i32, binaryen.i32]), binaryen.none);
  module.addFunctionImport(
    IMPORT_REALLOC1,
    'tracemalloc',
    'realloc1',
    binaryen.createType([binaryen.i32, binaryen.i32, binaryen.i32, binaryen.i32, binaryen.i32]),
    binaryen.none,
  );
  module.addGlobalImport(G_REPORT_FRAMES, 'tracemalloc', 'reportFrames', binaryen.i32, true);
  module.addGlobalImport(G_SAMPLE_COUNTDOWN, 'tracemalloc', 'sampleCountdown', binaryen.f64, true);
  module.addGlobalImport(G_FREE_FILTER, 'tracemalloc', 'freeFilter', binaryen.i32, true);
  module.addFunctionImport(
    IMPORT_REALLOC,
    'tracemalloc',
    'realloc',
    binaryen.createType([binaryen.i32, binaryen.i32, binaryen.i32, binaryen.i32, ...frames]),
    binaryen.none,
  );
}

/** Reads one of the shadow-stack globals (G_DEPTH, G_BASE, G_MASK): by default global.get. */
export type StackRead = (global: typeof G_DEPTH | typeof G_BASE | typeof G_MASK) => number;

const globalRead = (module: binaryen.Module): StackRead => (g) => module.global.get(g, binaryen.i32);

/** `$tm_depth >> 2`: the true number of active frames (tracemalloc's total_nframe). */
export function totalFrames(module: binaryen.Module, read: StackRead = globalRead(module)): number {
  return module.i32.shr_u(read(G_DEPTH), module.i32.const(2));
}

/** Address of the slot holding the byte counter `counter` (an expression). */
export function slotAddress(module: binaryen.Module, counter: number, read: StackRead = globalRead(module)): number {
  return module.i32.or(read(G_BASE), module.i32.and(counter, read(G_MASK)));
}

/**
 * The `count` most recent frames, most recent first: slots at depth-4, depth-8, ... `read`
 * gives the globals (the wrapper passes locals holding them: V8 reloads a global at every
 * global.get, three loads a frame otherwise).
 */
export function frameLoads(module: binaryen.Module, count = MAX_FRAMES, read: StackRead = globalRead(module)): number[] {
  const loads: number[] = [];
  for (let i = 1; i <= count; i++) {
    const counter = module.i32.sub(read(G_DEPTH), module.i32.const(4 * i));
    loads.push(module.i32.load(0, 4, slotAddress(module, counter, read)));
  }
  return loads;
}
