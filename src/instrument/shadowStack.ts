/**
 * Rewrite: a function that can reach the allocator keeps the shadow stack of call sites.
 *
 * Before:                                  After:
 *   (func $f (param $x i32)                  (func $f (param $x i32) (local $d i32)
 *     (call $g (local.get $x))                 (local.set $d (global.get $tm_depth))
 *     (call $h))                               (call $g (block (result i32)
 *                                                (local.set $t (local.get $x))       ;; operands first
 *                                                (i32.store (slot $d) (i32.const 7))  ;; site id 7
 *                                                (global.set $tm_depth (i32.add (local.get $d) (i32.const 4)))
 *                                                (local.get $t)))
 *                                              (block (i32.store (slot $d) (i32.const 8))
 *                                                (global.set $tm_depth (i32.add (local.get $d) (i32.const 4)))
 *                                                (call $h))
 *                                              (global.set $tm_depth (local.get $d)))  ;; every exit
 *
 * The site id is stored after the call's operands are evaluated, since an operand may itself
 * make a call that uses the same slot. `return` and tail calls restore the depth first.
 * Safe because the stores go to the slot block, memory the program never sees (it came from
 * its own allocator, before it ran), and the globals are the instrumenter's own. Exceptions
 * and longjmp skip the restore; the next site call of the catching function stores at its own
 * `$d` again, so the stack heals.
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

/** Decides, for each call of the function in evaluation order, its site id (0: not a site). */
export type SiteAssigner = (call: Ref) => number;

/** Adds shadow-stack code to function `fn`; `assignSite` is called once per call, in order. */
export function addShadowStack(module: binaryen.Module, fn: Ref, results: number, assignSite: SiteAssigner): void {
  const i32 = binaryen.i32;
  const depthLocal = functionAddVar(fn, i32);
  const { temp, after } = keepValue(module, fn);
  const restoreDepth = (): Ref => module.global.set(G_DEPTH, module.local.get(depthLocal, i32));
  const pushSite = (site: number): Ref[] => [
    module.i32.store(0, 4, slotAddress(module, module.local.get(depthLocal, i32)), module.i32.const(site)),
    module.global.set(G_DEPTH, module.i32.add(module.local.get(depthLocal, i32), module.i32.const(4))),
  ];

  /** Runs `stmts` after the call's operands are evaluated and before the call itself. */
  const beforeCall = (call: Ref, id: number, placement: Placement, stmts: Ref[]): void => {
    if (id === CALL) {
      const n = callGetNumOperands(call);
      if (n > 0) {
        const wrapped = after(callGetOperandAt(call, n - 1), stmts);
        if (wrapped !== null) callSetOperandAt(call, n - 1, wrapped);
        return;
      }
      placement.replace(module.block(null, [...stmts, call], getExpressionType(call)));
      return;
    }
    const access = targetAccess[id]!;
    const wrapped = after(access.get(call), stmts);
    if (wrapped !== null) access.set(call, wrapped);
  };

  walkPostOrder(functionGetBody(fn), (b) => void functionSetBody(fn, b), (expr, placement) => {
    const id = getExpressionId(expr);
    if (id === CALL || id === CALL_INDIRECT || id === CALL_REF) {
      const isReturn = id === CALL ? callIsReturn(expr) : id === CALL_INDIRECT ? callIndirectIsReturn(expr) : callRefIsReturn(expr);
      if (isReturn) {
        beforeCall(expr, id, placement, [restoreDepth()]);
        return;
      }
      const site = assignSite(expr);
      if (site !== 0) beforeCall(expr, id, placement, pushSite(site));
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
  const enter = module.local.set(depthLocal, module.global.get(G_DEPTH, i32));
  if (results === binaryen.none) {
    functionSetBody(fn, module.block(null, [enter, body, restoreDepth()], binaryen.none));
  } else {
    const t = temp(results);
    functionSetBody(fn, module.block(null, [enter, module.local.set(t, body), restoreDepth(), module.local.get(t, results)], results));
  }
}
