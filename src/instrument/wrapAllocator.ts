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
 *     (result i32) ...body)                 (func $malloc (param $n i32) (result i32) (local $r i32) (local $c f64) (local $f i32)
 *                                             (if (global.get $tm_guard)
 *                                               (then (return (call $malloc$tm_orig (local.get $n)))))
 *                                             (global.set $tm_guard (i32.const 1))
 *                                             (local.set $r (call $malloc$tm_orig (local.get $n)))
 *                                             (global.set $tm_guard (i32.const 0))
 *                                             (if (i32.and (i32.ne (local.get $r) (i32.const 0))
 *                                                          (i32.ne (local.tee $f (global.get $tm_report_frames)) (i32.const 0)))
 *                                               (then (if (f64.gt (local.tee $c (f64.sub
 *                                                           (global.get $tm_sample_countdown)
 *                                                           (f64.convert_i32_u (local.get $n)))) (f64.const 0))
 *                                                 (then (global.set $tm_sample_countdown (local.get $c)))  ;; not sampled
 *                                                 (else (if (i32.eq (local.get $f) (i32.const 1))
 *                                                   (then (call $tm_import_alloc1 (local.get $r) (local.get $n) (total) f0))
 *                                                   (else (call $tm_import_alloc (local.get $r) (local.get $n) (total) f0..f15)))))))
 *                                             (local.get $r))
 *
 *   (func $free (param $p i32) ...body)     (func $free (param $p i32)
 *                                             (if (global.get $tm_guard) (then (call $free$tm_orig ...) (return)))
 *                                             (if (i32.and (global.get $tm_free_filter) (i32.shl (i32.const 1)
 *                                                   (i32.shr_u (i32.mul (local.get $p) (i32.const 0x9e3779b1)) (i32.const 27))))
 *                                               (then (call $tm_import_free (local.get $p))))
 *                                             (global.set $tm_guard (i32.const 1)) (call $free$tm_orig ...)
 *                                             (global.set $tm_guard (i32.const 0)))
 *
 * When the original body only forwards its parameters to another function (wasi-libc's malloc
 * is `dlmalloc(n)`), the wrapper calls that function instead of `$malloc$tm_orig`.
 *
 * The countdown and the free filter are the table's (docs/abi.md §2): in exact mode the
 * countdown is −Infinity and the filter all ones, so every allocation and free calls in; in
 * sampling mode most of them make no call at all.
 *
 * Safe because the program sees the same arguments and results; the guard makes an allocator
 * that calls another one (dlmalloc's realloc → malloc, operator new → malloc) report only the
 * outermost call. A trap inside the original leaves the guard set; the trapped instance is
 * not usable afterwards anyway.
 *
 * With `allocatorHooks` (the bench command), the outermost call is also bracketed by calls to
 * `tracemalloc.enterAllocator()` and `tracemalloc.leaveAllocator()`: `(call $tm_enter)` before
 * `guard = 1` and `(call $tm_leave)` after `guard = 0`, so the host can time the allocator and
 * see which call grew the memory. Nested calls (guard set) are not bracketed.
 */
import binaryen from 'binaryen';
import type { AllocatorFunction } from './allocators.js';
import { functionAddVar, functionSetBody } from './binaryenRaw.js';
import {
  G_GUARD,
  G_REPORT_FRAMES,
  G_SAMPLE_COUNTDOWN,
  G_FREE_FILTER,
  FREE_HASH,
  FREE_BUCKET_SHIFT,
  IMPORT_ALLOC,
  IMPORT_ALLOC1,
  IMPORT_FREE,
  IMPORT_REALLOC,
  IMPORT_REALLOC1,
  IMPORT_ENTER_ALLOCATOR,
  IMPORT_LEAVE_ALLOCATOR,
  G_DEPTH,
  G_BASE,
  G_MASK,
  frameLoads,
  totalFrames,
  type StackRead,
} from './shadowStackGlobals.js';

/** AssemblyScript's OBJECT_OVERHEAD (std/assembly/rt/common.ts): a GC object's payload starts this far into its tlsf block. */
const AS_OBJECT_OVERHEAD = 16;

/** Suffix of the function that keeps an allocator's original body (or import). */
const ORIGINAL_SUFFIX = '$tm_orig';

/** `$tm_guard = value`. */
function setGuard(module: binaryen.Module, value: number): number {
  return module.global.set(G_GUARD, module.i32.const(value));
}

/**
 * `if ($tm_guard) return call();`: an allocator called from inside another one goes straight to
 * the original, unreported (the outermost call reports).
 */
function passThrough(module: binaryen.Module, call: () => number, results: number): number {
  return module.if(
    module.global.get(G_GUARD, binaryen.i32),
    results === binaryen.none ? module.block(null, [call(), module.return()]) : module.return(call()),
  );
}

/**
 * Adds `<name>$tm_untraced`: the allocator as the wrapper runs it, but reporting nothing (the
 * guard set around the original, so that allocator calls nested inside it do not report either).
 * Returns its name. `original` is what wrapAllocator returned.
 */
export function addUntracedEntry(module: binaryen.Module, allocator: AllocatorFunction, original: string): string {
  const info = binaryen.getFunctionInfo(module.getFunction(allocator.name));
  const params = binaryen.expandType(info.params);
  const callOriginal = (): number => module.call(original, params.map((t, i) => module.local.get(i, t)), info.results);
  const name = allocator.name + '$tm_untraced';
  const pass = passThrough(module, callOriginal, info.results);
  if (info.results === binaryen.none) {
    module.addFunction(name, info.params, info.results, [], module.block(null, [pass, setGuard(module, 1), callOriginal(), setGuard(module, 0)]));
  } else {
    const result = params.length;
    module.addFunction(name, info.params, info.results, [info.results], module.block(null, [
      pass,
      setGuard(module, 1),
      module.local.set(result, callOriginal()),
      setGuard(module, 0),
      module.local.get(result, info.results),
    ], info.results));
  }
  return name;
}

/**
 * Wraps `allocator` in `module`; returns the internal name of the original. `allocatorHooks`:
 * bracket the outermost call with the enter/leave imports (added by addTracerGlobalsAndImports).
 */
export function wrapAllocator(module: binaryen.Module, allocator: AllocatorFunction, allocatorHooks = false): string {
  const ref = module.getFunction(allocator.name);
  const info = binaryen.getFunctionInfo(ref);
  const original = allocator.name + ORIGINAL_SUFFIX;
  const params = binaryen.expandType(info.params);
  let wrapperRef: number;
  if (allocator.imported) {
    module.removeFunction(allocator.name);
    module.addFunctionImport(original, info.module!, info.base!, info.params, info.results);
    wrapperRef = module.addFunction(allocator.name, info.params, info.results, [], module.nop());
  } else {
    module.addFunction(original, info.params, info.results, info.vars, info.body);
    wrapperRef = ref;
  }
  const add = (type: number): number => functionAddVar(wrapperRef, type);
  const locals: WrapperLocals = {
    result: add(binaryen.i32), countdown: add(binaryen.f64), frames: add(binaryen.i32),
    depth: add(binaryen.i32), base: add(binaryen.i32), mask: add(binaryen.i32),
  };
  // A forwarder (wasi-libc's malloc is `return dlmalloc(n)`) is skipped: the wrapper calls its
  // target directly, one call level fewer on every allocation (V8 does not inline Wasm calls).
  const callee = allocator.imported ? original : forwardTarget(module, info.body, params, info.results) ?? original;
  functionSetBody(wrapperRef, wrapperBody(module, allocator, callee, params, info.results, locals, allocatorHooks));
  return original;
}

/**
 * The function that `body` only forwards its parameters to, in order, with the same result
 * (`call $f (local.get 0) … (local.get n-1)`, maybe under `return`); null for any other body.
 */
function forwardTarget(module: binaryen.Module, body: number, params: number[], results: number): string | null {
  // Ids first: binaryen.js's getExpressionInfo throws on `nop` and `unreachable` (a no-op free's whole body).
  if (binaryen.getExpressionId(body) === binaryen.ReturnId) {
    const value = (binaryen.getExpressionInfo(body) as binaryen.ReturnInfo).value;
    if (value === 0) return null;
    body = value;
  }
  if (binaryen.getExpressionId(body) !== binaryen.CallId) return null;
  const call = binaryen.getExpressionInfo(body) as binaryen.CallInfo;
  if (call.isReturn || call.type !== results || call.operands.length !== params.length) return null;
  const forwardsParams = call.operands.every((operand, i) => {
    if (binaryen.getExpressionId(operand) !== binaryen.LocalGetId) return false;
    const o = binaryen.getExpressionInfo(operand) as binaryen.LocalGetInfo;
    return o.index === i && o.type === params[i];
  });
  if (!forwardsParams) return null;
  const target = binaryen.getFunctionInfo(module.getFunction(call.target));
  return target.results === results && binaryen.expandType(target.params).every((t, i) => t === params[i]) ? call.target : null;
}

/**
 * The wrapper's own locals: the original's result, the sampling countdown, reportFrames as read
 * once, and the shadow-stack globals copied for loading sixteen frames.
 */
interface WrapperLocals {
  result: number;
  countdown: number;
  frames: number;
  depth: number;
  base: number;
  mask: number;
}

function wrapperBody(
  module: binaryen.Module,
  allocator: AllocatorFunction,
  callee: string,
  params: number[],
  results: number,
  locals: WrapperLocals,
  allocatorHooks: boolean,
): number {
  const { result: resultLocal, countdown: countdownLocal } = locals;
  const i32 = binaryen.i32;
  const param = (i: number): number => module.local.get(i, params[i]!);
  const callOriginal = (): number => module.call(callee, params.map((_, i) => param(i)), results);
  // guard(1) opens and guard(0) closes the outermost call: the hooks, if any, sit just outside.
  const guard = (value: number): number => {
    if (!allocatorHooks) return setGuard(module, value);
    return value === 1
      ? module.block(null, [module.call(IMPORT_ENTER_ALLOCATOR, [], binaryen.none), setGuard(module, 1)])
      : module.block(null, [setGuard(module, 0), module.call(IMPORT_LEAVE_ALLOCATOR, [], binaryen.none)]);
  };
  const result = (): number => module.local.get(resultLocal, i32);
  const pass = passThrough(module, callOriginal, results);
  // Calls the table only while it traces, with one frame when nframe is 1 (the common case:
  // loading and passing sixteen slots costs more than the call itself). The imported global is
  // read once into a local (readFrames), then the local is tested: a read of an imported
  // mutable global goes through an indirection in V8.
  const readFrames = (): number => module.local.tee(locals.frames, module.global.get(G_REPORT_FRAMES, i32), i32);
  const reportFrames = (): number => module.local.get(locals.frames, i32);
  // The call itself, once reportFrames is known to be non-zero.
  const stackLocal = { [G_DEPTH]: locals.depth, [G_BASE]: locals.base, [G_MASK]: locals.mask };
  const fromLocals: StackRead = (g) => module.local.get(stackLocal[g], i32);
  const copyStack = (): number[] => ([G_DEPTH, G_BASE, G_MASK] as const).map((g) => module.local.set(stackLocal[g], module.global.get(g, i32)));
  const call = (importName: string, args: () => number[]): number => {
    const one = importName === IMPORT_ALLOC ? IMPORT_ALLOC1 : IMPORT_REALLOC1;
    return module.if(
      module.i32.eq(reportFrames(), module.i32.const(1)),
      module.call(one, [...args(), totalFrames(module), ...frameLoads(module, 1)], binaryen.none),
      module.block(null, [
        ...copyStack(),
        module.call(importName, [...args(), totalFrames(module, fromLocals), ...frameLoads(module, undefined, fromLocals)], binaryen.none),
      ]),
    );
  };
  const report = (importName: string, args: () => number[]): number => module.if(readFrames(), call(importName, args));
  // An allocation of `size` bytes: decrements the table's sampling countdown, and calls in only
  // when it reaches 0 (always in exact mode, where it is -Infinity). The table then runs the same
  // test again on the countdown left untouched, so it decides the same way (assembly/sampler.ts).
  const countdown = (): number => module.global.get(G_SAMPLE_COUNTDOWN, binaryen.f64);
  const reportSampled = (size: () => number, args: () => number[]): number =>
    module.if(
      module.f64.gt(
        module.local.tee(countdownLocal, module.f64.sub(countdown(), module.f64.convert_u.i32(size())), binaryen.f64),
        module.f64.const(0),
      ),
      module.global.set(G_SAMPLE_COUNTDOWN, module.local.get(countdownLocal, binaryen.f64)),
      call(IMPORT_ALLOC, args),
    );
  // free(ptr) is reported iff bit (ptr * FREE_HASH) >>> 27 of the table's freeFilter is set.
  const freeBit = (ptr: () => number = () => param(0)): number =>
    module.i32.shl(
      module.i32.const(1),
      module.i32.shr_u(module.i32.mul(ptr(), module.i32.const(FREE_HASH)), module.i32.const(FREE_BUCKET_SHIFT)),
    );
  const reportFree = (ptr: () => number): number =>
    module.if(module.i32.and(module.global.get(G_FREE_FILTER, i32), freeBit(ptr)), module.call(IMPORT_FREE, [ptr()], binaryen.none));

  switch (allocator.shape) {
    case 'free':
      return module.block(null, [
        pass,
        module.if(module.i32.and(module.global.get(G_FREE_FILTER, i32), freeBit()), module.call(IMPORT_FREE, [param(0)], binaryen.none)),
        guard(1),
        callOriginal(),
        guard(0),
      ]);
    case 'as_free': {
      // AssemblyScript's tlsf __free(block): a GC object was reported at block + 16 (its payload,
      // what __new returned; rt/common.ts: OBJECT_OVERHEAD after the block's BLOCK_OVERHEAD), a
      // raw __alloc block at the block itself. Both are reported; at most one is traced (block + 16
      // lies inside the block, where no other block starts). Reported even inside another allocator
      // call: __new runs incremental GC steps that free other objects.
      const objectPointer = (): number => module.i32.add(param(0), module.i32.const(AS_OBJECT_OVERHEAD));
      return module.block(null, [
        reportFree(objectPointer),
        reportFree(() => param(0)),
        pass,
        guard(1),
        callOriginal(),
        guard(0),
      ]);
    }
    case 'realloc':
    case 'rust_realloc': {
      const sizeOf = (): number => (allocator.shape === 'realloc' ? param(1) : param(3));
      return module.block(null, [
        pass,
        guard(1),
        module.local.set(resultLocal, callOriginal()),
        guard(0),
        report(IMPORT_REALLOC, () => [param(0), result(), sizeOf()]),
        result(),
      ], i32);
    }
    case 'posix_memalign':
      return module.block(null, [
        pass,
        guard(1),
        module.local.set(resultLocal, callOriginal()),
        guard(0),
        module.if(
          module.i32.and(module.i32.eqz(result()), module.i32.ne(readFrames(), module.i32.const(0))),
          reportSampled(() => param(2), () => [module.i32.load(0, 4, param(0)), param(2)]),
        ),
        result(),
      ], i32);
    default: {
      const sizeOf = (): number =>
        allocator.shape === 'calloc' ? module.i32.mul(param(0), param(1))
        : allocator.shape === 'aligned_alloc' ? param(1)
        : param(0); // malloc, rust_alloc
      return module.block(null, [
        pass,
        guard(1),
        module.local.set(resultLocal, callOriginal()),
        guard(0),
        module.if(
          module.i32.and(module.i32.ne(result(), module.i32.const(0)), module.i32.ne(readFrames(), module.i32.const(0))),
          reportSampled(sizeOf, () => [result(), sizeOf()]),
        ),
        result(),
      ], i32);
    }
  }
}
