// Symbolizer: from a call site (function index, code offset in the ORIGINAL module) to the frames a
// debugger would show, innermost first. See docs/symbols.md for what the frames look like.
//
//   where the answer comes from, first that knows the call:
//     1. DWARF   .debug_line row at the code offset (file, line, column), and the .debug_info scope
//                chain at that offset: one frame per inlined call, then the enclosing function
//     2. source map   mapping at the *module* offset (code section payload start + code offset)
//     3. names   name section (or `wasm-function[N]`), lineno = module offset of the call, as
//                browsers print `wasm-function[N]:0x1a2b`
//
// Everything is read lazily and cached: the DWARF line tables are run once, on the first lookup;
// a unit's scope tree is read the first time one of its addresses is asked for; each site's
// frames are computed once.

import { type Demangler, loadDemangler, looksMangled } from './demangle.js';
import { DebugInfo, abbrevsHaveLinkageNames, type CompileUnit, type Scope } from './dwarf/info.js';
import type { DwarfSections } from './dwarf/forms.js';
import { LineTable, type LineUnit } from './dwarf/lineTable.js';
import { basename, dirname, isAbsolutePath, joinPath, normalizeRoot, relativeToRoot } from './paths.js';
import { type RawSourceMapLike, WasmSourceMap, isAscMap } from './sourceMap.js';
import {
  type NameSection,
  type WasmModuleInfo,
  bodyIndexAt,
  customSection,
  customSectionString,
  readNameSection,
  readWasmModule,
} from './wasmModule.js';

/** Where a frame's location came from. */
export type FrameOrigin = 'dwarf' | 'sourcemap' | 'names';

/** One frame of a call site, as a user reads it. */
export interface SymbolFrame {
  /** Source path (relative to `root` when under it); for `names` frames, the function's name. */
  filename: string;
  /** Source line; for `names` frames, the module byte offset of the call (`0x…` in browsers). */
  lineno: number;
  /** Demangled function name, or `wasm-function[N]`. */
  functionName: string;
  /** 1-based source column, when known. */
  column?: number;
  origin: FrameOrigin;
}

/** Options of Symbolizer.fromModule. */
export interface SymbolizerOptions {
  /** Source paths under this directory are shown relative to it. Relative roots resolve against the cwd. */
  root?: string;
  /** Path of the module file: resolves `external_debug_info`, `sourceMappingURL` and `<module>.map`. */
  modulePath?: string;
  /** The separate DWARF file of a `-gseparate-dwarf` build (bytes or path); `false`: do not look. */
  debugFile?: Uint8Array | string | false;
  /** A source map (parsed JSON, or a path to a .map file); `false`: do not look. */
  sourceMap?: RawSourceMapLike | string | false;
  /** Reads a file, or resolves undefined if absent. Default: node:fs (Node only). */
  readFile?: (path: string) => Promise<Uint8Array | undefined>;
  /** `false` keeps names mangled; a function replaces gecko-profiler-demangle. */
  demangle?: boolean | Demangler;
}

/** What debug information a module came with (see Symbolizer.describe). */
export interface DebugInfoDescription {
  dwarf: null | {
    /** `embedded`: in the module; `external`: a separate debug file. */
    source: 'embedded' | 'external';
    /** Path of the separate debug file, when read from a file. */
    file?: string;
    /** DWARF versions of the line tables and of the units. */
    lineTableVersions: number[];
    unitVersions: number[];
    units: number;
    lineRows: number;
    files: number;
  };
  names: null | { functions: number; moduleName?: string };
  sourceMap: null | { file?: string; sources: number; mappings: number };
  /** The debug file the module names in `external_debug_info`. */
  externalDebugInfo?: string;
  /** The URL the module names in `sourceMappingURL`. */
  sourceMappingURL?: string;
  /** One line: what was found, e.g. `DWARF 4, 12 units (embedded); name section: 97 functions; no source map`. */
  summary: string;
}

/** The subset of a line-table row symbolization shows. */
export interface SourceLocation {
  filename: string;
  lineno: number;
  column?: number;
}

/** The code offset value meaning "unknown" in the site table. */
export const UNKNOWN_CODE_OFFSET = 0xffffffff;

const DWARF_SECTION_NAMES: [keyof DwarfSections, string][] = [
  ['info', '.debug_info'],
  ['abbrev', '.debug_abbrev'],
  ['line', '.debug_line'],
  ['lineStr', '.debug_line_str'],
  ['str', '.debug_str'],
  ['strOffsets', '.debug_str_offsets'],
  ['addr', '.debug_addr'],
  ['ranges', '.debug_ranges'],
  ['rnglists', '.debug_rnglists'],
];

interface DwarfState {
  info: DebugInfo;
  lines: LineTable;
  lineUnits: Map<number, LineUnit>;
  unitsByStmt: Map<number, CompileUnit[]>;
}

/** Maps call sites of an original module to source frames. */
export class Symbolizer {
  private readonly moduleInfo: WasmModuleInfo;
  private readonly names: NameSection;
  private readonly demangle: Demangler;
  private readonly root: string | undefined;
  private readonly dwarfSections: DwarfSections | undefined;
  private readonly dwarfSource: { kind: 'embedded' | 'external'; file?: string } | undefined;
  private readonly sourceMap: WasmSourceMap | undefined;
  private readonly sourceMapFile: string | undefined;
  private readonly ownWarnings: string[];
  private dwarfState: DwarfState | null | undefined;
  private readonly siteCache = new Map<number, { funcIndex: number; frames: readonly SymbolFrame[] }>();
  private readonly otherSiteCache = new Map<string, readonly SymbolFrame[]>();
  private readonly nameCache = new Map<number, string>();
  private readonly warnedFunctions = new Set<number>();

  private constructor(init: {
    moduleInfo: WasmModuleInfo;
    names: NameSection;
    demangle: Demangler;
    root: string | undefined;
    dwarfSections: DwarfSections | undefined;
    dwarfSource: { kind: 'embedded' | 'external'; file?: string } | undefined;
    sourceMap: WasmSourceMap | undefined;
    sourceMapFile: string | undefined;
    warnings: string[];
  }) {
    this.moduleInfo = init.moduleInfo;
    this.names = init.names;
    this.demangle = init.demangle;
    this.root = init.root;
    this.dwarfSections = init.dwarfSections;
    this.dwarfSource = init.dwarfSource;
    this.sourceMap = init.sourceMap;
    this.sourceMapFile = init.sourceMapFile;
    this.ownWarnings = init.warnings;
  }

  /** Reads a module file and symbolizes it (modulePath is set to `path`). */
  static async fromFile(path: string, options: SymbolizerOptions = {}): Promise<Symbolizer> {
    const read = options.readFile ?? nodeReadFile;
    const bytes = await read(path);
    if (!bytes) throw new Error(`cannot read ${path}`);
    return Symbolizer.fromModule(bytes, { modulePath: path, ...options });
  }

  /**
   * Prepares symbolization of `originalBytes` (the module *before* instrumentation). Finds its
   * DWARF (or the separate debug file it names), its source map, its name section, and loads the
   * demangler. Never throws on bad debug information: it degrades and says so in `warnings`.
   */
  static async fromModule(originalBytes: Uint8Array, options: SymbolizerOptions = {}): Promise<Symbolizer> {
    const warnings: string[] = [];
    const read = options.readFile ?? nodeReadFile;
    const moduleInfo = readWasmModule(originalBytes);
    warnings.push(...moduleInfo.errors);
    const namePayload = customSection(moduleInfo, 'name');
    const names: NameSection = namePayload ? readNameSection(namePayload, warnings) : { functionNames: new Map(), globalNames: new Map() };
    const moduleDir = options.modulePath ? dirname(options.modulePath) : undefined;
    const dwarf = await findDwarf(moduleInfo, names, options, moduleDir, read, warnings);
    const map = await findSourceMap(moduleInfo, options, moduleDir, dwarf.sections !== undefined, read, warnings);

    let demangle: Demangler;
    if (options.demangle === false) demangle = (n) => n;
    else if (typeof options.demangle === 'function') demangle = options.demangle;
    // Loading the demangler costs a 0.5 MB Wasm (in a page, a fetch): only when a name needs it.
    else if (!mayHoldMangledNames(dwarf.names, dwarf.sections)) demangle = (n) => n;
    else {
      const d = await loadDemangler();
      if (d.error) warnings.push(d.error);
      demangle = d;
    }

    const cwd = typeof process !== 'undefined' && typeof process.cwd === 'function' ? process.cwd() : undefined;
    return new Symbolizer({
      moduleInfo,
      names: dwarf.names,
      demangle,
      root: normalizeRoot(options.root, cwd),
      dwarfSections: dwarf.sections,
      dwarfSource: dwarf.source,
      sourceMap: map.map,
      sourceMapFile: map.file,
      warnings,
    });
  }

  /**
   * Problems met so far: malformed sections, bad debug info and what was done about it. Lazily
   * read parts (line tables, a unit's functions) add theirs when first read; describe() reads all.
   */
  get warnings(): string[] {
    const out = [...this.ownWarnings];
    if (this.dwarfState) out.push(...this.dwarfState.lines.warnings, ...this.dwarfState.info.warnings);
    return out;
  }

  /** Module offset of the code section's payload (add a code offset to get a module offset). */
  get codeSectionOffset(): number {
    return this.moduleInfo.codePayloadStart ?? 0;
  }

  /** Number of imported functions: function index N ≥ this is body N − count. */
  get functionImportCount(): number {
    return this.moduleInfo.functionImportCount;
  }

  /**
   * The frames of the call at `codeOffset` (from the start of the code section's payload of the
   * original module) inside function `funcIndex` (imports counted), innermost first. Never empty.
   * The array is cached and shared: do not modify it.
   */
  framesForSite(funcIndex: number, codeOffset: number): readonly SymbolFrame[] {
    // Keyed by the code offset alone (a small integer: no boxed keys); the function index is checked.
    const offset = codeOffset >>> 0;
    const hit = this.siteCache.get(offset);
    if (hit && hit.funcIndex === funcIndex) return hit.frames;
    const otherKey = `${funcIndex}:${offset}`;
    if (hit) {
      const other = this.otherSiteCache.get(otherKey);
      if (other) return other;
    }
    const frames = this.computeFrames(funcIndex, offset);
    for (const f of frames) Object.freeze(f);
    Object.freeze(frames);
    if (!hit) this.siteCache.set(offset, { funcIndex, frames });
    else this.otherSiteCache.set(otherKey, frames);
    return frames;
  }

  /** The function's name as the name section gives it (demangled), or `wasm-function[N]`. */
  functionName(funcIndex: number): string {
    let n = this.nameCache.get(funcIndex);
    if (n === undefined) {
      const raw = this.names.functionNames.get(funcIndex);
      n = raw !== undefined && raw !== '' ? this.demangle(raw) : `wasm-function[${funcIndex}]`;
      this.nameCache.set(funcIndex, n);
    }
    return n;
  }

  /** The DWARF line-table row at `codeOffset`, after the path rules; undefined without one. */
  lineAt(codeOffset: number): SourceLocation | undefined {
    const d = this.dwarf();
    const row = d?.lines.lookup(codeOffset);
    if (!row) return undefined;
    return { filename: this.displayPath(row.file), lineno: row.line, ...(row.column > 0 ? { column: row.column } : {}) };
  }

  /** The source-map position at module offset `moduleOffset`; undefined without one. */
  sourceMapAt(moduleOffset: number): SourceLocation | undefined {
    const p = this.sourceMap?.lookup(moduleOffset, 0);
    if (!p) return undefined;
    return { filename: this.displayPath(p.source), lineno: p.line, ...(p.column > 0 ? { column: p.column } : {}) };
  }

  /** What debug information was found. Reads the DWARF line tables and unit headers if not yet read. */
  describe(): DebugInfoDescription {
    const d = this.dwarf();
    const names = this.names.functionNames.size > 0 || this.names.moduleName !== undefined
      ? { functions: this.names.functionNames.size, ...(this.names.moduleName !== undefined ? { moduleName: this.names.moduleName } : {}) }
      : null;
    const dwarf = d && this.dwarfSource
      ? {
          source: this.dwarfSource.kind,
          ...(this.dwarfSource.file !== undefined ? { file: this.dwarfSource.file } : {}),
          lineTableVersions: [...new Set(d.lines.units.map((u) => u.version))].sort(),
          unitVersions: [...d.info.versions].sort(),
          units: d.info.units.length,
          lineRows: d.lines.rowCount,
          files: d.lines.files.length,
        }
      : null;
    const sm = this.sourceMap
      ? { ...(this.sourceMapFile !== undefined ? { file: this.sourceMapFile } : {}), sources: this.sourceMap.sources.length, mappings: this.sourceMap.mappingCount }
      : null;
    const parts: string[] = [];
    if (dwarf) {
      const v = [...new Set([...dwarf.lineTableVersions, ...dwarf.unitVersions])].sort().join('/');
      parts.push(`DWARF ${v || '?'}, ${dwarf.units} units, ${dwarf.lineRows} line rows (${dwarf.source}${dwarf.file ? `: ${dwarf.file}` : ''})`);
    } else parts.push('no DWARF');
    parts.push(names ? `name section: ${names.functions} functions` : 'no name section');
    parts.push(sm ? `source map: ${sm.sources} sources${sm.file ? ` (${sm.file})` : ''}` : 'no source map');
    if (!dwarf && !sm) parts.push(names ? 'frames show function names and byte offsets' : 'frames show wasm-function[N] and byte offsets');
    const externalDebugInfo = customSectionString(this.moduleInfo, 'external_debug_info');
    const sourceMappingURL = customSectionString(this.moduleInfo, 'sourceMappingURL');
    return {
      dwarf,
      names,
      sourceMap: sm,
      ...(externalDebugInfo !== undefined ? { externalDebugInfo } : {}),
      ...(sourceMappingURL !== undefined ? { sourceMappingURL } : {}),
      summary: parts.join('; '),
    };
  }

  private computeFrames(funcIndex: number, codeOffset: number): SymbolFrame[] {
    const fallbackName = this.functionName(funcIndex);
    if (codeOffset === UNKNOWN_CODE_OFFSET) return [namesFrame(fallbackName, 0)];
    const codeStart = this.moduleInfo.codePayloadStart ?? 0;
    const moduleOffset = codeStart + codeOffset;
    const bodyIndex = bodyIndexAt(this.moduleInfo.bodies, codeOffset);
    const expected = funcIndex - this.moduleInfo.functionImportCount;
    if (bodyIndex !== expected && !this.warnedFunctions.has(funcIndex)) {
      this.warnedFunctions.add(funcIndex);
      this.ownWarnings.push(
        bodyIndex < 0
          ? `site in function ${funcIndex}: code offset 0x${codeOffset.toString(16)} is in no function body`
          : `site in function ${funcIndex}: code offset 0x${codeOffset.toString(16)} lies in function ${bodyIndex + this.moduleInfo.functionImportCount}`,
      );
    }

    const dwarfFrames = this.dwarfFrames(codeOffset, moduleOffset, fallbackName);
    if (dwarfFrames) return dwarfFrames;

    if (this.sourceMap && bodyIndex >= 0) {
      const p = this.sourceMap.lookup(moduleOffset, codeStart + this.moduleInfo.bodies[bodyIndex]!.start) ?? this.ascParentMapping(moduleOffset);
      if (p) return [sourceFrame(this.displayPath(p.source), p.line, p.column, fallbackName, 'sourcemap')];
    }
    return [namesFrame(fallbackName, moduleOffset)];
  }

  /**
   * AssemblyScript's source maps (asc, recognised by its `~lib/` sources) give a location to the
   * statement, not to the calls inside it: `points.push(p)` maps the `drop` after the call, and
   * the call itself sits under the sourceless mapping of asc's GC shadow-stack store before it.
   * In the binary's post-order the call's parent comes right after the call, so the mapping that
   * starts exactly at the end of the call instruction is the call's line. Not for other maps:
   * there a sourceless mapping means "no line" (DWARF line 0, compiler-generated code).
   */
  private ascParentMapping(moduleOffset: number) {
    const map = this.sourceMap;
    if (map === undefined || !isAscMap(map.sources)) return undefined;
    const bytes = this.moduleInfo.bytes;
    const op = bytes[moduleOffset];
    // call / return_call: one LEB index; call_indirect / return_call_indirect: type and table.
    const lebs = op === 0x10 || op === 0x12 ? 1 : op === 0x11 || op === 0x13 ? 2 : 0;
    if (lebs === 0) return undefined;
    let end = moduleOffset + 1;
    for (let i = 0; i < lebs; i++) {
      while (end < bytes.length && (bytes[end]! & 0x80) !== 0) end++;
      end++;
    }
    // Bounded below by the byte after the opcode: only a mapping that starts at `end` qualifies.
    return map.lookup(end, moduleOffset + 1);
  }

  /** Frames from DWARF, or undefined when DWARF knows nothing of this offset. */
  private dwarfFrames(codeOffset: number, moduleOffset: number, fallbackName: string): SymbolFrame[] | undefined {
    const d = this.dwarf();
    if (!d) return undefined;
    const row = d.lines.lookup(codeOffset);
    // The unit that owns the row's line table; without a row, a unit whose ranges cover the offset.
    const units = row ? d.unitsByStmt.get(row.unitOffset) ?? [] : d.info.unitsCovering(codeOffset);
    let chain: Scope[] = [];
    let unit: CompileUnit | undefined;
    for (const u of units) {
      chain = d.info.scopeChain(u, codeOffset);
      if (chain.length > 0) {
        unit = u;
        break;
      }
    }
    if (!row && chain.length === 0) return undefined;
    const nameOf = (s: Scope | undefined): string =>
      (s && d.info.cachedFunctionName(s.dieOffset, this.demangle)) || fallbackName;

    const frames: SymbolFrame[] = [];
    const innermostName = nameOf(chain[chain.length - 1]);
    if (row && row.line > 0) {
      frames.push(sourceFrame(this.displayPath(row.file), row.line, row.column, innermostName, 'dwarf'));
    } else {
      // Line 0 (compiler-generated code) or no row: no line to show, but the function is known.
      frames.push(namesFrame(innermostName, moduleOffset));
    }
    const lineUnit = unit?.stmtList !== undefined ? d.lineUnits.get(unit.stmtList) : undefined;
    for (let i = chain.length - 1; i >= 1; i--) {
      const call = chain[i]!;
      const callerName = nameOf(chain[i - 1]);
      const file = lineUnit?.file(call.callFile);
      if (file !== undefined && call.callLine > 0) {
        frames.push(sourceFrame(this.displayPath(file), call.callLine, call.callColumn, callerName, 'dwarf'));
      } else frames.push(namesFrame(callerName, moduleOffset));
    }
    return frames;
  }

  /** DWARF state, built on first use (null when there is no usable DWARF). */
  private dwarf(): DwarfState | null {
    if (this.dwarfState !== undefined) return this.dwarfState;
    const sections = this.dwarfSections;
    if (!sections) return (this.dwarfState = null);
    const info = new DebugInfo(sections);
    const compDirs = new Map<number, string | undefined>();
    const unitsByStmt = new Map<number, CompileUnit[]>();
    for (const u of info.units) {
      if (u.stmtList === undefined) continue;
      if (!compDirs.has(u.stmtList)) compDirs.set(u.stmtList, u.compDir);
      const list = unitsByStmt.get(u.stmtList) ?? [];
      list.push(u);
      unitsByStmt.set(u.stmtList, list);
    }
    const lines = LineTable.parse({
      sections,
      compDirs,
      codeSize: this.moduleInfo.codePayloadSize || undefined,
      bodyEnds: this.moduleInfo.bodies.map((b) => b.end),
    });
    const lineUnits = new Map(lines.units.map((u) => [u.offset, u] as [number, LineUnit]));
    this.dwarfState = { info, lines, lineUnits, unitsByStmt };
    return this.dwarfState;
  }

  /** Applies the root rule to a full path. */
  private displayPath(path: string): string {
    return relativeToRoot(path, this.root);
  }
}

/** A frame with a source location; column 0 (unknown) is left out. */
function sourceFrame(filename: string, lineno: number, column: number, functionName: string, origin: FrameOrigin): SymbolFrame {
  const f: SymbolFrame = { filename, lineno, functionName, origin };
  if (column > 0) f.column = column;
  return f;
}

function namesFrame(name: string, moduleOffset: number): SymbolFrame {
  return { filename: name, lineno: moduleOffset, functionName: name, origin: 'names' };
}

type ReadFile = (path: string) => Promise<Uint8Array | undefined>;

/**
 * The DWARF to use: a separate debug file (given, or named by `external_debug_info` and found
 * beside the module) when its code is the module's, else the module's own. A debug file also
 * lends its name section to a module without one.
 */
async function findDwarf(
  moduleInfo: WasmModuleInfo,
  names: NameSection,
  options: SymbolizerOptions,
  moduleDir: string | undefined,
  read: ReadFile,
  warnings: string[],
): Promise<{ sections?: DwarfSections; source?: { kind: 'embedded' | 'external'; file?: string }; names: NameSection }> {
  const embedded = dwarfSectionsOf(moduleInfo);
  const externalName = customSectionString(moduleInfo, 'external_debug_info');
  const lookForFile = options.debugFile !== false && (options.debugFile !== undefined || (!embedded && externalName !== undefined));
  if (lookForFile) {
    let debugBytes: Uint8Array | undefined;
    let debugPath: string | undefined;
    if (options.debugFile instanceof Uint8Array) debugBytes = options.debugFile;
    else {
      debugPath = typeof options.debugFile === 'string' ? options.debugFile : locateBeside(externalName!, moduleDir);
      if (debugPath === undefined) {
        warnings.push(`the module's DWARF is in a separate file '${externalName}': pass debugFile (or modulePath) to use it`);
      } else debugBytes = await tryRead(read, debugPath, warnings, 'debug file');
    }
    if (debugBytes) {
      const label = debugPath ?? '(bytes)';
      const debugInfo = readWasmModule(debugBytes);
      warnings.push(...debugInfo.errors.map((e) => `debug file: ${e}`));
      const mismatch = codeMismatch(moduleInfo, debugInfo);
      const sections = mismatch ? undefined : dwarfSectionsOf(debugInfo);
      if (mismatch) warnings.push(`debug file ${label} does not match the module (${mismatch}); its DWARF is not used`);
      else if (!sections) warnings.push(`debug file ${label} has no DWARF`);
      if (sections) {
        const debugNames = customSection(debugInfo, 'name');
        return {
          sections,
          source: { kind: 'external', ...(debugPath !== undefined ? { file: debugPath } : {}) },
          names: names.functionNames.size === 0 && debugNames ? readNameSection(debugNames, warnings) : names,
        };
      }
    }
  }
  return embedded ? { sections: embedded, source: { kind: 'embedded' }, names } : { names };
}

/** The source map to use: given (object or path), named by `sourceMappingURL`, or `<module>.map`. */
async function findSourceMap(
  moduleInfo: WasmModuleInfo,
  options: SymbolizerOptions,
  moduleDir: string | undefined,
  haveDwarf: boolean,
  read: ReadFile,
  warnings: string[],
): Promise<{ map?: WasmSourceMap; file?: string }> {
  if (options.sourceMap === false) return {};
  const mapUrl = customSectionString(moduleInfo, 'sourceMappingURL');
  let raw: RawSourceMapLike | string | undefined;
  let file: string | undefined;
  let mapDir = moduleDir;
  if (typeof options.sourceMap === 'object') raw = options.sourceMap;
  else {
    let candidates: string[] = [];
    if (typeof options.sourceMap === 'string') candidates = [options.sourceMap];
    else if (options.modulePath !== undefined) {
      const named = mapUrl !== undefined ? locateBeside(mapUrl, moduleDir) : undefined;
      // A named map that is not there (web-tree-sitter's debug build names '.tree-sitter.wasm.map')
      // falls back to `<module>.map` beside the module.
      candidates = named !== undefined && named !== `${options.modulePath}.map` ? [named, `${options.modulePath}.map`] : [`${options.modulePath}.map`];
    } else if (mapUrl !== undefined && !haveDwarf) {
      warnings.push(`the module names a source map '${mapUrl}': pass sourceMap (or modulePath) to use it`);
    }
    // A missing `<module>.map` guessed by us is not worth a warning; a named or given one is.
    const quiet = options.sourceMap === undefined && mapUrl === undefined;
    for (const c of candidates) {
      const bytes = await tryRead(read, c, quiet ? null : warnings, 'source map');
      if (bytes) {
        raw = new TextDecoder().decode(bytes);
        file = c;
        mapDir = dirname(c);
        break;
      }
    }
  }
  if (raw === undefined) return {};
  try {
    const map = await WasmSourceMap.load(raw, mapDir || undefined);
    return file !== undefined ? { map, file } : { map };
  } catch (e) {
    warnings.push(`source map${file ? ` ${file}` : ''}: ${(e as Error).message}; not used`);
    return {};
  }
}

/**
 * Whether the symbolizer may meet a mangled name: the name section has one, or the DWARF has
 * linkage names (the only DWARF names it demangles).
 */
function mayHoldMangledNames(names: NameSection, sections: DwarfSections | undefined): boolean {
  for (const name of names.functionNames.values()) if (looksMangled(name)) return true;
  return sections?.abbrev !== undefined && abbrevsHaveLinkageNames(sections.abbrev);
}

/** The module's DWARF sections, or undefined when it has neither .debug_info nor .debug_line. */
function dwarfSectionsOf(info: WasmModuleInfo): DwarfSections | undefined {
  const s: DwarfSections = {};
  for (const [key, name] of DWARF_SECTION_NAMES) {
    const payload = customSection(info, name);
    if (payload) s[key] = payload;
  }
  return s.info || s.line ? s : undefined;
}

/** Why a debug file cannot describe the module's code, or undefined when its code section is identical. */
function codeMismatch(main: WasmModuleInfo, debug: WasmModuleInfo): string | undefined {
  if (main.codePayloadStart === undefined || debug.codePayloadStart === undefined) return undefined;
  if (main.codePayloadSize !== debug.codePayloadSize) {
    return `code section ${debug.codePayloadSize} bytes, module has ${main.codePayloadSize}`;
  }
  const a = main.bytes.subarray(main.codePayloadStart, main.codePayloadStart + main.codePayloadSize);
  const b = debug.bytes.subarray(debug.codePayloadStart, debug.codePayloadStart + debug.codePayloadSize);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return `code differs at code offset 0x${i.toString(16)}`;
  return undefined;
}

/** Where a file named by the module (a path or URL) is looked for: beside the module. */
function locateBeside(named: string, moduleDir: string | undefined): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(named)) {
    if (named.startsWith('file://')) {
      try {
        return decodeURIComponent(new URL(named).pathname);
      } catch {
        return undefined;
      }
    }
    // An http(s) URL cannot be fetched here: look for a file of the same name beside the module.
    return moduleDir !== undefined ? joinPath(moduleDir, basename(named)) : undefined;
  }
  if (isAbsolutePath(named)) return named;
  return moduleDir !== undefined ? joinPath(moduleDir, named) : undefined;
}

async function tryRead(
  read: (path: string) => Promise<Uint8Array | undefined>,
  path: string,
  warnings: string[] | null,
  what: string,
): Promise<Uint8Array | undefined> {
  try {
    const bytes = await read(path);
    if (!bytes) warnings?.push(`${what} ${path} not found`);
    return bytes;
  } catch (e) {
    warnings?.push(`${what} ${path}: ${(e as Error).message}`);
    return undefined;
  }
}

/** Reads a file with node:fs; undefined when it does not exist. */
async function nodeReadFile(path: string): Promise<Uint8Array | undefined> {
  const { readFile } = await import('node:fs/promises');
  try {
    return await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}
