/**
 * Which modules passing through a global hook are worth instrumenting, from names alone (the
 * instrumenter decides for sure): a memory, and an allocating entry point among the imports,
 * exports or function names. Shared by the Node hook (globalHook.ts) and the browser's
 * (src/browser/wasmHook.ts); engine-free apart from reading a module's imports and exports.
 */
import { KNOWN_ALLOCATORS } from '../instrument/allocators.js';
import { allocatorsFromGlue } from '../instrument/emscriptenGlue.js';
import { customSection, readNameSection, readWasmModule } from '../symbols/index.js';
import type { InstantiateOptions } from './tracedModule.js';
import { engine } from './wasmApi.js';

/** Function names the user or the glue gave: they count as allocators for the default filter. */
export function namedAllocators(instrument: InstantiateOptions['instrument']): Set<string> {
  const names = new Set<string>();
  for (const spec of instrument?.allocators ?? []) if (typeof spec.function === 'string') names.add(spec.function);
  if (instrument?.glue !== undefined) {
    for (const spec of allocatorsFromGlue(instrument.glue.source, instrument.glue.name)) if (typeof spec.function === 'string') names.add(spec.function);
  }
  return names;
}

const MEMORY_SECTION = 5;
const ALLOCATING_NAMES = new Set(Object.entries(KNOWN_ALLOCATORS).filter(([, shape]) => shape !== 'free').map(([name]) => name));

/**
 * Whether a module may have an allocator, from names alone (the instrumenter decides for sure):
 * it has a memory, and an import, export or function name is an allocating entry point.
 */
export function mayHaveAllocator(bytes: Uint8Array, extraNames: ReadonlySet<string> = new Set()): boolean {
  let module: WebAssembly.Module;
  try {
    module = new engine.Module(bytes as Uint8Array<ArrayBuffer>);
  } catch {
    return false; // the engine will say what is wrong when the caller compiles it
  }
  return compiledMayHaveAllocator(module, bytes, extraNames);
}

/**
 * mayHaveAllocator for a module compiled already (browsers compile asynchronously: a large
 * module may not be compiled synchronously on the main thread).
 */
export function compiledMayHaveAllocator(module: WebAssembly.Module, bytes: Uint8Array, extraNames: ReadonlySet<string> = new Set()): boolean {
  const imports = WebAssembly.Module.imports(module);
  const exports = WebAssembly.Module.exports(module);
  const info = readWasmModule(bytes);
  const hasMemory = imports.some((i) => i.kind === 'memory') || info.sections.some((s) => s.id === MEMORY_SECTION);
  if (!hasMemory) return false;
  const isAllocator = (name: string): boolean => ALLOCATING_NAMES.has(name) || extraNames.has(name);
  if (imports.some((i) => i.kind === 'function' && isAllocator(i.name))) return true;
  if (exports.some((e) => e.kind === 'function' && isAllocator(e.name))) return true;
  const names = customSection(info, 'name');
  if (names === undefined) return false;
  for (const name of readNameSection(names, []).functionNames.values()) if (isAllocator(name)) return true;
  return false;
}
