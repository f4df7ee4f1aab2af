/**
 * `instrument --self-contained`: the trace table merged into the instrumented target, for
 * loaders that cannot add the `tracemalloc` imports. One module, one memory (Node 20 has no
 * multi-memory), no extra imports; the table's API is exported as `__tracemalloc_<name>`.
 *
 * binaryen.js has no wasm-merge and no renaming, so the merge is done in three steps:
 *
 *   1. bytes: the target gets a second, defined memory of the table's size, and the table's
 *      data segments (as active segments of memory 1); the table module gets a name section
 *      that names its functions `tm$…`, its memory "1", and its `reportFrames`,
 *      `sampleCountdown`, `freeFilter` globals with the names the target imports them under;
 *   2. Binaryen: the table's globals and functions are copied into the target
 *      (`_BinaryenExpressionCopy`: the copies name memory "1" and the `tm$` functions, exactly
 *      the target's new memory and functions); the target's `tracemalloc` global imports are
 *      replaced by the table's globals of the same names, and its function imports by
 *      functions of the same names that call the table's;
 *   3. Binaryen's `multi-memory-lowering`: one memory, the target's at offset 0, the table's
 *      after it (moved up when the target's grows). `__tracemalloc_memory_base()` says where
 *      the table's memory starts now.
 */
import binaryen from 'binaryen';
import { FEATURES, readBinary } from './binaryenFeatures.js';
import { rawFunction } from './binaryenRaw.js';
import { InstrumentError } from './errors.js';
import { Reader, customName, insertSection, nameBytes, readSections, uleb, vector, withVector, writeModule, type Section } from './wasmSections.js';
import { MEMORY_BASE_EXPORT, MEMORY_EXPORT, SELF_CONTAINED_PREFIX } from './selfContainedAbi.js';

const expressionCopy = rawFunction('ExpressionCopy');
const getStart = rawFunction('GetStart');

/** The table's memory, after the target's (binaryen names memories by index). */
const TABLE_MEMORY = '1';

// === The table module ===

interface TableShape {
  /** Initial pages of its memory. */
  pages: number;
  /** Its data segments' offset expressions and bytes (active, memory 0). */
  segments: Array<{ offset: Uint8Array; data: Uint8Array }>;
  functionCount: number;
  globalCount: number;
  exports: Array<{ name: string; kind: number; index: number }>;
  /** Its start function (it initializes the table header), if any. */
  start: number | null;
}

function tableShape(sections: Section[]): TableShape {
  const shape: TableShape = { pages: 0, segments: [], functionCount: 0, globalCount: 0, exports: [], start: null };
  for (const s of sections) {
    const r = new Reader(s.payload);
    if (s.id === 2 && r.uleb() > 0) throw new InstrumentError('self-contained: the trace table module has imports; expected none');
    if (s.id === 3) shape.functionCount = r.uleb();
    if (s.id === 6) shape.globalCount = r.uleb();
    if (s.id === 5) {
      if (r.uleb() !== 1) throw new InstrumentError('self-contained: the trace table module must have exactly one memory');
      const flags = r.u8();
      shape.pages = r.uleb();
      if (flags & 1) r.uleb();
    }
    if (s.id === 7) {
      for (let n = r.uleb(); n > 0; n--) shape.exports.push({ name: r.name(), kind: r.u8(), index: r.uleb() });
    }
    if (s.id === 11) {
      for (let n = r.uleb(); n > 0; n--) {
        if (r.uleb() !== 0) throw new InstrumentError('self-contained: the trace table module has a passive or non-zero-memory data segment');
        const offset = r.constExpr();
        const size = r.uleb();
        shape.segments.push({ offset, data: r.bytes.slice(r.at, r.at + size) });
        r.at += size;
      }
    }
    if (s.id === 8) shape.start = r.uleb();
    if (s.id === 4 || s.id === 9) {
      throw new InstrumentError('self-contained: the trace table module has a table or elements; the merger does not handle them');
    }
  }
  return shape;
}

/** Function name of the table's function `index` in the merged module. */
function tableFunctionName(shape: TableShape, index: number): string {
  const exported = shape.exports.find((e) => e.kind === 0 && e.index === index);
  return exported ? `tm$${exported.name}` : `tm$f${index}`;
}

/** The table module with a name section of our names (its own, if any, dropped). */
function nameTableModule(sections: Section[], shape: TableShape, globalNames: Map<number, string>): Uint8Array {
  const namemap = (count: number, nameOf: (i: number) => string): number[] => {
    const out = [...uleb(count)];
    for (let i = 0; i < count; i++) out.push(...uleb(i), ...nameBytes(nameOf(i)));
    return out;
  };
  const sub = (id: number, content: number[]): number[] => [id, ...uleb(content.length), ...content];
  const payload = [
    ...nameBytes('name'),
    ...sub(1, namemap(shape.functionCount, (i) => tableFunctionName(shape, i))),
    ...sub(6, namemap(1, () => TABLE_MEMORY)),
    ...sub(7, namemap(shape.globalCount, (i) => globalNames.get(i)!)),
  ];
  const kept = sections.filter((s) => customName(s) !== 'name');
  kept.push({ id: 0, payload: Uint8Array.from(payload) });
  return writeModule(kept);
}

/** The target with a second memory (the table's pages) holding the table's data segments. */
function addTableMemory(sections: Section[], shape: TableShape): Uint8Array {
  const out = sections.slice();
  const memoryLimits = [0x00, ...uleb(shape.pages)];
  const memory = out.findIndex((s) => s.id === 5);
  if (memory === -1) insertSection(out, { id: 5, payload: withVector(1, memoryLimits) });
  else {
    const { count, items } = vector(out[memory]!.payload);
    out[memory] = { id: 5, payload: withVector(count + 1, items, memoryLimits) };
  }
  const memoryIndex = countMemories(out) - 1;
  const segments = shape.segments.map((s) => Uint8Array.from([0x02, ...uleb(memoryIndex), ...s.offset, ...uleb(s.data.length), ...s.data]));
  const data = out.findIndex((s) => s.id === 11);
  if (data === -1) insertSection(out, { id: 11, payload: withVector(segments.length, ...segments) });
  else {
    const { count, items } = vector(out[data]!.payload);
    out[data] = { id: 11, payload: withVector(count + segments.length, items, ...segments) };
  }
  const dataCount = out.findIndex((s) => s.id === 12);
  if (dataCount !== -1) out[dataCount] = { id: 12, payload: Uint8Array.from(uleb(vector(out[dataCount]!.payload).count + segments.length)) };
  return writeModule(out);
}

function countMemories(sections: Section[]): number {
  let n = 0;
  for (const s of sections) {
    const r = new Reader(s.payload);
    if (s.id === 5) n += r.uleb();
    if (s.id === 2) {
      for (let k = r.uleb(); k > 0; k--) {
        r.name();
        r.name();
        const kind = r.u8();
        if (kind === 0) r.uleb();
        else if (kind === 1) {
          r.u8();
          const flags = r.u8();
          r.uleb();
          if (flags & 1) r.uleb();
        } else if (kind === 2) {
          n++;
          const flags = r.u8();
          r.uleb();
          if (flags & 1) r.uleb();
        } else if (kind === 3) {
          r.u8();
          r.u8();
        } else if (kind === 4) {
          r.u8();
          r.uleb();
        }
      }
    }
  }
  return n;
}

// === The merge ===

/** What the target imports from "tracemalloc", by internal name. */
interface TracerImports {
  functions: Map<string, { name: string; params: number; results: number }>;
  globals: Map<string, string>;
}

function tracerImports(module: binaryen.Module): TracerImports {
  const functions = new Map<string, { name: string; params: number; results: number }>();
  const globals = new Map<string, string>();
  for (let i = 0; i < module.getNumFunctions(); i++) {
    const f = binaryen.getFunctionInfo(module.getFunctionByIndex(i));
    if (f.module === 'tracemalloc') functions.set(f.base!, { name: f.name, params: f.params, results: f.results });
  }
  for (let i = 0; i < module.getNumGlobals(); i++) {
    const g = binaryen.getGlobalInfo(module.getGlobalByIndex(i));
    if (g.module === 'tracemalloc') globals.set(g.base!, g.name);
  }
  return { functions, globals };
}

/**
 * Merges the trace table module (`tableBytes`, build/tracetable.wasm) into an instrumented
 * target (`tracedBytes`): one module, one memory, no `tracemalloc` imports.
 */
export function mergeTraceTable(tracedBytes: Uint8Array, tableBytes: Uint8Array): Uint8Array {
  const targetSections = readSections(tracedBytes);
  if (countMemories(targetSections.filter((sec) => sec.id === 2)) > 0) {
    // Binaryen would make the one memory the import, grown by the table's pages: the loader's
    // memory (Emscripten's glue makes it to its own size) would no longer fit the import.
    throw new InstrumentError(
      'self-contained: the module imports its memory (Emscripten glue makes it), so the table cannot be given a part of it; ' +
        'trace it with the two-instance route instead (instantiate(), Module.instantiateWasm or the global hook)',
    );
  }
  const tableSections = readSections(tableBytes);
  const shape = tableShape(tableSections);
  const target0 = readBinary(tracedBytes);
  let imports: TracerImports;
  try {
    imports = tracerImports(target0);
    if (imports.functions.size === 0) throw new InstrumentError('self-contained: the module imports nothing from "tracemalloc": is it instrumented?');
  } finally {
    target0.dispose();
  }
  const globalNames = new Map<number, string>();
  for (let i = 0; i < shape.globalCount; i++) {
    const exported = shape.exports.find((e) => e.kind === 3 && e.index === i);
    globalNames.set(i, (exported && imports.globals.get(exported.name)) ?? `tm$g${i}${exported ? `$${exported.name}` : ''}`);
  }
  const table = readBinary(nameTableModule(tableSections, shape, globalNames));
  const target = readBinary(addTableMemory(targetSections, shape), FEATURES | binaryen.Features.MultiMemory);
  try {
    const copy = (expr: number): number => expressionCopy(expr, target.ptr);
    for (const name of imports.globals.values()) target.removeGlobal(name);
    for (let i = 0; i < table.getNumGlobals(); i++) {
      const g = binaryen.getGlobalInfo(table.getGlobalByIndex(i));
      target.addGlobal(g.name, g.type, g.mutable, copy(g.init));
    }
    for (let i = 0; i < table.getNumFunctions(); i++) {
      const f = binaryen.getFunctionInfo(table.getFunctionByIndex(i));
      target.addFunction(f.name, f.params, f.results, f.vars, copy(f.body));
    }
    // The target's imported table functions become functions of the same names that call the table's.
    for (const [base, f] of imports.functions) {
      const callee = `tm$${base}`;
      if (!shape.exports.some((e) => e.kind === 0 && e.name === base)) throw new InstrumentError(`self-contained: the trace table exports no "${base}"`);
      target.removeFunction(f.name);
      const params = binaryen.expandType(f.params);
      target.addFunction(f.name, f.params, f.results, [], target.call(callee, params.map((t, k) => target.local.get(k, t)), f.results));
    }
    for (const e of shape.exports) {
      if (e.kind === 0) target.addFunctionExport(tableFunctionName(shape, e.index), SELF_CONTAINED_PREFIX + e.name);
      else if (e.kind === 3) target.addGlobalExport(globalNames.get(e.index)!, SELF_CONTAINED_PREFIX + e.name);
    }
    if (shape.start !== null) {
      // The table's start function sets up its header: run it first, then the target's own.
      const tableStart = tableFunctionName(shape, shape.start);
      const own = getStart(target.ptr);
      const ownName = own === 0 ? null : binaryen.getFunctionInfo(own).name;
      const start = ownName === null
        ? target.getFunction(tableStart)
        : target.addFunction('tm$start', binaryen.none, binaryen.none, [], target.block(null, [target.call(tableStart, [], binaryen.none), target.call(ownName, [], binaryen.none)]));
      target.setStart(start);
    }
    target.addFunction(MEMORY_BASE_EXPORT, binaryen.none, binaryen.i32, [], target.i32.shl(target.memory.size('0'), target.i32.const(16)));
    target.addFunctionExport(MEMORY_BASE_EXPORT, MEMORY_BASE_EXPORT);
    target.addMemoryExport('0', MEMORY_EXPORT);
    target.runPasses(['multi-memory-lowering']);
    target.setFeatures(FEATURES);
    if (!target.validate()) throw new InstrumentError('internal error: the self-contained module does not validate; please report it with the input module');
    return target.emitBinary();
  } finally {
    table.dispose();
    target.dispose();
  }
}
