/**
 * Which functions of a module are its allocator, and what shape each has.
 *
 * A "shape" says how to read an allocation out of a call: which argument is the size, which
 * is the freed pointer, whether the block comes back as the result or through an out-pointer.
 * Detection works from the names a module carries (name section, exports, imports); the user
 * can always name the functions instead (`AllocatorSpec`).
 */

/** How an allocator function reports its block. */
export type AllocatorShape =
  | 'malloc' //         (size) → ptr
  | 'calloc' //         (count, size) → ptr, count × size bytes
  | 'realloc' //        (ptr, size) → ptr
  | 'free' //           (ptr, ...) → ()
  | 'posix_memalign' // (ptr*, align, size) → errno, block stored at *ptr
  | 'aligned_alloc' //  (align, size) → ptr (also memalign)
  | 'rust_alloc' //     (size, align) → ptr (also __rust_alloc_zeroed, aligned operator new)
  | 'rust_realloc' //   (ptr, old_size, align, new_size) → ptr
  | 'as_new' //         AssemblyScript __new(size, class id) → object ptr
  | 'as_free'; //       AssemblyScript tlsf __free(block ptr): an object's block starts 16 bytes before it

/**
 * Known allocator entry points by symbol name. C++ names are for wasm32 (size_t = unsigned
 * long), mangled (exports, imports) and demangled (wasm-ld writes demangled names into the name
 * section). The dl* and emmalloc_* internals are listed too: Emscripten exports `malloc` as an
 * alias of `dlmalloc`, and the guard counts only the outermost of nested allocator calls.
 */
export const KNOWN_ALLOCATORS: Readonly<Record<string, AllocatorShape>> = {
  malloc: 'malloc',
  calloc: 'calloc',
  realloc: 'realloc',
  free: 'free',
  posix_memalign: 'posix_memalign',
  aligned_alloc: 'aligned_alloc',
  memalign: 'aligned_alloc',
  dlmalloc: 'malloc',
  dlcalloc: 'calloc',
  dlrealloc: 'realloc',
  dlfree: 'free',
  dlposix_memalign: 'posix_memalign',
  dlmemalign: 'aligned_alloc',
  emmalloc_malloc: 'malloc',
  emmalloc_calloc: 'calloc',
  emmalloc_realloc: 'realloc',
  emmalloc_free: 'free',
  emmalloc_memalign: 'aligned_alloc',
  emmalloc_aligned_alloc: 'aligned_alloc',
  emmalloc_posix_memalign: 'posix_memalign',
  _Znwm: 'malloc',
  _Znam: 'malloc',
  _ZnwmRKSt9nothrow_t: 'malloc',
  _ZnamRKSt9nothrow_t: 'malloc',
  _ZnwmSt11align_val_t: 'rust_alloc', // (size, align) like __rust_alloc
  _ZnamSt11align_val_t: 'rust_alloc',
  _ZdlPv: 'free',
  _ZdaPv: 'free',
  _ZdlPvm: 'free',
  _ZdaPvm: 'free',
  _ZdlPvRKSt9nothrow_t: 'free',
  _ZdaPvRKSt9nothrow_t: 'free',
  _ZdlPvSt11align_val_t: 'free',
  _ZdaPvSt11align_val_t: 'free',
  'operator new(unsigned long)': 'malloc',
  'operator new[](unsigned long)': 'malloc',
  'operator new(unsigned long, std::nothrow_t const&)': 'malloc',
  'operator new[](unsigned long, std::nothrow_t const&)': 'malloc',
  'operator new(unsigned long, std::align_val_t)': 'rust_alloc',
  'operator new[](unsigned long, std::align_val_t)': 'rust_alloc',
  'operator delete(void*)': 'free',
  'operator delete[](void*)': 'free',
  'operator delete(void*, unsigned long)': 'free',
  'operator delete[](void*, unsigned long)': 'free',
  'operator delete(void*, std::nothrow_t const&)': 'free',
  'operator delete[](void*, std::nothrow_t const&)': 'free',
  'operator delete(void*, std::align_val_t)': 'free',
  'operator delete[](void*, std::align_val_t)': 'free',
  __rust_alloc: 'rust_alloc',
  __rust_alloc_zeroed: 'rust_alloc',
  __rust_dealloc: 'free',
  __rust_realloc: 'rust_realloc',
  // AssemblyScript's runtimes (std/assembly/rt: itcms = incremental, tcms = minimal, stub),
  // by their name-section names; `__new` is also exported under --exportRuntime. __renew
  // resizes an object (in place, or by __new and a copy); the GC frees through tlsf's __free.
  '~lib/rt/itcms/__new': 'as_new',
  '~lib/rt/tcms/__new': 'as_new',
  '~lib/rt/stub/__new': 'as_new',
  '~lib/rt/itcms/__renew': 'realloc',
  '~lib/rt/tcms/__renew': 'realloc',
  '~lib/rt/stub/__renew': 'realloc',
  '~lib/rt/tlsf/__alloc': 'malloc',
  '~lib/rt/stub/__alloc': 'malloc',
  '~lib/rt/tlsf/__realloc': 'realloc',
  '~lib/rt/stub/__realloc': 'realloc',
  '~lib/rt/tlsf/__free': 'as_free',
  '~lib/rt/stub/__free': 'as_free',
};

/** Parameter and result counts each shape must have (all i32 on wasm32). */
export const SHAPE_SIGNATURE: Readonly<Record<AllocatorShape, { params: number; results: number }>> = {
  malloc: { params: 1, results: 1 },
  calloc: { params: 2, results: 1 },
  realloc: { params: 2, results: 1 },
  free: { params: -1, results: 0 }, // first param is the pointer; sized deletes add more
  posix_memalign: { params: 3, results: 1 },
  aligned_alloc: { params: 2, results: 1 },
  rust_alloc: { params: 2, results: 1 },
  rust_realloc: { params: 4, results: 1 },
  as_new: { params: 2, results: 1 },
  as_free: { params: 1, results: 0 },
};

/** A function of the module found to be (part of) its allocator. */
export interface AllocatorFunction {
  /** Binaryen's internal name of the function. */
  name: string;
  /** Index in the original module (imports counted). */
  index: number;
  shape: AllocatorShape;
  /** How it was recognised, for `--explain`. */
  reason: string;
  imported: boolean;
}

/** What the detector knows of one function of the module. */
export interface FunctionFacts {
  name: string;
  index: number;
  importModule: string | null;
  importBase: string | null;
  exportNames: string[];
  paramCount: number;
  resultCount: number;
  allI32: boolean;
}

/** The user naming allocator functions: symbol or export name, or original function index. */
export interface AllocatorSpec {
  function: string | number;
  shape: AllocatorShape;
  /** How the name was learnt, for `--explain` (default: named by the user). */
  reason?: string;
}

/** Thrown when the module's allocator cannot be found or a named one does not fit. */
export class AllocatorNotFoundError extends Error {
  override name = 'AllocatorNotFoundError';
}

function fitsShape(f: FunctionFacts, shape: AllocatorShape): boolean {
  const sig = SHAPE_SIGNATURE[shape];
  if (!f.allI32) return false;
  if (sig.results !== f.resultCount) return false;
  return sig.params === -1 ? f.paramCount >= 1 : sig.params === f.paramCount;
}

function candidateNames(f: FunctionFacts): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (f.importBase !== null) out.push([f.importBase, `imported as ${f.importModule}.${f.importBase}`]);
  for (const e of f.exportNames) out.push([e, `exported as "${e}"`]);
  out.push([f.name, `named "${f.name}" in the name section`]);
  return out;
}

/**
 * Finds the allocator functions of a module: the user's specs if given, else every function
 * whose import, export or symbol name is a known allocator entry point with a fitting signature.
 */
export function detectAllocators(
  functions: FunctionFacts[],
  specs: AllocatorSpec[] = [],
  callerCount: (name: string) => number = () => 0,
): AllocatorFunction[] {
  if (specs.length > 0) return specs.map((spec) => resolveSpec(functions, spec));
  const found: AllocatorFunction[] = [];
  for (const f of functions) {
    for (const [symbol, how] of candidateNames(f)) {
      const shape = KNOWN_ALLOCATORS[symbol];
      if (shape === undefined || !fitsShape(f, shape)) continue;
      found.push({ name: f.name, index: f.index, shape, reason: `${how}`, imported: f.importModule !== null });
      break;
    }
  }
  const shapes = new Set(found.map((a) => a.shape));
  const allocates = ['malloc', 'calloc', 'realloc', 'aligned_alloc', 'posix_memalign', 'rust_alloc', 'rust_realloc', 'as_new'];
  if (!allocates.some((s) => shapes.has(s as AllocatorShape))) {
    throw new AllocatorNotFoundError(
      'no allocator found: the module has no function named, exported or imported as malloc, calloc, realloc, ' +
        'operator new or __rust_alloc. If it is stripped or minified, pass the Emscripten glue file (--glue app.js), ' +
        'or name the functions yourself by function index or export name (--malloc 123 --free 124).' +
        describeCandidates(functions, callerCount),
    );
  }
  return found;
}

/**
 * Functions of a stripped module that have a malloc or free signature, the most called first:
 * an allocator is called from all over a program, so call counts rank it near the top.
 */
function describeCandidates(functions: FunctionFacts[], callerCount: (name: string) => number): string {
  const describe = (f: FunctionFacts): string =>
    `${f.index}${f.exportNames.length ? ` (exported as ${f.exportNames.map((e) => `"${e}"`).join(', ')})` : ''}, called from ${callerCount(f.name)} function${callerCount(f.name) === 1 ? '' : 's'}`;
  const rank = (fits: (f: FunctionFacts) => boolean): string[] =>
    functions
      .filter((f) => f.importModule === null && fits(f))
      .sort((a, b) => callerCount(b.name) - callerCount(a.name) || a.index - b.index)
      .slice(0, 5)
      .map(describe);
  const mallocs = rank((f) => fitsShape(f, 'malloc'));
  const frees = rank((f) => f.paramCount === 1 && f.resultCount === 0 && f.allI32);
  if (mallocs.length === 0) return ' The module has no function with a malloc signature (i32) -> i32.';
  return `\nCandidates with a malloc signature (i32) -> i32: ${mallocs.join('; ')}.` +
    (frees.length ? `\nCandidates with a free signature (i32) -> (): ${frees.join('; ')}.` : '') +
    '\nAfter naming them, `wasm-tracemalloc instrument --explain` shows what was found and wrapped.';
}

function resolveSpec(functions: FunctionFacts[], spec: AllocatorSpec): AllocatorFunction {
  const f =
    typeof spec.function === 'number'
      ? functions[spec.function]
      : functions.find((g) => g.name === spec.function || g.exportNames.includes(spec.function as string) || g.importBase === spec.function);
  if (f === undefined) {
    throw new AllocatorNotFoundError(`--${spec.shape} ${spec.function}: no function with that ${typeof spec.function === 'number' ? 'index' : 'name or export'} in the module`);
  }
  if (!fitsShape(f, spec.shape)) {
    const sig = SHAPE_SIGNATURE[spec.shape];
    throw new AllocatorNotFoundError(
      `--${spec.shape} ${spec.function}: function ${f.index} ("${f.name}") takes ${f.paramCount} and returns ${f.resultCount} value(s); ` +
        `a ${spec.shape} takes ${sig.params === -1 ? 'a pointer first' : sig.params} i32 and returns ${sig.results}`,
    );
  }
  return { name: f.name, index: f.index, shape: spec.shape, reason: spec.reason ?? 'named by the user', imported: f.importModule !== null };
}
