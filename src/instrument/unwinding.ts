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
 * The shadow stack's depth gets the same care in a function that keeps one: between its calls
 * it is `$d + 4` (shadowStack.ts), and the unwound frames skipped their restores, so the same
 * places set it back: `(global.set $tm_depth (i32.add (local.get $d) (i32.const 4)))`.
 */
import binaryen from 'binaryen';
import { childrenOf, walkPostOrder, type Placement } from './expressionTree.js';
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
import { G_DEPTH, G_GUARD } from './shadowStackGlobals.js';
import { ownDepth } from './shadowStack.js';
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
 * Restores the guard, and the depth when `depthLocal` (shadowStack.ts) is not null, after every
 * call to one of `catchingImports` and at the start of every catch body in `fn`. Returns the
 * number of places healed (0: the function is unchanged).
 */
export function healAfterUnwinds(module: binaryen.Module, fn: Ref, catchingImports: ReadonlySet<string>, depthLocal: number | null): number {
  const i32 = binaryen.i32;
  let entryLocal = -1;
  const restore = (): Ref => {
    if (entryLocal < 0) entryLocal = functionAddVar(fn, i32);
    const guard = module.global.set(G_GUARD, module.local.get(entryLocal, i32));
    return depthLocal === null ? guard : module.block(null, [guard, module.global.set(G_DEPTH, ownDepth(module, depthLocal))], binaryen.none);
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
        trySetCatchBodyAt(expr, i, prependAfterPop(module, fn, body, restore()));
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

const POP = expressionId('Pop');

/**
 * The catch body `body` with `stmt` run first, after the catch's `pop` if it has one. Binaryen
 * requires the pop to be the first thing the catch evaluates, and it may sit deep in the body's
 * first-child chain (`(i32.add (pop i32) (call $f))`: the restore must come before the call), so
 * the pop is taken out into a local: `(block (local.set $p (pop T)) stmt body[pop := $p])`.
 */
function prependAfterPop(module: binaryen.Module, fn: Ref, body: Ref, stmt: Ref): Ref {
  let first = body;
  let placement: Placement | null = null;
  for (let children = childrenOf(first); children.length > 0; children = childrenOf(first)) [first, placement] = children[0]!;
  if (getExpressionId(first) !== POP) return module.block(null, [stmt, body], binaryen.auto);
  const popType = getExpressionType(first);
  const caught = functionAddVar(fn, popType);
  const read = module.local.get(caught, popType);
  if (placement === null) body = read; // the body is the pop itself
  else placement.replace(read);
  return module.block(null, [module.local.set(caught, first), stmt, body], binaryen.auto);
}
