/**
 * The rest of a stripped allocator, found from call-graph shape once malloc and free are known.
 *
 * Emscripten -O2/-O3 builds export only `malloc` and `free` (under minified names at -O3) and
 * carry no name section, yet the program also calls realloc, calloc and posix_memalign
 * (aligned_alloc is inlined into its callers as a posix_memalign call). Missing realloc costs
 * exactness: an in-place grow or shrink changes a block's size without any malloc or free.
 * dlmalloc's entry points have shapes that ordinary functions do not (compare the -g build,
 * where they are named; fixtures/emscripten/alloc_basic.g.wasm):
 *
 *   realloc(p, n)          (i32, i32) → i32: calls malloc(n), free(p), and copies from p
 *                          (memcpy(new, p, …) or memory.copy).
 *   calloc(k, n)           (i32, i32) → i32: multiplies k by n, calls malloc, fills its result
 *                          with zeros (memset(q, 0, …) or memory.fill), and never calls free.
 *   posix_memalign(o, a, n) (i32, i32, i32) → i32: calls malloc, stores the block at *o, has
 *                          EINVAL (28 in WASI/musl numbering) for a bad alignment, never calls free.
 *   aligned_alloc(a, n)    (i32, i32) → i32: calls that posix_memalign(&slot, a, n).
 *
 * malloc and free stand for the functions they only pass their arguments on to, too: wasi-libc's
 * malloc(n) is `return dlmalloc(n)`, and its realloc and calloc call dlmalloc and dlfree directly;
 * its aligned_alloc(a, n) and posix_memalign(o, a, n) both hand (a, n) to internal_memalign.
 * emmalloc's malloc(n) is emmalloc_memalign(8, n) (constants may join the arguments), and its
 * realloc(p, n) only calls emmalloc_aligned_realloc(p, 8, n), where realloc's evidence is.
 *
 * Only the arguments are followed, not the values through memory: at -O0 a parameter goes to
 * the C stack first, and these rules then find nothing (such builds keep their names anyway).
 * A shape matched by more than one function is not guessed: the report warns and lists them.
 */
import binaryen from 'binaryen';
import type { AllocatorFunction, AllocatorShape, FunctionFacts } from './allocators.js';
import { walkPostOrder } from './expressionTree.js';
import {
  callGetNumOperands,
  callGetOperandAt,
  callTargetName,
  expressionId,
  functionGetBody,
  getExpressionId,
  rawFunction,
  type Ref,
} from './binaryenRaw.js';

const CALL = expressionId('Call');
const LOCAL_GET = expressionId('LocalGet');
const LOCAL_SET = expressionId('LocalSet');
const CONST = expressionId('Const');
const BINARY = expressionId('Binary');
const UNARY = expressionId('Unary');
const STORE = expressionId('Store');
const MEMORY_COPY = expressionId('MemoryCopy');
const MEMORY_FILL = expressionId('MemoryFill');
const SELECT = expressionId('Select');
const selectIfTrue = rawFunction('SelectGetIfTrue');
const selectIfFalse = rawFunction('SelectGetIfFalse');
const localGetIndex = rawFunction('LocalGetGetIndex');
const localSetIndex = rawFunction('LocalSetGetIndex');
const localSetValue = rawFunction('LocalSetGetValue');
const constI32 = rawFunction('ConstGetValueI32');
const binaryOp = rawFunction('BinaryGetOp');
const binaryLeft = rawFunction('BinaryGetLeft');
const binaryRight = rawFunction('BinaryGetRight');
const unaryOp = rawFunction('UnaryGetOp');
const unaryValue = rawFunction('UnaryGetValue');
const storePtr = rawFunction('StoreGetPtr');
const storeOffset = rawFunction('StoreGetOffset');
const storeBytes = rawFunction('StoreGetBytes');
const memoryCopySource = rawFunction('MemoryCopyGetSource');
const memoryFillDest = rawFunction('MemoryFillGetDest');
const memoryFillValue = rawFunction('MemoryFillGetValue');
const getType = rawFunction('ExpressionGetType');

/** EINVAL in WASI's and Emscripten's musl numbering: what posix_memalign returns for a bad alignment. */
const EINVAL = 28;

/** What one walk over a function body tells about its shape. */
interface BodyFacts {
  calls: Array<{ target: string; operands: Ref[] }>;
  /** Locals assigned the result of a direct call, by callee. */
  resultLocals: Map<string, Set<number>>;
  /** Sources of memory.copy, destinations (with value) of memory.fill. */
  copiesFrom: Ref[];
  fills: Array<{ dest: Ref; value: Ref }>;
  /** i32 stores at offset 0, by pointer expression. */
  storesTo: Ref[];
  /** Multiplications (i32 or i64), as [left, right]. */
  products: Array<[Ref, Ref]>;
  hasEinval: boolean;
}

function bodyFacts(module: binaryen.Module, name: string): BodyFacts {
  const facts: BodyFacts = { calls: [], resultLocals: new Map(), copiesFrom: [], fills: [], storesTo: [], products: [], hasEinval: false };
  walkPostOrder(functionGetBody(module.getFunction(name)), () => undefined, (expr) => {
    const id = getExpressionId(expr);
    if (id === CALL) {
      const operands: Ref[] = [];
      for (let i = 0; i < callGetNumOperands(expr); i++) operands.push(callGetOperandAt(expr, i));
      facts.calls.push({ target: callTargetName(expr), operands });
    } else if (id === LOCAL_SET) {
      const value = localSetValue(expr);
      if (getExpressionId(value) === CALL) {
        const target = callTargetName(value);
        const set = facts.resultLocals.get(target) ?? new Set<number>();
        set.add(localSetIndex(expr));
        facts.resultLocals.set(target, set);
      }
    } else if (id === MEMORY_COPY) facts.copiesFrom.push(memoryCopySource(expr));
    else if (id === MEMORY_FILL) facts.fills.push({ dest: memoryFillDest(expr), value: memoryFillValue(expr) });
    else if (id === STORE) {
      if (storeOffset(expr) === 0 && storeBytes(expr) === 4) facts.storesTo.push(storePtr(expr));
    } else if (id === BINARY) {
      const op = binaryOp(expr);
      if (op === binaryen.MulInt32 || op === binaryen.MulInt64) facts.products.push([binaryLeft(expr), binaryRight(expr)]);
    } else if (id === CONST && getType(expr) === binaryen.i32 && constI32(expr) === EINVAL) facts.hasEinval = true;
  });
  return facts;
}

/**
 * The function a wrapper passes its arguments on to: `b` makes one call, whose operands are its
 * `params` parameters, each once, and constants (emmalloc's malloc(n) is emmalloc_memalign(8, n)).
 * `positions[k]` is where parameter k goes.
 */
function forwardTarget(b: BodyFacts, params: number): { target: string; positions: number[] } | undefined {
  if (b.calls.length !== 1) return undefined;
  const call = b.calls[0]!;
  const positions: number[] = new Array<number>(params).fill(-1);
  for (let i = 0; i < call.operands.length; i++) {
    const o = call.operands[i]!;
    const k = localOf(o);
    if (k >= 0 && k < params && positions[k] === -1) positions[k] = i;
    else if (getExpressionId(o) !== CONST) return undefined;
  }
  return positions.every((p) => p >= 0) ? { target: call.target, positions } : undefined;
}

/** Index of the local an expression reads (looking through i32→i64 extensions), or -1. */
function localOf(expr: Ref): number {
  let e = expr;
  if (getExpressionId(e) === UNARY && (unaryOp(e) === binaryen.ExtendUInt32 || unaryOp(e) === binaryen.ExtendSInt32)) e = unaryValue(e);
  return getExpressionId(e) === LOCAL_GET ? localGetIndex(e) : -1;
}

/** localOf, or for `select(local.get k, constant, condition)` (a max or min): k. */
function localOrSelectOf(expr: Ref): number {
  if (getExpressionId(expr) !== SELECT) return localOf(expr);
  const picks = [localOf(selectIfTrue(expr)), localOf(selectIfFalse(expr))].filter((k) => k >= 0);
  return picks.length === 1 ? picks[0]! : -1;
}

const isZero = (expr: Ref): boolean => getExpressionId(expr) === CONST && getType(expr) === binaryen.i32 && constI32(expr) === 0;

/** One inferred allocator function and the evidence, for `--explain`. */
interface Match {
  fn: FunctionFacts;
  why: string;
}

/** What shape inference found, and what it could not decide. */
export interface ShapeInference {
  found: AllocatorFunction[];
  warnings: string[];
}

/**
 * Finds realloc, calloc, posix_memalign and aligned_alloc of a module whose malloc and free are
 * known (`known`) but that does not name the rest. Shapes already in `known` are not looked for.
 */
export function inferAllocatorsFromShape(module: binaryen.Module, functions: FunctionFacts[], known: AllocatorFunction[]): ShapeInference {
  const malloc = known.find((a) => a.shape === 'malloc');
  const free = known.find((a) => a.shape === 'free');
  const has = (shape: AllocatorShape): boolean => known.some((a) => a.shape === shape);
  if (malloc === undefined || free === undefined) return { found: [], warnings: [] };
  const knownNames = new Set(known.map((a) => a.name));
  const label = (a: { index: number }, what: string): string => `${what} (function ${a.index})`;

  const bodies = new Map<string, BodyFacts>();
  const body = (f: FunctionFacts): BodyFacts => {
    let b = bodies.get(f.name);
    if (b === undefined) bodies.set(f.name, (b = bodyFacts(module, f.name)));
    return b;
  };
  const candidates = (params: number): FunctionFacts[] =>
    functions.filter((f) => f.importModule === null && f.allI32 && f.paramCount === params && f.resultCount === 1 && !knownNames.has(f.name) && !mallocs.has(f.name));
  const byName = new Map(functions.map((f) => [f.name, f]));
  // wasi-libc's malloc and free are wrappers of dlmalloc and dlfree, which its realloc and calloc
  // call directly: follow each down through functions that only pass their arguments on.
  // Each maps a function to the operand that is the size (mallocs) or the pointer (frees).
  const equivalents = (start: AllocatorFunction): Map<string, number> => {
    const names = new Map([[start.name, 0]]);
    let at = 0;
    for (let f = byName.get(start.name); f !== undefined && f.importModule === null; ) {
      const next = forwardTarget(body(f), f.paramCount);
      const g = next === undefined ? undefined : byName.get(next.target);
      if (g === undefined || names.has(g.name) || !g.allI32 || g.resultCount !== f.resultCount) break;
      at = next!.positions[at]!;
      names.set(g.name, at);
      f = g;
    }
    return names;
  };
  const mallocs = equivalents(malloc);
  const frees = equivalents(free);
  const callsTo = (b: BodyFacts, names: Map<string, number> | Set<string>) => b.calls.filter((c) => names.has(c.target));
  /** Whether `b` calls a malloc (or free) with local `k` as its size (or pointer). */
  const passes = (b: BodyFacts, names: Map<string, number>, k: number): boolean =>
    b.calls.some((c) => {
      const at = names.get(c.target);
      return at !== undefined && at < c.operands.length && localOf(c.operands[at]!) === k;
    });
  const isMallocOrFree = (name: string): boolean => mallocs.has(name) || frees.has(name);
  const chain = (names: Map<string, number>, what: string): string => `${what} (function ${[...names.keys()].map((n) => byName.get(n)?.index).join(' → ')})`;
  const M = chain(mallocs, 'malloc');
  const F = chain(frees, 'free');

  const found: AllocatorFunction[] = [];
  const warnings: string[] = [];
  const decide = (shape: AllocatorShape, matches: Match[]): AllocatorFunction | undefined => {
    if (matches.length === 1) {
      const { fn, why } = matches[0]!;
      const a: AllocatorFunction = { name: fn.name, index: fn.index, shape, reason: `its shape: ${why}`, imported: false };
      found.push(a);
      return a;
    }
    if (matches.length > 1) {
      warnings.push(
        `several functions have ${shape}'s shape (${matches.map((m) => m.fn.index).join(', ')}); none is traced as ${shape}: ` +
          `name the right one as ${shape} by its function index`,
      );
    }
    return undefined;
  };

  if (!has('realloc') && !has('rust_realloc')) {
    // realloc's evidence in a body whose old pointer and new size are locals `ptr` and `size`.
    const evidence = (b: BodyFacts, ptr: number, size: number): string | undefined => {
      if (!passes(b, mallocs, size) || !passes(b, frees, ptr)) return undefined;
      if (b.copiesFrom.some((x) => localOf(x) === ptr)) return 'memory.copy from it';
      const copy = b.calls.find((c) => !isMallocOrFree(c.target) && c.operands.length === 3 && localOf(c.operands[1]!) === ptr);
      return copy === undefined ? undefined : `copies from it with function ${byName.get(copy.target)?.index}`;
    };
    const matches: Match[] = [];
    for (const f of candidates(2)) {
      const direct = evidence(body(f), 0, 1);
      if (direct !== undefined) {
        matches.push({ fn: f, why: `(ptr, size) → ptr calling ${M} with size, ${F} with ptr, and ${direct}` });
        continue;
      }
      // emmalloc: realloc(p, n) is emmalloc_aligned_realloc(p, 8, n).
      const forward = forwardTarget(body(f), 2);
      const g = forward === undefined ? undefined : byName.get(forward.target);
      if (g === undefined || g.importModule !== null || !g.allI32 || g.resultCount !== 1 || isMallocOrFree(g.name)) continue;
      const inner = evidence(body(g), forward!.positions[0]!, forward!.positions[1]!);
      if (inner !== undefined) {
        matches.push({ fn: f, why: `(ptr, size) → ptr passing them to function ${g.index}, which calls ${M} with size, ${F} with ptr, and ${inner}` });
      }
    }
    // Rust's global allocator (wasm-bindgen builds): realloc(ptr, old_size, align, new_size).
    const rustMatches: Match[] = [];
    for (const f of candidates(4)) {
      const how = evidence(body(f), 0, 3);
      if (how !== undefined) rustMatches.push({ fn: f, why: `(ptr, old_size, align, new_size) → ptr calling ${M} with new_size, ${F} with ptr, and ${how}` });
    }
    if (matches.length === 0 && rustMatches.length > 0) {
      decide('rust_realloc', rustMatches);
      matches.length = 0;
    }
    if (matches.length > 0) decide('realloc', matches);
    if (!found.some((a) => a.shape === 'realloc' || a.shape === 'rust_realloc')) {
      warnings.push(
        `no realloc found (the module names only ${known.map((a) => a.shape).join(', ')}): if the program calls realloc, ` +
          'blocks it grows or shrinks in place keep their old size in the trace; name it with --realloc N',
      );
    }
  }

  if (!has('calloc')) {
    const matches: Match[] = [];
    for (const f of candidates(2)) {
      const b = body(f);
      if (callsTo(b, frees).length > 0) continue;
      const blocks = new Set([...mallocs.keys()].flatMap((m) => [...(b.resultLocals.get(m) ?? [])]));
      if (blocks.size === 0) continue;
      const zeroed =
        b.fills.some((x) => blocks.has(localOf(x.dest)) && isZero(x.value)) ||
        b.calls.some((c) => c.operands.length === 3 && blocks.has(localOf(c.operands[0]!)) && isZero(c.operands[1]!));
      const multiplies = b.products.some(([l, r]) => {
        const pair = [localOf(l), localOf(r)].sort().join();
        return pair === '0,1';
      });
      if (zeroed && multiplies) matches.push({ fn: f, why: `(count, size) → ptr multiplying count by size, calling ${M} and zero-filling its block, never ${F}` });
    }
    decide('calloc', matches);
  }

  let posixMemalign = known.find((a) => a.shape === 'posix_memalign');
  if (posixMemalign === undefined) {
    const matches: Match[] = [];
    for (const f of candidates(3)) {
      const b = body(f);
      if (callsTo(b, frees).length > 0 || callsTo(b, mallocs).length === 0) continue;
      const storesOut = b.storesTo.some((p) => localOf(p) === 0);
      if (storesOut && b.hasEinval) {
        matches.push({ fn: f, why: `(out, align, size) → errno calling ${M}, storing the block at *out, with EINVAL (${EINVAL}), never ${F}` });
      }
    }
    posixMemalign = decide('posix_memalign', matches);
  }

  if (!has('aligned_alloc') && posixMemalign !== undefined) {
    const P = posixMemalign;
    // The aligned-allocation core posix_memalign hands its (align, size) to (wasi-libc's internal_memalign).
    // (wasi-libc passes max(align, 16) as a select of the parameter and the constant.)
    const cores = new Set(body(byName.get(P.name)!).calls.filter((c) => c.operands.length === 2 && localOrSelectOf(c.operands[0]!) === 1 && localOf(c.operands[1]!) === 2).map((c) => c.target));
    const matches: Match[] = [];
    for (const f of candidates(2)) {
      if (cores.has(f.name)) continue;
      const b = body(f);
      const forwards = callsTo(b, new Set([P.name])).some((c) => c.operands.length === 3 && localOf(c.operands[1]!) === 0 && localOf(c.operands[2]!) === 1);
      const core = b.calls.find((c) => cores.has(c.target) && localOf(c.operands[0]!) === 0 && localOf(c.operands[1]!) === 1);
      if (forwards) matches.push({ fn: f, why: `(align, size) → ptr calling ${label(P, 'posix_memalign')}(&slot, align, size)` });
      else if (core !== undefined) {
        matches.push({ fn: f, why: `(align, size) → ptr passing them to function ${byName.get(core.target)?.index}, as ${label(P, 'posix_memalign')} does` });
      }
    }
    decide('aligned_alloc', matches);
  }
  return { found, warnings };
}
