/**
 * Code put after an expression that keeps the expression's value: the value goes to a scratch
 * local (one per type, added to the function once) and is read back after the statements.
 * The shadow stack (around calls and returns) and the unwinding heal (after `invoke_*` calls)
 * both need it.
 */
import binaryen from 'binaryen';
import { functionAddVar, getExpressionType, type Ref } from './binaryenRaw.js';

/** Scratch locals of function `fn`, and `after`, which runs statements once a value is computed. */
export interface ValueKeeper {
  /** The scratch local of `type` (added on first use). */
  temp(type: number): number;
  /** `value`, then `stmts`, yielding `value`'s result; null when `value` never yields (unreachable). */
  after(value: Ref, stmts: Ref[]): Ref | null;
}

export function keepValue(module: binaryen.Module, fn: Ref): ValueKeeper {
  const temps = new Map<number, number>();
  const temp = (type: number): number => {
    let index = temps.get(type);
    if (index === undefined) {
      index = functionAddVar(fn, type);
      temps.set(type, index);
    }
    return index;
  };
  const after = (value: Ref, stmts: Ref[]): Ref | null => {
    const type = getExpressionType(value);
    if (type === binaryen.unreachable) return null;
    if (type === binaryen.none) return module.block(null, [value, ...stmts], binaryen.none);
    const t = temp(type);
    return module.block(null, [module.local.set(t, value), ...stmts, module.local.get(t, type)], type);
  };
  return { temp, after };
}
