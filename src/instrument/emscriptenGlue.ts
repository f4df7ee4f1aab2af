/**
 * Allocator export names read from an Emscripten JS glue file.
 *
 * Release builds (-O3, -Os) minify the module's export names and strip its name section: the
 * wasm exports `f` and `g`, and only the glue knows that these are malloc and free. The glue
 * binds them in one of these shapes (older and newer Emscripten, minified or not):
 *
 *   _malloc=Module["_malloc"]=function(){return(_malloc=Module["_malloc"]=Module["asm"]["f"]).apply(null,arguments)}
 *   var _malloc = Module['_malloc'] = (a0) => (_malloc = Module['_malloc'] = wasmExports['malloc'])(a0);
 *   _malloc = Module["_malloc"] = wasmExports["Ia"]
 *   _malloc=a.Ia
 */
import type { AllocatorShape, AllocatorSpec } from './allocators.js';

/** Glue symbols of the allocator and the shape of each. */
const GLUE_ALLOCATORS: ReadonlyArray<[symbol: string, shape: AllocatorShape]> = [
  ['malloc', 'malloc'],
  ['free', 'free'],
  ['calloc', 'calloc'],
  ['realloc', 'realloc'],
  ['posix_memalign', 'posix_memalign'],
  ['aligned_alloc', 'aligned_alloc'],
  ['memalign', 'aligned_alloc'],
];

/** Property access that yields the export: `["f"]`, `['Ia']` or `.Ia`. */
const EXPORT_ACCESS = String.raw`(?:\[\s*["'](\w+)["']\s*\]|\.(\w+))`;

function exportNameOf(glue: string, symbol: string): string | null {
  const name = `_${symbol}`;
  const moduleSlot = String.raw`(?:Module\[\s*["']${name}["']\s*\]\s*=\s*)?`;
  // `_malloc = [Module["_malloc"] =] [wrapper that reassigns `_malloc = [Module["_malloc"] =]`] exports<access>`
  const pattern = new RegExp(
    String.raw`(?<![\w$])${name}\s*=\s*${moduleSlot}` +
      String.raw`(?:(?:function\s*\(\s*\)\s*\{\s*return|\([\w\s,]*\)\s*=>)\s*\(\s*${name}\s*=\s*${moduleSlot})?` +
      String.raw`([\w$]+(?:\[\s*["']asm["']\s*\])?)\s*${EXPORT_ACCESS}`,
  );
  const m = pattern.exec(glue);
  if (m === null) return null;
  const owner = m[1]!;
  if (owner === 'Module') return null; // `_malloc = Module["_malloc"]` alone says nothing
  return m[2] ?? m[3] ?? null;
}

/**
 * The allocator functions named in Emscripten glue `js`, as specs naming the module's exports.
 * Throws when the glue binds no malloc: then it is not Emscripten glue of a module with malloc.
 */
export function allocatorsFromGlue(js: string, glueName = 'the glue file'): AllocatorSpec[] {
  const specs: AllocatorSpec[] = [];
  for (const [symbol, shape] of GLUE_ALLOCATORS) {
    const exportName = exportNameOf(js, symbol);
    if (exportName !== null) specs.push({ function: exportName, shape, reason: `${glueName} binds _${symbol} to export "${exportName}"` });
  }
  if (!specs.some((s) => s.shape === 'malloc')) {
    throw new Error(
      `${glueName} does not bind _malloc to a wasm export (looked for \`_malloc = …["name"]\` as Emscripten writes it); ` +
        'build with -sEXPORTED_FUNCTIONS=_malloc,_free, or name the functions with --malloc/--free',
    );
  }
  return specs;
}
