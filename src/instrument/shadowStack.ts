/**
 * Rewrite: a function that can reach the allocator keeps the shadow stack of call sites.
 *
 * The function owns one slot, at the depth it was entered with, for the whole of its run; each
 * call site writes its id there, and nothing else changes between calls:
 *
 * Before:                                  After:
 *   (func $f (param $x i32)                  (func $f (param $x i32) (local $d i32) (local $s i32)
 *     (call $g (local.get $x))                 (local.set $d (global.get $tm_depth))        ;; entry
 *     (call $h))                               (local.set $s (slot address of $d))
 *                                              (global.set $tm_depth (i32.add (local.get $d) (i32.const 4)))
 *                                              (call $g (block (result i32)
 *                                                (local.set $t (local.get $x))              ;; operands first
 *                                                (i32.store (local.get $s) (i32.const 7))   ;; site id 7
 *                                                (local.get $t)))
 *                                              (block (i32.store (local.get $s) (i32.const 8))
 *                                                (call $h))
 *                                              (global.set $tm_depth (local.get $d)))       ;; every exit
 *
 * A push per call, storing the site and setting the depth, cost ~18 instructions a site in
 * tree-sitter (883k a parse, bench/RESULTS.md "Session 11"); one store is what a site needs.
 * The site id is stored after the call's operands are evaluated, since an operand may itself
 * make a call that uses the same slot. `return` and tail calls restore the depth first. Safe
 * because the stores go to the slot block, memory the program never sees (it came from its own
 * allocator, before it ran), and the globals are the instrumenter's own. While the body runs
 * between calls the depth counts the function's own slot, which nothing reads: a report comes
 * from an allocator wrapper, reached only through a site. The exceptions are calls that reach
 * the allocator but are no site (AssemblyScript's runtime plumbing, whose allocations belong to
 * the caller's site): they run at the entry depth, restored around the call. Exceptions and
 * longjmp skip the restores at exits; unwinding.ts sets the depth back to `$d + 4` where the
 * unwind ends (after `invoke_*`, at `catch`), as it does the allocator guard.
 */
import binaryen from 'binaryen';
import { walkPostOrder, type Placement } from './expressionTree.js';
import {
  callGetNumOperands,
  callGetOperandAt,
  callIndirectIsReturn,
  callIsReturn,
  callSetOperandAt,
  expressionId,
  functionAddVar,
  functionGetBody,
  functionSetBody,
  getExpressionId,
  getExpressionType,
  rawFunction,
  returnGetValue,
  returnSetValue,
  type Ref,
} from './binaryenRaw.js';
import { G_DEPTH, slotAddress } from './shadowStackGlobals.js';
import { keepValue } from './keepValue.js';

const CALL = expressionId('Call');
const CALL_INDIRECT = expressionId('CallIndirect');
const CALL_REF = expressionId('CallRef');
const RETURN = expressionId('Return');

const targetAccess = {
  [CALL_INDIRECT]: { get: rawFunction('CallIndirectGetTarget'), set: rawFunction('CallIndirectSetTarget') },
  [CALL_REF]: { get: rawFunction('CallRefGetTarget'), set: rawFunction('CallRefSetTarget') },
};
const callRefIsReturn = rawFunction('CallRefIsReturn');

/** What `assignSite` returns for a call that reaches the allocator but is not a call site. */
export const AT_ENTRY_DEPTH = -1;

/**
 * Decides, for each call of the function in evaluation order, its site id: > 0 a call site, 0
 * a call that cannot reach the allocator, AT_ENTRY_DEPTH one that can but is not a site.
 */
export type SiteAssigner = (call: Ref) => number;

/**
 * Adds shadow-stack code to function `fn`; `assignSite` is called once per call, in order.
 * Returns the local holding the depth at entry (unwinding.ts restores the depth from it).
 */
export function addShadowStack(module: binaryen.Module, fn: Ref, results: number, assignSite: SiteAssigner): number {
  const i32 = binaryen.i32;
  const depthLocal = functionAddVar(fn, i32);
  const slotLocal = functionAddVar(fn, i32);
  const { temp, after } = keepValue(module, fn);
  const restoreDepth = (): Ref => module.global.set(G_DEPTH, module.local.get(depthLocal, i32));
  const storeSite = (site: number): Ref => module.i32.store(0, 4, module.local.get(slotLocal, i32), module.i32.const(site));

  /**
   * Runs `stmts` after the call's operands are evaluated and before the call itself. Returns
   * what stands for the call now: the call, changed in place, or a block around it.
   */
  const beforeCall = (call: Ref, id: number, stmts: Ref[]): Ref => {
    if (id === CALL) {
      const n = callGetNumOperands(call);
      if (n === 0) return module.block(null, [...stmts, call], getExpressionType(call));
      const wrapped = after(callGetOperandAt(call, n - 1), stmts);
      if (wrapped !== null) callSetOperandAt(call, n - 1, wrapped);
      return call;
    }
    const access = targetAccess[id]!;
    const wrapped = after(access.get(call), stmts);
    if (wrapped !== null) access.set(call, wrapped);
    return call;
  };
  const instead = (placement: Placement, expr: Ref, replacement: Ref): void => {
    if (replacement !== expr) placement.replace(replacement);
  };

  walkPostOrder(functionGetBody(fn), (b) => void functionSetBody(fn, b), (expr, placement) => {
    const id = getExpressionId(expr);
    if (id === CALL || id === CALL_INDIRECT || id === CALL_REF) {
      const isReturn = id === CALL ? callIsReturn(expr) : id === CALL_INDIRECT ? callIndirectIsReturn(expr) : callRefIsReturn(expr);
      if (isReturn) {
        instead(placement, expr, beforeCall(expr, id, [restoreDepth()]));
        return;
      }
      const site = assignSite(expr);
      if (site > 0) instead(placement, expr, beforeCall(expr, id, [storeSite(site)]));
      else if (site === AT_ENTRY_DEPTH) {
        const atEntryDepth = beforeCall(expr, id, [restoreDepth()]);
        instead(placement, expr, after(atEntryDepth, [module.global.set(G_DEPTH, ownDepth(module, depthLocal))]) ?? atEntryDepth);
      }
    } else if (id === RETURN) {
      const value = returnGetValue(expr);
      if (value === 0) {
        placement.replace(module.block(null, [restoreDepth(), expr], binaryen.none));
      } else {
        const wrapped = after(value, [restoreDepth()]);
        if (wrapped !== null) returnSetValue(expr, wrapped);
      }
    }
  });

  const body = functionGetBody(fn);
  const enter = [
    module.local.set(depthLocal, module.global.get(G_DEPTH, i32)),
    module.local.set(slotLocal, slotAddress(module, module.local.get(depthLocal, i32))),
    module.global.set(G_DEPTH, ownDepth(module, depthLocal)),
  ];
  if (results === binaryen.none) {
    functionSetBody(fn, module.block(null, [...enter, body, restoreDepth()], binaryen.none));
  } else {
    const t = temp(results);
    functionSetBody(fn, module.block(null, [...enter, module.local.set(t, body), restoreDepth(), module.local.get(t, results)], results));
  }
  return depthLocal;
}

/** `$d + 4`: the depth while the function runs, its own slot included. */
export function ownDepth(module: binaryen.Module, depthLocal: number): Ref {
  return module.i32.add(module.local.get(depthLocal, binaryen.i32), module.i32.const(4));
}
