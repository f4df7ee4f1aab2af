// .debug_info, read only as far as symbolization needs (DWARF 5 §2–3, §7.5):
//   - every unit's header and its unit DIE (name, comp_dir, stmt_list, code ranges, v5 bases),
//     read eagerly: this is cheap and gives the line tables their comp_dir;
//   - the scope tree of one unit (DW_TAG_subprogram and DW_TAG_inlined_subroutine with code
//     ranges, nested through lexical blocks and namespaces), read lazily the first time an address
//     in that unit is asked for;
//   - a function's name, read on demand from its DIE, following DW_AT_abstract_origin and
//     DW_AT_specification.
//
//   unit header (v2–4)   unit_length  version  debug_abbrev_offset  address_size
//   unit header (v5)     unit_length  version  unit_type  address_size  debug_abbrev_offset  [ids]
//   DIE                  abbrev code (uleb; 0 ends a sibling list)  attribute values
//
// An inlined call chain at an address, outermost first:
//
//   subprogram main                      ◄── chain[0]
//     inlined_subroutine mk              ◄── chain[1]: DW_AT_call_file/line = where main calls mk
//       inlined_subroutine dup           ◄── chain[2]: the line table gives the line inside dup
//
// The frames innermost first are then (line row, dup), (chain[2].call, mk), (chain[1].call, main).

import { ByteReader, DecodeError } from '../byteReader.js';
import { lastAtOrBefore } from '../sorted.js';
import { DW_AT, DW_FORM, DW_RLE, DW_TAG, DW_UT } from './constants.js';
import {
  type DwarfSections,
  type FormContext,
  type RawValue,
  addressAtIndex,
  readForm,
  readUnitLength,
  resolveAddress,
  resolveString,
  skipForm,
} from './forms.js';

const TOMBSTONE_MIN = 0xfffffffe;

interface AbbrevAttr {
  name: number;
  form: number;
  implicitConst: number;
}

interface Abbrev {
  tag: number;
  hasChildren: boolean;
  attrs: AbbrevAttr[];
  /** Total size of the attribute values when every form has a fixed size in this unit, else -1. */
  fixedSize: number;
}

/** A unit's context for reading its DIEs. */
export interface UnitContext extends FormContext {
  /** DW_AT_rnglists_base (v5). */
  rnglistsBase?: number;
}

/** A compile (or partial) unit and its unit DIE's facts. */
export interface CompileUnit {
  index: number;
  /** Offset of the unit header in .debug_info. */
  offset: number;
  /** Offset one past the unit. */
  end: number;
  /** Offset of the unit DIE. */
  dieOffset: number;
  abbrevOffset: number;
  ctx: UnitContext;
  name?: string;
  compDir?: string;
  producer?: string;
  /** DW_AT_stmt_list: this unit's line table in .debug_line. */
  stmtList?: number;
  /** Base address for DW_AT_ranges / location lists (DW_AT_low_pc of the unit DIE, else 0). */
  baseAddress: number;
  /** Code ranges of the unit, [lo, hi) pairs flattened. */
  ranges: number[];
}

/** A DIE that owns code: a subprogram or an inlined call. */
export interface Scope {
  dieOffset: number;
  inlined: boolean;
  /** [lo, hi) pairs flattened. */
  ranges: number[];
  parent: number;
  children: number[];
  callFile: number;
  callLine: number;
  callColumn: number;
}

/** The scope tree of one unit, with its address map. */
export interface UnitScopes {
  scopes: Scope[];
  /** Address map sorted by start: from starts[i] up to ends[i], the innermost scope is owners[i]. */
  starts: Uint32Array;
  ends: Uint32Array;
  owners: Int32Array;
}

/** The name parts of one DIE. */
interface DieNames {
  name?: string;
  linkageName?: string;
  /** DW_AT_abstract_origin, else DW_AT_specification, as a .debug_info offset. */
  origin?: number;
}

/** Reader over .debug_info and its companion sections. */
export class DebugInfo {
  readonly units: CompileUnit[] = [];
  readonly warnings: string[] = [];
  /** Versions of the units read (for describe()). */
  readonly versions = new Set<number>();

  private readonly abbrevCache = new Map<string, Map<number, Abbrev>>();
  private readonly scopeCache = new Map<number, UnitScopes | null>();
  private readonly nameCache = new Map<number, string | undefined>();

  constructor(readonly sections: DwarfSections) {
    this.readUnitHeaders();
  }

  /** Units whose code ranges contain `address`. */
  unitsCovering(address: number): CompileUnit[] {
    return this.units.filter((u) => rangesContain(u.ranges, address));
  }

  /** The chain of scopes containing `address` in `unit`, outermost first (empty if none). */
  scopeChain(unit: CompileUnit, address: number): Scope[] {
    const s = this.scopesOf(unit);
    if (!s) return [];
    const found = lastAtOrBefore(s.starts, address);
    if (found < 0 || address >= s.ends[found]!) return [];
    const chain: Scope[] = [];
    for (let at = s.owners[found]!; at >= 0; at = s.scopes[at]!.parent) chain.push(s.scopes[at]!);
    return chain.reverse();
  }

  /** The scope tree of `unit`, read once (null if the unit fails to decode). */
  scopesOf(unit: CompileUnit): UnitScopes | null {
    let s = this.scopeCache.get(unit.offset);
    if (s === undefined) {
      try {
        s = this.readScopes(unit);
      } catch (e) {
        this.warnings.push(`.debug_info unit at 0x${unit.offset.toString(16)}: ${(e as Error).message}; its functions and inlined frames are not used`);
        s = null;
      }
      this.scopeCache.set(unit.offset, s);
    }
    return s;
  }

  /**
   * The name a debugger shows for the function of the DIE at `dieOffset`: its linkage name
   * (mangled: the caller demangles it) when it or a DIE it refers to has one, else DW_AT_name.
   * Returns [name, isLinkageName].
   */
  functionNameOf(dieOffset: number): [string, boolean] | undefined {
    const seen = new Set<number>();
    let plain: string | undefined;
    let at: number | undefined = dieOffset;
    while (at !== undefined && !seen.has(at) && seen.size < 16) {
      seen.add(at);
      const n = this.dieNames(at);
      if (!n) break;
      if (n.linkageName) return [n.linkageName, true];
      plain ??= n.name;
      at = n.origin;
    }
    return plain === undefined ? undefined : [plain, false];
  }

  private readUnitHeaders(): void {
    const info = this.sections.info;
    if (!info) return;
    let offset = 0;
    while (offset + 4 <= info.length) {
      let next: number | undefined;
      try {
        const r = new ByteReader(info, offset, info.length);
        const { offsetSize, end } = readUnitLength(r);
        next = end;
        const version = r.u16();
        if (version < 2 || version > 5) throw new DecodeError(`unsupported unit version ${version}`);
        let unitType: number = DW_UT.compile;
        let addrSize: number;
        let abbrevOffset: number;
        if (version >= 5) {
          unitType = r.u8();
          addrSize = r.u8();
          abbrevOffset = r.uint(offsetSize);
          if (unitType === DW_UT.skeleton || unitType === DW_UT.split_compile) r.skip(8);
          else if (unitType === DW_UT.type || unitType === DW_UT.split_type) r.skip(8 + offsetSize);
        } else {
          abbrevOffset = r.uint(offsetSize);
          addrSize = r.u8();
        }
        if (addrSize !== 4 && addrSize !== 8) throw new DecodeError(`address size ${addrSize} unsupported`);
        this.versions.add(version);
        if (unitType !== DW_UT.compile && unitType !== DW_UT.partial) {
          offset = end;
          continue;
        }
        const unit: CompileUnit = {
          index: this.units.length,
          offset,
          end,
          dieOffset: r.pos,
          abbrevOffset,
          ctx: { version, offsetSize, addrSize, sections: this.sections },
          baseAddress: 0,
          ranges: [],
        };
        this.readUnitDie(unit);
        this.units.push(unit);
      } catch (e) {
        this.warnings.push(`.debug_info unit at 0x${offset.toString(16)}: ${(e as Error).message}; skipped`);
        if (next === undefined) break; // the unit's extent is unknown: stop here
      }
      offset = next!;
    }
  }

  /** Reads the unit DIE: bases first (strx/addrx values before them are resolved afterwards). */
  private readUnitDie(unit: CompileUnit): void {
    const info = this.sections.info!;
    const abbrevs = this.abbrevsFor(unit);
    const r = new ByteReader(info, unit.dieOffset, unit.end);
    const code = r.uleb();
    const ab = abbrevs.get(code);
    if (!ab) throw new DecodeError(`unknown abbreviation ${code} in unit DIE`);
    if (ab.tag !== DW_TAG.compile_unit && ab.tag !== DW_TAG.partial_unit && ab.tag !== DW_TAG.skeleton_unit) {
      throw new DecodeError(`unit DIE has tag 0x${ab.tag.toString(16)}`);
    }
    const raw = new Map<number, [number, RawValue]>();
    for (const a of ab.attrs) raw.set(a.name, [a.form, readForm(r, a.form, unit.ctx, a.implicitConst)]);
    const num = (at: number): number | undefined => {
      const v = raw.get(at)?.[1];
      return typeof v === 'number' ? v : undefined;
    };
    unit.ctx.strOffsetsBase = num(DW_AT.str_offsets_base);
    unit.ctx.addrBase = num(DW_AT.addr_base);
    unit.ctx.rnglistsBase = num(DW_AT.rnglists_base);
    const str = (at: number): string | undefined => {
      const v = raw.get(at);
      return v ? resolveString(unit.ctx, v[0], v[1]) : undefined;
    };
    unit.name = str(DW_AT.name);
    unit.compDir = str(DW_AT.comp_dir);
    unit.stmtList = num(DW_AT.stmt_list);
    const low = raw.get(DW_AT.low_pc);
    const lowPc = low ? resolveAddress(unit.ctx, low[0], low[1]) : undefined;
    unit.baseAddress = lowPc ?? 0;
    const rangesAttr = raw.get(DW_AT.ranges);
    const highAttr = raw.get(DW_AT.high_pc);
    if (rangesAttr) unit.ranges = liveRanges(this.readRanges(unit, rangesAttr[0], rangesAttr[1]));
    else if (lowPc !== undefined && highAttr) unit.ranges = liveRanges(pcRange(unit.ctx, lowPc, highAttr[0], highAttr[1]));
  }

  private abbrevsFor(unit: CompileUnit): Map<number, Abbrev> {
    const c = unit.ctx;
    const key = `${unit.abbrevOffset}:${c.version}:${c.offsetSize}:${c.addrSize}`;
    let m = this.abbrevCache.get(key);
    if (!m) {
      m = parseAbbrevs(this.sections.abbrev, unit.abbrevOffset, c);
      this.abbrevCache.set(key, m);
    }
    return m;
  }

  /** Walks every DIE of the unit and records the scopes that own code. */
  private readScopes(unit: CompileUnit): UnitScopes {
    const info = this.sections.info!;
    const abbrevs = this.abbrevsFor(unit);
    const ctx = unit.ctx;
    const r = new ByteReader(info, unit.dieOffset, unit.end);
    const scopes: Scope[] = [];
    // stack[depth] = index of the nearest enclosing scope for children at that depth (-1: none)
    const stack: number[] = [-1];
    while (r.pos < unit.end) {
      const dieOffset = r.pos;
      const code = r.uleb();
      if (code === 0) {
        stack.pop();
        if (stack.length === 0) break;
        continue;
      }
      const ab = abbrevs.get(code);
      if (!ab) throw new DecodeError(`unknown abbreviation ${code} at 0x${dieOffset.toString(16)}`);
      const enclosing = stack[stack.length - 1]!;
      let self = enclosing;
      if (ab.tag === DW_TAG.subprogram || ab.tag === DW_TAG.inlined_subroutine) {
        // Only an inlined call nests in another scope; a subprogram with code stands alone.
        const parent = ab.tag === DW_TAG.inlined_subroutine ? enclosing : -1;
        const s = this.readScope(r, ab, unit, dieOffset, parent);
        if (s) {
          self = scopes.length;
          scopes.push(s);
          if (parent >= 0) scopes[parent]!.children.push(self);
        }
      } else if (ab.fixedSize >= 0) {
        r.skip(ab.fixedSize);
      } else {
        for (const a of ab.attrs) if (a.form !== DW_FORM.implicit_const) skipForm(r, a.form, ctx);
      }
      if (ab.hasChildren) stack.push(self);
    }
    return indexScopes(scopes);
  }

  /** Reads a subprogram / inlined_subroutine DIE; undefined when it owns no code. */
  private readScope(r: ByteReader, ab: Abbrev, unit: CompileUnit, dieOffset: number, parent: number): Scope | undefined {
    const ctx = unit.ctx;
    let low: number | undefined;
    let highForm = 0;
    let highRaw: RawValue = null;
    let rangesForm = 0;
    let rangesRaw: RawValue = null;
    let callFile = 0;
    let callLine = 0;
    let callColumn = 0;
    for (const a of ab.attrs) {
      switch (a.name) {
        case DW_AT.low_pc:
          low = resolveAddress(ctx, a.form, readForm(r, a.form, ctx, a.implicitConst));
          break;
        case DW_AT.high_pc:
          highForm = a.form;
          highRaw = readForm(r, a.form, ctx, a.implicitConst);
          break;
        case DW_AT.ranges:
          rangesForm = a.form;
          rangesRaw = readForm(r, a.form, ctx, a.implicitConst);
          break;
        case DW_AT.call_file:
          callFile = numberOr0(readForm(r, a.form, ctx, a.implicitConst));
          break;
        case DW_AT.call_line:
          callLine = numberOr0(readForm(r, a.form, ctx, a.implicitConst));
          break;
        case DW_AT.call_column:
          callColumn = numberOr0(readForm(r, a.form, ctx, a.implicitConst));
          break;
        default:
          if (a.form !== DW_FORM.implicit_const) skipForm(r, a.form, ctx);
      }
    }
    let ranges: number[];
    if (rangesForm !== 0) ranges = this.readRanges(unit, rangesForm, rangesRaw);
    else if (low !== undefined && highForm !== 0) ranges = pcRange(ctx, low, highForm, highRaw);
    else return undefined;
    // A scope's range past 4 GiB is clamped, not dropped: the later-start rule of the address map (indexScopes) keeps
    // it from claiming its siblings' code, and dropping it would lose a frame llvm-symbolizer shows.
    ranges = liveRanges(ranges, true);
    if (ranges.length === 0) return undefined;
    return {
      dieOffset,
      inlined: ab.tag === DW_TAG.inlined_subroutine,
      ranges,
      parent,
      children: [],
      callFile,
      callLine,
      callColumn,
    };
  }

  /** Reads a DW_AT_ranges list: .debug_ranges (v2–4) or .debug_rnglists (v5). */
  private readRanges(unit: CompileUnit, form: number, raw: RawValue): number[] {
    if (typeof raw !== 'number') return [];
    const ctx = unit.ctx;
    if (ctx.version < 5) return readDebugRanges(this.sections.ranges, raw, ctx.addrSize, unit.baseAddress);
    let offset = raw;
    if (form === DW_FORM.rnglistx) {
      const lists = this.sections.rnglists;
      if (!lists) throw new DecodeError('DW_FORM_rnglistx without .debug_rnglists');
      const base = ctx.rnglistsBase ?? (ctx.offsetSize === 8 ? 20 : 12);
      const r = new ByteReader(lists);
      r.pos = base + raw * ctx.offsetSize;
      offset = base + r.uint(ctx.offsetSize);
    }
    return readRnglist(this.sections.rnglists, offset, ctx, unit.baseAddress);
  }

  /** The unit containing .debug_info offset `offset` (binary search over unit headers). */
  private unitContaining(offset: number): CompileUnit | undefined {
    let lo = 0;
    let hi = this.units.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const u = this.units[mid]!;
      if (offset < u.offset) hi = mid - 1;
      else if (offset >= u.end) lo = mid + 1;
      else return u;
    }
    return undefined;
  }

  /** Reads the name attributes of the DIE at `dieOffset` (cached by the caller's chain). */
  private dieNames(dieOffset: number): DieNames | undefined {
    const unit = this.unitContaining(dieOffset);
    if (!unit || dieOffset < unit.dieOffset) return undefined;
    try {
      const ctx = unit.ctx;
      const r = new ByteReader(this.sections.info!, dieOffset, unit.end);
      const ab = this.abbrevsFor(unit).get(r.uleb());
      if (!ab) return undefined;
      const out: DieNames = {};
      let spec: number | undefined;
      for (const a of ab.attrs) {
        switch (a.name) {
          case DW_AT.name:
            out.name = resolveString(ctx, a.form, readForm(r, a.form, ctx, a.implicitConst));
            break;
          case DW_AT.linkage_name:
          case DW_AT.MIPS_linkage_name:
            out.linkageName = resolveString(ctx, a.form, readForm(r, a.form, ctx, a.implicitConst));
            break;
          case DW_AT.abstract_origin:
            out.origin = refTarget(unit, a.form, readForm(r, a.form, ctx, a.implicitConst));
            break;
          case DW_AT.specification:
            spec = refTarget(unit, a.form, readForm(r, a.form, ctx, a.implicitConst));
            break;
          default:
            if (a.form !== DW_FORM.implicit_const) skipForm(r, a.form, ctx);
        }
      }
      out.origin ??= spec;
      return out;
    } catch (e) {
      this.warnings.push(`.debug_info DIE at 0x${dieOffset.toString(16)}: ${(e as Error).message}`);
      return undefined;
    }
  }

  /** Cached functionNameOf for callers that ask repeatedly. */
  cachedFunctionName(dieOffset: number, demangle: (s: string) => string): string | undefined {
    if (this.nameCache.has(dieOffset)) return this.nameCache.get(dieOffset);
    const n = this.functionNameOf(dieOffset);
    const out = n ? (n[1] ? demangle(n[0]) : n[0]) : undefined;
    this.nameCache.set(dieOffset, out);
    return out;
  }
}

/** Parses the abbreviation table at `offset`. */
function parseAbbrevs(section: Uint8Array | undefined, offset: number, ctx: FormContext): Map<number, Abbrev> {
  if (!section) throw new DecodeError('.debug_abbrev absent');
  const r = new ByteReader(section, offset, section.length);
  const m = new Map<number, Abbrev>();
  for (let d = readAbbrevDecl(r); d !== null; d = readAbbrevDecl(r)) {
    let fixedSize = 0;
    for (const { form } of d.attrs) {
      const size = fixedFormSize(form, ctx);
      fixedSize = size < 0 || fixedSize < 0 ? -1 : fixedSize + size;
    }
    m.set(d.code, { tag: d.tag, hasChildren: d.hasChildren, attrs: d.attrs, fixedSize });
  }
  return m;
}

/** Reads one abbreviation declaration at `r`; null at the 0 code that ends a unit's table. */
function readAbbrevDecl(r: ByteReader): { code: number; tag: number; hasChildren: boolean; attrs: AbbrevAttr[] } | null {
  const code = r.uleb();
  if (code === 0) return null;
  const tag = r.uleb();
  const hasChildren = r.u8() !== 0;
  const attrs: AbbrevAttr[] = [];
  for (;;) {
    const name = r.uleb();
    const form = r.uleb();
    if (name === 0 && form === 0) return { code, tag, hasChildren, attrs };
    const implicitConst = form === DW_FORM.implicit_const ? r.sleb() : 0;
    attrs.push({ name, form, implicitConst });
  }
}

/** Size of a form's value when it does not depend on the value, else -1. */
function fixedFormSize(form: number, ctx: FormContext): number {
  switch (form) {
    case DW_FORM.addr: return ctx.addrSize;
    case DW_FORM.data1: case DW_FORM.ref1: case DW_FORM.flag: case DW_FORM.strx1: case DW_FORM.addrx1: return 1;
    case DW_FORM.data2: case DW_FORM.ref2: case DW_FORM.strx2: case DW_FORM.addrx2: return 2;
    case DW_FORM.strx3: case DW_FORM.addrx3: return 3;
    case DW_FORM.data4: case DW_FORM.ref4: case DW_FORM.ref_sup4: case DW_FORM.strx4: case DW_FORM.addrx4: return 4;
    case DW_FORM.data8: case DW_FORM.ref8: case DW_FORM.ref_sig8: case DW_FORM.ref_sup8: return 8;
    case DW_FORM.data16: return 16;
    case DW_FORM.strp: case DW_FORM.line_strp: case DW_FORM.sec_offset: case DW_FORM.strp_sup:
    case DW_FORM.GNU_ref_alt: case DW_FORM.GNU_strp_alt:
      return ctx.offsetSize;
    case DW_FORM.ref_addr: return ctx.version <= 2 ? ctx.addrSize : ctx.offsetSize;
    case DW_FORM.flag_present: case DW_FORM.implicit_const: return 0;
    default: return -1;
  }
}

/** [low, high) from DW_AT_low_pc and DW_AT_high_pc (an address, or an offset from low_pc). */
function pcRange(ctx: FormContext, low: number, highForm: number, highRaw: RawValue): number[] {
  if (typeof highRaw !== 'number') return [];
  const isAddress = highForm === DW_FORM.addr || highForm === DW_FORM.addrx || highForm === DW_FORM.addrx1 ||
    highForm === DW_FORM.addrx2 || highForm === DW_FORM.addrx3 || highForm === DW_FORM.addrx4 ||
    highForm === DW_FORM.GNU_addr_index;
  const high = isAddress ? resolveAddress(ctx, highForm, highRaw)! : low + highRaw;
  return [low, high];
}

/**
 * Drops empty ranges, ranges of dead code (start 0 or a tombstone) and ranges that end past 4 GiB
 * (no Wasm32 code is there: Binaryen's DWARF rewriting leaves such `high_pc`s behind, and taking
 * a unit's at face value would claim every later address). With `clampPast4GiB`, such a range
 * ends at 4 GiB instead.
 */
function liveRanges(ranges: number[], clampPast4GiB = false): number[] {
  const out: number[] = [];
  for (let i = 0; i < ranges.length; i += 2) {
    const lo = ranges[i]!;
    let hi = ranges[i + 1]!;
    if (clampPast4GiB && hi > 0xffffffff) hi = 0xffffffff;
    if (lo < hi && lo !== 0 && lo < TOMBSTONE_MIN && hi <= 0xffffffff) out.push(lo, hi);
  }
  return out;
}

/** .debug_ranges (v2–4): (begin, end) pairs relative to the base; (max, b) sets the base; (0, 0) ends. */
function readDebugRanges(section: Uint8Array | undefined, offset: number, addrSize: number, base: number): number[] {
  if (!section) throw new DecodeError('DW_AT_ranges without .debug_ranges');
  const r = new ByteReader(section, offset, section.length);
  const max = addrSize === 8 ? Number.MAX_SAFE_INTEGER : 0xffffffff;
  const out: number[] = [];
  for (;;) {
    const a = readAddr(r, addrSize);
    const b = readAddr(r, addrSize);
    if (a === 0 && b === 0) break;
    if (a >= max) {
      base = b;
      continue;
    }
    out.push(base + a, base + b);
  }
  return out;
}

/** .debug_rnglists (v5) entries at `offset`. */
function readRnglist(section: Uint8Array | undefined, offset: number, ctx: UnitContext, base: number): number[] {
  if (!section) throw new DecodeError('DW_AT_ranges without .debug_rnglists');
  const r = new ByteReader(section, offset, section.length);
  const out: number[] = [];
  for (;;) {
    const kind = r.u8();
    switch (kind) {
      case DW_RLE.end_of_list:
        return out;
      case DW_RLE.base_addressx:
        base = addressAtIndex(ctx, r.uleb());
        break;
      case DW_RLE.startx_endx: {
        const a = addressAtIndex(ctx, r.uleb());
        out.push(a, addressAtIndex(ctx, r.uleb()));
        break;
      }
      case DW_RLE.startx_length: {
        const a = addressAtIndex(ctx, r.uleb());
        out.push(a, a + r.uleb());
        break;
      }
      case DW_RLE.offset_pair: {
        const a = r.uleb();
        out.push(base + a, base + r.uleb());
        break;
      }
      case DW_RLE.base_address:
        base = readAddr(r, ctx.addrSize);
        break;
      case DW_RLE.start_end: {
        const a = readAddr(r, ctx.addrSize);
        out.push(a, readAddr(r, ctx.addrSize));
        break;
      }
      case DW_RLE.start_length: {
        const a = readAddr(r, ctx.addrSize);
        out.push(a, a + r.uleb());
        break;
      }
      default:
        throw new DecodeError(`unknown range list entry kind ${kind}`);
    }
  }
}

/** An address of `size` bytes; 64-bit values above 2^53 (tombstones) saturate. */
function readAddr(r: ByteReader, size: number): number {
  if (size !== 8) return r.uint(size);
  const lo = r.u32();
  const hi = r.u32();
  return hi > 0x1fffff ? Number.MAX_SAFE_INTEGER : hi * 0x1_0000_0000 + lo;
}

/** The .debug_info offset a reference attribute points at (undefined for type-unit signatures). */
function refTarget(unit: CompileUnit, form: number, raw: RawValue): number | undefined {
  if (typeof raw !== 'number') return undefined;
  switch (form) {
    case DW_FORM.ref1: case DW_FORM.ref2: case DW_FORM.ref4: case DW_FORM.ref8: case DW_FORM.ref_udata:
      return unit.offset + raw;
    case DW_FORM.ref_addr:
      return raw;
    default:
      return undefined;
  }
}

function numberOr0(v: RawValue): number {
  return typeof v === 'number' ? v : 0;
}

/** True when one of the [lo, hi) pairs contains `address`. */
export function rangesContain(ranges: readonly number[], address: number): boolean {
  for (let i = 0; i < ranges.length; i += 2) if (address >= ranges[i]! && address < ranges[i + 1]!) return true;
  return false;
}

/**
 * Builds the address map of a unit's scopes as llvm-symbolizer does (DWARFUnit::updateAddressDieMap):
 * scopes in DIE order, each range laid over the entry it starts in, which it splits; a later start
 * wins. With nested, disjoint ranges this is plain containment; with the overlapping ranges that
 * Binaryen's DWARF rewriting leaves (high_pcs far past the code) it gives the frames a debugger shows.
 */
function indexScopes(scopes: Scope[]): UnitScopes {
  const starts: number[] = [];
  const ends: number[] = [];
  const owners: number[] = [];
  const set = (start: number, end: number, owner: number): void => {
    const at = lastAtOrBefore(starts, start);
    if (at >= 0 && starts[at] === start) {
      ends[at] = end;
      owners[at] = owner;
    } else {
      starts.splice(at + 1, 0, start);
      ends.splice(at + 1, 0, end);
      owners.splice(at + 1, 0, owner);
    }
  };
  scopes.forEach((scope, i) => {
    for (let k = 0; k < scope.ranges.length; k += 2) {
      const lo = scope.ranges[k]!;
      const hi = scope.ranges[k + 1]!;
      const b = lastAtOrBefore(starts, lo);
      if (b >= 0 && lo < ends[b]!) {
        const [bStart, bEnd, bOwner] = [starts[b]!, ends[b]!, owners[b]!];
        if (hi < bEnd) set(hi, bEnd, bOwner);
        if (lo > bStart) ends[b] = lo;
      }
      set(lo, hi, i);
    }
  });
  return { scopes, starts: Uint32Array.from(starts), ends: Uint32Array.from(ends), owners: Int32Array.from(owners) };
}

/**
 * Whether any abbreviation in `.debug_abbrev` can carry a linkage name (DW_AT_linkage_name, or
 * the older DW_AT_MIPS_linkage_name): C++ and Rust units have them, C units have none. The only
 * names the DWARF side demangles are linkage names (cachedFunctionName), so without them the
 * demangler is not needed for DWARF. A malformed section answers true: load it to be safe.
 */
export function abbrevsHaveLinkageNames(section: Uint8Array): boolean {
  try {
    const r = new ByteReader(section, 0, section.length);
    while (r.remaining > 0) {
      const d = readAbbrevDecl(r); // null: the end of one unit's table; another may follow
      if (d?.attrs.some((a) => a.name === DW_AT.linkage_name || a.name === DW_AT.MIPS_linkage_name)) return true;
    }
    return false;
  } catch {
    return true;
  }
}
