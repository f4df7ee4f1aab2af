/**
 * Dynamic linking: a traced Emscripten SIDE_MODULE (or any `dylink.0` module) whose allocator is
 * imported (`env.malloc`, `env.free`, …) from the main module or from the host.
 *
 * The instrumenter wraps imported allocators (re-import + wrapper), so the side module's own
 * calls to malloc/free are traced with its own call sites; the main module's allocations are
 * not (trace it separately). This file is the host side of loading such a module, as
 * Emscripten's `loadWebAssemblyModule` does:
 *
 *   1. read `dylink.0`: the bytes and alignment of its static data, its table slots;
 *   2. place the data: `memoryBase` if given, else a block from the provided `malloc`
 *      (taken before instantiation: it is the loader's memory, not a traced allocation);
 *   3. instantiate with `env` = memory, `__memory_base`, `__table_base`, `__stack_pointer`,
 *      `__indirect_function_table` and the symbols given (the main module's exports);
 *   4. run `__tracemalloc_init` (its shadow-stack block, from the imported malloc), then
 *      `__wasm_apply_data_relocs` and `__wasm_call_ctors`.
 *
 * Traces are symbolized under the side module's own names and DWARF (the original bytes).
 * `GOT.mem` / `GOT.func` imports (PIC code that takes addresses across modules) are not
 * supported yet: such a module is refused with a clear error.
 */
import { TracingSetupError } from './errors.js';
import { attachTracer, compileTraced, resolveNframe, type InstantiateOptions, type TracedInstance } from './instantiate.js';
import { TraceTable } from './traceTable.js';
import { engine } from './wasmApi.js';

/** What `dylink.0` says a side module needs. */
export interface DylinkInfo {
  memorySize: number;
  /** log2 of the data's alignment. */
  memoryAlign: number;
  tableSize: number;
  tableAlign: number;
  /** Shared libraries it depends on. */
  needed: string[];
}

/** Options of instantiateSideModule. */
export interface SideModuleOptions extends InstantiateOptions {
  /** The memory shared with the main module. */
  memory: WebAssembly.Memory;
  /**
   * Symbols the side module imports from `env`, usually the main module's exports: at least
   * its allocator (`malloc`, `free`, …) and whatever libc functions it calls (`memset`, …).
   */
  symbols: Record<string, WebAssembly.ExportValue | ((...args: never[]) => unknown)>;
  /** The main module's stack pointer (a mutable i32 global). Default: a new global at `stackTop`. */
  stackPointer?: WebAssembly.Global;
  /** Stack top for a new `__stack_pointer` (default 64 KiB). */
  stackTop?: number;
  /** Address of the side module's data; default: allocated with `symbols.malloc`. */
  memoryBase?: number;
  /** The shared function table; default: a new one when the module needs slots. */
  table?: WebAssembly.Table;
}

/** A traced side module and where it was placed. */
export interface TracedSideModule extends TracedInstance {
  dylink: DylinkInfo;
  memoryBase: number;
  tableBase: number;
}

/** Reads the `dylink.0` custom section (or the older `dylink`). */
export function readDylink(module: WebAssembly.Module): DylinkInfo {
  const info: DylinkInfo = { memorySize: 0, memoryAlign: 0, tableSize: 0, tableAlign: 0, needed: [] };
  const modern = WebAssembly.Module.customSections(module, 'dylink.0');
  const legacy = modern.length === 0 ? WebAssembly.Module.customSections(module, 'dylink') : [];
  if (modern.length === 0 && legacy.length === 0) {
    throw new TracingSetupError('not a side module: it has no dylink.0 section (build it with -sSIDE_MODULE=1), so it cannot be linked into a main module');
  }
  const bytes = new Uint8Array(modern[0] ?? legacy[0]!);
  let at = 0;
  const uleb = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[at++]!;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
  };
  const text = (): string => {
    const n = uleb();
    const s = new TextDecoder().decode(bytes.subarray(at, at + n));
    at += n;
    return s;
  };
  const memInfo = (): void => {
    info.memorySize = uleb();
    info.memoryAlign = uleb();
    info.tableSize = uleb();
    info.tableAlign = uleb();
  };
  if (legacy.length > 0) {
    memInfo();
    for (let n = uleb(); n > 0; n--) info.needed.push(text());
    return info;
  }
  const WASM_DYLINK_MEM_INFO = 1;
  const WASM_DYLINK_NEEDED = 2;
  while (at < bytes.length) {
    const type = bytes[at++]!;
    const size = uleb();
    const end = at + size;
    if (type === WASM_DYLINK_MEM_INFO) memInfo();
    else if (type === WASM_DYLINK_NEEDED) for (let n = uleb(); n > 0; n--) info.needed.push(text());
    at = end;
  }
  return info;
}

/**
 * Instruments, links and instantiates a side module against `options.memory` and
 * `options.symbols`, traced from its first allocation; constructors have run when it returns.
 */
export async function instantiateSideModule(bytes: Uint8Array, options: SideModuleOptions): Promise<TracedSideModule> {
  const nframe = resolveNframe(options.nframe);
  const traced = await compileTraced(bytes, options);
  const dylink = readDylink(traced.module);
  const imports = WebAssembly.Module.imports(traced.module);
  const got = imports.filter((i) => i.module === 'GOT.mem' || i.module === 'GOT.func');
  if (got.length > 0) {
    throw new TracingSetupError(
      `the side module imports ${got.length} GOT entries (${got.slice(0, 3).map((i) => `${i.module}.${i.name}`).join(', ')}…): ` +
        'position-independent address imports are not supported by instantiateSideModule yet',
    );
  }

  const memoryBase = options.memoryBase ?? allocateData(dylink, options.symbols);
  const needsTable = dylink.tableSize > 0 || imports.some((i) => i.module === 'env' && i.name === '__indirect_function_table');
  const table = options.table ?? (needsTable ? new WebAssembly.Table({ element: 'anyfunc', initial: 0 }) : undefined);
  let tableBase = 0;
  if (table !== undefined && dylink.tableSize > 0) {
    const align = 2 ** dylink.tableAlign;
    tableBase = Math.ceil(table.length / align) * align;
    table.grow(tableBase + dylink.tableSize - table.length);
  }

  const env: WebAssembly.ModuleImports = {
    ...(options.symbols as WebAssembly.ModuleImports),
    memory: options.memory,
    __memory_base: new WebAssembly.Global({ value: 'i32', mutable: false }, memoryBase),
    __table_base: new WebAssembly.Global({ value: 'i32', mutable: false }, tableBase),
    __stack_pointer: options.stackPointer ?? new WebAssembly.Global({ value: 'i32', mutable: true }, options.stackTop ?? 64 * 1024),
    ...(table !== undefined ? { __indirect_function_table: table } : {}),
  };
  const missing = imports.filter((i) => i.module === 'env' && !(i.name in env)).map((i) => i.name);
  if (missing.length > 0) {
    throw new TracingSetupError(`the side module imports env.${missing.join(', env.')}, not given in options.symbols (usually the main module's exports)`);
  }

  const traceTable = await TraceTable.create(options.traceTable);
  const instance = await engine.instantiate(traced.module, { env, tracemalloc: traceTable.imports });
  // Shadow stack first (abi.md: before any other export), then relocations and constructors.
  const result = attachTracer(instance, traced, traceTable, options, nframe);
  const run = (name: string): void => (instance.exports[name] as (() => void) | undefined)?.();
  run('__wasm_apply_data_relocs');
  run('__wasm_call_ctors');
  return { ...result, dylink, memoryBase, tableBase };
}

/** The side module's data block, from the main module's malloc (aligned as dylink.0 asks). */
function allocateData(dylink: DylinkInfo, symbols: SideModuleOptions['symbols']): number {
  if (dylink.memorySize === 0) return 0;
  const malloc = symbols.malloc;
  if (typeof malloc !== 'function') {
    throw new TracingSetupError('the side module has static data: give options.memoryBase, or a malloc in options.symbols to place it with');
  }
  const align = Math.max(2 ** dylink.memoryAlign, 16);
  const block = (malloc as (n: number) => number)(dylink.memorySize + align);
  if (block === 0) throw new Error(`malloc could not place the side module's ${dylink.memorySize} bytes of data`);
  return Math.ceil(block / align) * align;
}
