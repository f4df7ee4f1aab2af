/**
 * Rewrite: an allocator function becomes a wrapper that reports to the trace table.
 *
 * The original body moves to a new function `<name>$tm_orig`; the function keeps its name,
 * index, exports and table entries, and gets the wrapper body. An imported allocator is
 * re-imported under `<name>$tm_orig` and a wrapper is defined under its old name. So every
 * caller — direct calls, call_indirect through the table, JS through an export — reaches the
 * wrapper without one call site being touched.
 *
 * Before:                                 After:
 *   (func $malloc (param $n i32)            (func $malloc$tm_orig (param $n i32) (result i32) ...body)
 *     (result i32) ...body)                 (func $malloc (param $n i32) (result i32) (local $r i32)
 *                                             (if (global.get $tm_guard)
 *                                               (then (return (call $malloc$tm_orig (local.get $n)))))
 *                                             (global.set $tm_guard (i32.const 1))
 *                                             (local.set $r (call $malloc$tm_orig (local.get $n)))
 *                                             (global.set $tm_guard (i32.const 0))
 *                                             (if (local.get $r) (then (call $tm_import_alloc
 *                                               (local.get $r) (local.get $n) (total frames) f0..f15)))
 *                                             (local.get $r))
 *
 * Safe because the program sees the same arguments and results; the guard makes an allocator
 * that calls another one (dlmalloc's realloc → malloc, operator new → malloc) report only the
 * outermost call. A trap inside the original leaves the guard set; the trapped instance is
 * not usable afterwards anyway.
 */
import binaryen from 'binaryen';
import type { AllocatorFunction } from './allocators.js';
import { functionAddVar, functionSetBody } from './binaryenRaw.js';
import {
  G_GUARD,
  G_REPORT_FRAMES,
  IMPORT_ALLOC,
  IMPORT_ALLOC1,
  IMPORT_FREE,
  IMPORT_REALLOC,
  IMPORT_REALLOC1,
  frameLoads,
  totalFrames,
} from './shadowStackGlobals.js';

/** Suffix of the function that keeps an allocator's original body (or import). */
export const ORIGINAL_SUFFIX = '$tm_orig';

/** Wraps `allocator` in `module`; returns the internal name of the original. */
export function wrapAllocator(module: binaryen.Module, allocator: AllocatorFunction): string {
  const ref = module.getFunction(allocator.name);
  const info = binaryen.getFunctionInfo(ref);
  const original = allocator.name + ORIGINAL_SUFFIX;
  const params = binaryen.expandType(info.params);
  let wrapperRef: number;
  let resultLocal: number;
  if (allocator.imported) {
    module.removeFunction(allocator.name);
    module.addFunctionImport(original, info.module!, info.base!, info.params, info.results);
    wrapperRef = module.addFunction(allocator.name, info.params, info.results, [binaryen.i32], module.nop());
    resultLocal = params.length;
  } else {
    module.addFunction(original, info.params, info.results, info.vars, info.body);
    wrapperRef = ref;
    resultLocal = functionAddVar(ref, binaryen.i32);
  }
  functionSetBody(wrapperRef, wrapperBody(module, allocator, original, params, info.results, resultLocal));
  return original;
}

function wrapperBody(
  module: binaryen.Module,
  allocator: AllocatorFunction,
  original: string,
  params: number[],
  results: number,
  resultLocal: number,
): number {
  const i32 = binaryen.i32;
  const param = (i: number): number => module.local.get(i, params[i]!);
  const callOriginal = (): number => module.call(original, params.map((_, i) => param(i)), results);
  const guard = (value: number): number => module.global.set(G_GUARD, module.i32.const(value));
  const result = (): number => module.local.get(resultLocal, i32);
  const passThrough = module.if(
    module.global.get(G_GUARD, i32),
    results === binaryen.none ? module.block(null, [callOriginal(), module.return()]) : module.return(callOriginal()),
  );
  // Calls the table only while it traces, with one frame when nframe is 1 (the common case:
  // loading and passing sixteen slots costs more than the call itself).
  const reportFrames = (): number => module.global.get(G_REPORT_FRAMES, i32);
  const report = (importName: string, args: () => number[]): number => {
    const one = importName === IMPORT_ALLOC ? IMPORT_ALLOC1 : IMPORT_REALLOC1;
    return module.if(
      reportFrames(),
      module.if(
        module.i32.eq(reportFrames(), module.i32.const(1)),
        module.call(one, [...args(), totalFrames(module), ...frameLoads(module, 1)], binaryen.none),
        module.call(importName, [...args(), totalFrames(module), ...frameLoads(module)], binaryen.none),
      ),
    );
  };

  switch (allocator.shape) {
    case 'free':
      return module.block(null, [
        passThrough,
        module.if(module.i32.and(module.i32.ne(reportFrames(), module.i32.const(0)), module.i32.ne(param(0), module.i32.const(0))), module.call(IMPORT_FREE, [param(0)], binaryen.none)),
        guard(1),
        callOriginal(),
        guard(0),
      ]);
    case 'realloc':
    case 'rust_realloc': {
      const sizeOf = (): number => (allocator.shape === 'realloc' ? param(1) : param(3));
      return module.block(null, [
        passThrough,
        guard(1),
        module.local.set(resultLocal, callOriginal()),
        guard(0),
        report(IMPORT_REALLOC, () => [param(0), result(), sizeOf()]),
        result(),
      ], i32);
    }
    case 'posix_memalign':
      return module.block(null, [
        passThrough,
        guard(1),
        module.local.set(resultLocal, callOriginal()),
        guard(0),
        module.if(module.i32.eqz(result()), report(IMPORT_ALLOC, () => [module.i32.load(0, 4, param(0)), param(2)])),
        result(),
      ], i32);
    default: {
      const sizeOf = (): number =>
        allocator.shape === 'calloc' ? module.i32.mul(param(0), param(1))
        : allocator.shape === 'aligned_alloc' ? param(1)
        : param(0); // malloc, rust_alloc
      return module.block(null, [
        passThrough,
        guard(1),
        module.local.set(resultLocal, callOriginal()),
        guard(0),
        module.if(result(), report(IMPORT_ALLOC, () => [result(), sizeOf()])),
        result(),
      ], i32);
    }
  }
}
