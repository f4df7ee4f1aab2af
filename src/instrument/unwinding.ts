/**
 * Rewrite: non-local exits (C++ exceptions, longjmp) leave the allocator's guard as it was
 * before the unwound frames.
 *
 * The allocator wrapper sets `$tm_guard` for the duration of the outermost allocator call
 * (wrapAllocator.ts). An exception thrown from inside an allocator — `operator new` throwing
 * `std::bad_alloc`, a `new_handler` that throws, a longjmp out of a hook — skips the reset, and
 * every later allocation would then pass through untraced. Two places see such an unwind end:
 *
 * - Emscripten's JS-based exceptions and setjmp/longjmp: the call that may throw goes through an
 *   `env.invoke_*` import, whose JS `try/catch` catches the unwind and *returns normally*:
 *
 *     (call $invoke_vi (...))         →   (block (call $invoke_vi (...))
 *                                            (global.set $tm_guard (local.get $guard_at_entry)))
 *
 * - Wasm exception handling: the start of every `catch`/`catch_all` body of a `try`:
 *
 *     (try (do ...) (catch $e ...))   →   (try (do ...) (catch $e
 *                                            (global.set $tm_guard (local.get $guard_at_entry)) ...))
 *
 * `$guard_at_entry` is the guard when the function was entered. Safe because between two calls
 * of a function body the guard always has that value: an allocator call that returns normally
 * leaves it as it found it, so restoring it after a normal return changes nothing.
 *
 * The shadow stack's depth needs no such care: the next site call of the catching function
 * stores its site at its own `$d` and sets the depth from there (shadowStack.ts).
 */
import binaryen from 'binaryen';
import { walkPostOrder } from './expressionTree.js';
import {
  callTargetName,
  expressionId,
  functionAddVar,
  functionGetBody,
  functionSetBody,
  getExpressionId,
  getExpressionType,
  rawFunction,
  type Ref,
} from './binaryenRaw.js';
import { G_GUARD } from './shadowStackGlobals.js';
import { keepValue } from './keepValue.js';

const CALL = expressionId('Call');
const TRY = expressionId('Try');
const tryGetNumCatchBodies = rawFunction('TryGetNumCatchBodies');
const tryGetCatchBodyAt = rawFunction('TryGetCatchBodyAt');
const trySetCatchBodyAt = rawFunction('TrySetCatchBodyAt');

/**
 * Whether an import catches unwinds and returns: Emscripten's `invoke_<sig>` trampolines
 * (exceptions and setjmp/longjmp through JS).
 */
export function isCatchingImport(module: string, base: string): boolean {
  return module === 'env' && base.startsWith('invoke_');
}

/**
 * Restores the guard after every call to one of `catchingImports` and at the start of every
 * catch body in `fn`. Returns the number of places healed (0: the function is unchanged).
 */
export function healGuardAfterUnwinds(module: binaryen.Module, fn: Ref, catchingImports: ReadonlySet<string>): number {
  const i32 = binaryen.i32;
  let entryLocal = -1;
  const restore = (): Ref => {
    if (entryLocal < 0) entryLocal = functionAddVar(fn, i32);
    return module.global.set(G_GUARD, module.local.get(entryLocal, i32));
  };
  const { after } = keepValue(module, fn);
  let healed = 0;
  walkPostOrder(functionGetBody(fn), (b) => void functionSetBody(fn, b), (expr, placement) => {
    const id = getExpressionId(expr);
    if (id === CALL && catchingImports.has(callTargetName(expr))) {
      const healedCall = after(expr, [restore()]);
      if (healedCall === null) return;
      healed++;
      placement.replace(healedCall);
    } else if (id === TRY) {
      const n = tryGetNumCatchBodies(expr) as number;
      for (let i = 0; i < n; i++) {
        const body = tryGetCatchBodyAt(expr, i) as Ref;
        // A catch body may start with `pop` (the caught values): the restore goes after it.
        trySetCatchBodyAt(expr, i, prependAfterPop(module, body, restore()));
        healed++;
      }
    }
  });
  if (entryLocal >= 0) {
    const enter = module.local.set(entryLocal, module.global.get(G_GUARD, i32));
    functionSetBody(fn, module.block(null, [enter, functionGetBody(fn)], binaryen.auto));
  }
  return healed;
}

const BLOCK = expressionId('Block');
const POP = expressionId('Pop');
const blockGetNumChildren = rawFunction('BlockGetNumChildren');
const blockGetChildAt = rawFunction('BlockGetChildAt');
const blockInsertChildAt = rawFunction('BlockInsertChildAt');

/**
 * `stmt` placed at the start of a catch body, after its `pop` if it has one (Binaryen requires
 * the pop to come first in the catch).
 */
function prependAfterPop(module: binaryen.Module, body: Ref, stmt: Ref): Ref {
  if (getExpressionId(body) === BLOCK && (blockGetNumChildren(body) as number) > 0) {
    const first = blockGetChildAt(body, 0) as Ref;
    if (containsPopFirst(first)) {
      blockInsertChildAt(body, 1, stmt);
      return body;
    }
    blockInsertChildAt(body, 0, stmt);
    return body;
  }
  if (containsPopFirst(body)) {
    // A lone `(local.set $x (pop i32))` or similar: the restore follows it.
    const type = getExpressionType(body);
    return type === binaryen.none ? module.block(null, [body, stmt], binaryen.none) : body;
  }
  return module.block(null, [stmt, body], binaryen.auto);
}

const LOCAL_SET = expressionId('LocalSet');
const DROP = expressionId('Drop');
const localSetGetValue = rawFunction('LocalSetGetValue');
const dropGetValue = rawFunction('DropGetValue');

/** Whether `expr` is a pop or a statement whose first evaluated child is one. */
function containsPopFirst(expr: Ref): boolean {
  const id = getExpressionId(expr);
  if (id === POP) return true;
  if (id === LOCAL_SET) return getExpressionId(localSetGetValue(expr) as Ref) === POP;
  if (id === DROP) return getExpressionId(dropGetValue(expr) as Ref) === POP;
  return false;
}
