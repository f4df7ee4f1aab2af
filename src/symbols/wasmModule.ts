// A small reader for the parts of a Wasm binary that symbolization needs:
// the section list, custom sections by name, the number of imported functions,
// where the code section's payload starts and where each function body lies,
// and the name section.
//
//   module   = magic "\0asm"  version u32  section*
//   section  = id u8  size uleb  payload[size]
//   custom   = (id 0) name  bytes...
//   code     = (id 10) count uleb  body*       ◄── DWARF addresses count from here
//   body     = size uleb  locals  expr          (offset 0 = the count's first byte)
//
// Two coordinate systems meet here and must not be mixed:
//   - code offset: from the first byte of the code section's payload (DWARF, the site table);
//   - module offset: from the first byte of the file (source maps, browser `:0x1a2b` frames).
//   moduleOffset = codePayloadStart + codeOffset.

import { ByteReader, DecodeError } from './byteReader.js';

const SECTION_CUSTOM = 0;
const SECTION_IMPORT = 2;
const SECTION_CODE = 10;
const IMPORT_KIND_FUNC = 0;
const IMPORT_KIND_TABLE = 1;
const IMPORT_KIND_MEMORY = 2;
const IMPORT_KIND_GLOBAL = 3;
const IMPORT_KIND_TAG = 4;

/** One section: its id, its name if custom, and its payload's byte range in the module. */
export interface WasmSection {
  id: number;
  /** Custom sections only. */
  name?: string;
  /** Module offset of the payload's first byte (after the custom section's name). */
  start: number;
  /** Module offset one past the payload. */
  end: number;
}

/** A defined function's body, in code offsets: `start` is the first byte after the body's size LEB
 * (where DWARF's low_pc points), `end` is one past its last byte. */
export interface FunctionBody {
  start: number;
  end: number;
}

/** What the reader found in a module. A malformed tail stops the walk and is reported in `errors`. */
export interface WasmModuleInfo {
  bytes: Uint8Array;
  sections: WasmSection[];
  /** Number of imported functions: defined function `i` has function index `functionImportCount + i`. */
  functionImportCount: number;
  /** Module offset of the code section's payload, or undefined without a code section. */
  codePayloadStart: number | undefined;
  /** Size of the code section's payload. */
  codePayloadSize: number;
  /** Bodies of the defined functions, in order. */
  bodies: FunctionBody[];
  /** Problems met while reading (empty for a well-formed module). */
  errors: string[];
}

/** Reads the section structure of a module. Never throws on malformed input: it stops and records. */
export function readWasmModule(bytes: Uint8Array): WasmModuleInfo {
  const info: WasmModuleInfo = {
    bytes,
    sections: [],
    functionImportCount: 0,
    codePayloadStart: undefined,
    codePayloadSize: 0,
    bodies: [],
    errors: [],
  };
  const r = new ByteReader(bytes);
  try {
    if (bytes.length < 8 || r.u32() !== 0x6d736100) throw new DecodeError('not a Wasm module (bad magic)');
    const version = r.u32();
    if (version !== 1) throw new DecodeError(`unsupported Wasm binary version ${version}`);
    while (r.remaining > 0) {
      const id = r.u8();
      const size = r.uleb();
      const payloadStart = r.pos;
      r.need(size);
      const end = payloadStart + size;
      const section: WasmSection = { id, start: payloadStart, end };
      if (id === SECTION_CUSTOM) {
        const sub = new ByteReader(bytes, payloadStart, end);
        section.name = sub.name();
        section.start = sub.pos;
      }
      info.sections.push(section);
      r.pos = end;
    }
  } catch (e) {
    info.errors.push(`module: ${(e as Error).message}`);
  }
  for (const s of info.sections) {
    try {
      if (s.id === SECTION_IMPORT) info.functionImportCount = countFunctionImports(bytes, s);
      else if (s.id === SECTION_CODE) {
        info.codePayloadStart = s.start;
        info.codePayloadSize = s.end - s.start;
        info.bodies = readBodies(bytes, s);
      }
    } catch (e) {
      info.errors.push(`${s.id === SECTION_IMPORT ? 'import' : 'code'} section: ${(e as Error).message}`);
    }
  }
  return info;
}

/** The payload of the first custom section called `name`. */
export function customSection(info: WasmModuleInfo, name: string): Uint8Array | undefined {
  const s = info.sections.find((x) => x.id === SECTION_CUSTOM && x.name === name);
  return s ? info.bytes.subarray(s.start, s.end) : undefined;
}

/** Reads a custom section holding a single Wasm `name` (external_debug_info, sourceMappingURL). */
export function customSectionString(info: WasmModuleInfo, name: string): string | undefined {
  const payload = customSection(info, name);
  if (!payload) return undefined;
  try {
    return new ByteReader(payload).name();
  } catch {
    return undefined;
  }
}

/** Index of the defined function whose body contains `codeOffset` (binary search), or -1. */
export function bodyIndexAt(bodies: readonly FunctionBody[], codeOffset: number): number {
  let lo = 0;
  let hi = bodies.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const b = bodies[mid]!;
    if (codeOffset < b.start) hi = mid - 1;
    else if (codeOffset >= b.end) lo = mid + 1;
    else return mid;
  }
  return -1;
}

function countFunctionImports(bytes: Uint8Array, s: WasmSection): number {
  let funcs = 0;
  for (const entry of importEntries(bytes, s)) if (entry.kind === IMPORT_KIND_FUNC) funcs++;
  return funcs;
}

/** The flags of a memory's limits that decide whether the tracer can handle it. */
export interface MemoryLimits {
  shared: boolean;
  memory64: boolean;
}

/** An import, as far as the readers of this project need it: its kind, and a memory's limits. */
export interface ImportEntry {
  /** 0 function, 1 table, 2 memory, 3 global, 4 tag. */
  kind: number;
  /** Memory imports only. */
  memory?: MemoryLimits;
}

/**
 * The entries of an import section, in order, read as they are asked for: a DecodeError at
 * truncated bytes or an import kind this reader does not know (what came before stands).
 */
export function* importEntries(bytes: Uint8Array, s: WasmSection): Generator<ImportEntry> {
  const r = new ByteReader(bytes, s.start, s.end);
  const count = r.uleb();
  for (let i = 0; i < count; i++) {
    r.skip(r.uleb()); // module
    r.skip(r.uleb()); // field
    const kind = r.u8();
    switch (kind) {
      case IMPORT_KIND_FUNC:
        r.uleb(); // type index
        yield { kind };
        break;
      case IMPORT_KIND_TABLE:
        skipValueType(r); // reftype
        readLimits(r);
        yield { kind };
        break;
      case IMPORT_KIND_MEMORY:
        yield { kind, memory: readLimits(r) };
        break;
      case IMPORT_KIND_GLOBAL:
        skipValueType(r);
        r.u8(); // mutability
        yield { kind };
        break;
      case IMPORT_KIND_TAG:
        r.u8(); // attribute
        r.uleb(); // type index
        yield { kind };
        break;
      default:
        throw new DecodeError(`unknown import kind ${kind}`);
    }
  }
}

const LIMITS_HAS_MAX = 0x01;
const LIMITS_SHARED = 0x02;
const LIMITS_64 = 0x04;
const LIMITS_PAGE_SIZE = 0x08;

/** Reads a table's or memory's limits (flags, min, max if flagged, custom page size if flagged). */
export function readLimits(r: ByteReader): MemoryLimits {
  const flags = r.u8();
  r.uleb();
  if (flags & LIMITS_HAS_MAX) r.uleb();
  if (flags & LIMITS_PAGE_SIZE) r.uleb();
  return { shared: (flags & LIMITS_SHARED) !== 0, memory64: (flags & LIMITS_64) !== 0 };
}

/** Skips a value type, with the heap type of a `(ref null? ht)` (0x63, 0x64). */
function skipValueType(r: ByteReader): void {
  const t = r.u8();
  if (t === 0x63 || t === 0x64) r.sleb();
}

function readBodies(bytes: Uint8Array, s: WasmSection): FunctionBody[] {
  const r = new ByteReader(bytes, s.start, s.end);
  const count = r.uleb();
  const bodies: FunctionBody[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const size = r.uleb();
    const start = r.pos - s.start;
    r.skip(size);
    bodies[i] = { start, end: start + size };
  }
  return bodies;
}

/** The name section's contents that matter here. */
export interface NameSection {
  moduleName?: string;
  /** Function index (imports counted) → name, as written (not demangled). */
  functionNames: Map<number, string>;
  /** Global index (imports counted) → name (the extended name section's subsection 7). */
  globalNames: Map<number, string>;
}

/** Reads the `name` custom section (subsection 0: module name, 1: function names, 7: global names). */
export function readNameSection(payload: Uint8Array, errors: string[]): NameSection {
  const out: NameSection = { functionNames: new Map(), globalNames: new Map() };
  const r = new ByteReader(payload);
  try {
    while (r.remaining > 0) {
      const id = r.u8();
      const size = r.uleb();
      r.need(size);
      const sub = new ByteReader(payload, r.pos, r.pos + size);
      r.pos += size;
      if (id === 0) out.moduleName = sub.name();
      else if (id === 1 || id === 7) {
        const names = id === 1 ? out.functionNames : out.globalNames;
        const count = sub.uleb();
        for (let i = 0; i < count; i++) {
          const index = sub.uleb();
          names.set(index, sub.name());
        }
      }
    }
  } catch (e) {
    errors.push(`name section: ${(e as Error).message} (kept ${out.functionNames.size} names read before it)`);
  }
  return out;
}
