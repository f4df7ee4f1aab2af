/**
 * The allocator of a stripped wasm-bindgen (Rust) module, found behind its exported shims.
 *
 * wasm-bindgen exports `__wbindgen_malloc(size, align)`, `__wbindgen_realloc(ptr, old, new,
 * align)` and `__wbindgen_free(ptr, size, align)` for its JS glue; recent versions rename them
 * `__wbindgen_export_N`. Each is a thin shim over Rust's global allocator, inlined down to
 * dlmalloc, which the Rust code calls too. Without a name section those functions have no names,
 * but the shim passes its own arguments on, and which argument lands where tells the callee's
 * shape. tiktoken 1.0.22's malloc shim, for instance:
 *
 *   (func $__wbindgen_export_1 (param $size i32) (param $align i32) (result i32)
 *     ... (if (i32.ge_u (local.get $align) (i32.const 9))
 *           (then (call $276 (local.get $align) (local.get $size))))   ;; aligned_alloc(align, size)
 *         (call $18 (local.get $size)))                                 ;; malloc(size)
 */
import binaryen from 'binaryen';
import type { AllocatorShape, AllocatorSpec, FunctionFacts } from './allocators.js';
import { walkPostOrder } from './expressionTree.js';
import {
  callGetNumOperands,
  callGetOperandAt,
  callTargetName,
  expressionId,
  functionGetBody,
  getExpressionId,
  rawFunction,
} from './binaryenRaw.js';

const CALL = expressionId('Call');
const LOCAL_GET = expressionId('LocalGet');
const localGetIndex = rawFunction('LocalGetGetIndex');

type ShimKind = 'malloc' | 'realloc' | 'free';

/** Exported shims by name. */
const NAMED_SHIMS: Readonly<Record<string, ShimKind>> = {
  __wbindgen_malloc: 'malloc',
  __wbindgen_realloc: 'realloc',
  __wbindgen_free: 'free',
};

/** What a renamed shim is, by its signature. */
function shimKindOf(f: FunctionFacts): ShimKind | null {
  if (!f.allI32) return null;
  if (f.resultCount === 1 && (f.paramCount === 1 || f.paramCount === 2)) return 'malloc';
  if (f.resultCount === 1 && f.paramCount === 4) return 'realloc';
  if (f.resultCount === 0 && (f.paramCount === 2 || f.paramCount === 3)) return 'free';
  return null;
}

/** Meaning of each shim parameter, in order (wasm-bindgen's signatures). */
const SHIM_PARAMS: Readonly<Record<ShimKind, readonly string[]>> = {
  malloc: ['size', 'align'],
  realloc: ['ptr', 'old', 'new', 'align'],
  free: ['ptr', 'size', 'align'],
};

/** Allocator shape of a callee by the shim arguments it receives, in order; null if none fits. */
const SHAPE_BY_ARGUMENTS: Readonly<Record<string, AllocatorShape>> = {
  'malloc:size': 'malloc',
  'malloc:size,align': 'rust_alloc',
  'malloc:align,size': 'aligned_alloc',
  'realloc:ptr,new': 'realloc',
  'realloc:ptr,old,align,new': 'rust_realloc',
  'free:ptr': 'free',
  'free:ptr,size': 'free',
  'free:ptr,size,align': 'free',
};

/**
 * Allocator specs found behind a wasm-bindgen module's exported shims, or [] if it has no shim
 * whose calls pass its arguments on to a function in a recognisable order.
 */
export function allocatorsBehindBindgen(module: binaryen.Module, functions: FunctionFacts[]): AllocatorSpec[] {
  const byName = new Map(functions.map((f) => [f.name, f]));
  const specs: AllocatorSpec[] = [];
  const seen = new Set<string>();
  for (const shim of functions) {
    const exportName = shim.exportNames.find((e) => e in NAMED_SHIMS || /^__wbindgen_export_\d+$/.test(e));
    if (exportName === undefined || shim.importModule !== null) continue;
    const kind = NAMED_SHIMS[exportName] ?? shimKindOf(shim);
    if (kind === null) continue;
    const params = SHIM_PARAMS[kind].slice(0, shim.paramCount);
    walkPostOrder(functionGetBody(module.getFunction(shim.name)), () => undefined, (expr) => {
      if (getExpressionId(expr) !== CALL) return;
      const callee = byName.get(callTargetName(expr));
      if (callee === undefined || !callee.allI32 || seen.has(callee.name)) return;
      const passed: string[] = [];
      for (let i = 0; i < callGetNumOperands(expr); i++) {
        const operand = callGetOperandAt(expr, i);
        if (getExpressionId(operand) !== LOCAL_GET) return; // not a plain pass-through
        passed.push(params[localGetIndex(operand)] ?? '?');
      }
      const shape = SHAPE_BY_ARGUMENTS[`${kind}:${passed.join(',')}`];
      if (shape === undefined || callee.resultCount !== (kind === 'free' ? 0 : 1)) return;
      seen.add(callee.name);
      specs.push({ function: callee.index, shape, reason: `wasm-bindgen's export "${exportName}" (its ${kind} shim) calls it as ${shape}(${passed.join(', ')})` });
    });
  }
  const allocates = specs.some((s) => s.shape === 'malloc' || s.shape === 'rust_alloc' || s.shape === 'aligned_alloc');
  return allocates ? specs : [];
}
