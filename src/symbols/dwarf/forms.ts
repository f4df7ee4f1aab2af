// Attribute forms (DWARF 5 §7.5.6): how many bytes a value takes and how to read it; and a
// unit's initial length. Shared by .debug_info (its units and DIEs) and .debug_line (its units
// and the v5 header's entry formats).

import { ByteReader, DecodeError, stringAt } from '../byteReader.js';
import { DW_FORM } from './constants.js';

/** The DWARF sections of a module, by name without the leading dot. Absent ones are undefined. */
export interface DwarfSections {
  info?: Uint8Array;
  abbrev?: Uint8Array;
  line?: Uint8Array;
  lineStr?: Uint8Array;
  str?: Uint8Array;
  strOffsets?: Uint8Array;
  addr?: Uint8Array;
  ranges?: Uint8Array;
  rnglists?: Uint8Array;
}

/** What reading a form needs to know about the unit it is in. */
export interface FormContext {
  version: number;
  offsetSize: 4 | 8;
  addrSize: number;
  sections: DwarfSections;
  /** DW_AT_str_offsets_base (v5); undefined until known. */
  strOffsetsBase?: number;
  /** DW_AT_addr_base (v5); undefined until known. */
  addrBase?: number;
}

/**
 * A unit's initial length (DWARF 5 §7.4), read at `r.pos`: 32 bits, or 0xffffffff and 64 bits in
 * the 64-bit format. Gives the unit's offset size and where it ends; a reserved length, or a
 * unit longer than what is left before `r.end`, is a DecodeError.
 */
export function readUnitLength(r: ByteReader): { offsetSize: 4 | 8; end: number } {
  let offsetSize: 4 | 8 = 4;
  let length = r.u32();
  if (length === 0xffffffff) {
    offsetSize = 8;
    length = r.u64();
  } else if (length >= 0xfffffff0) throw new DecodeError(`reserved unit length 0x${length.toString(16)}`);
  const end = r.pos + length;
  if (end > r.end) throw new DecodeError(`unit claims ${length} bytes, section has ${r.end - r.pos} left (truncated)`);
  return { offsetSize, end };
}

/** A value as read: a number for constants, addresses, offsets, references and string *indexes*
 * (DW_FORM_strx*: see resolveString); a string for inline and section-offset strings; null for
 * blocks, expressions and 16-byte data, which this reader never needs. */
export type RawValue = number | string | null;

/** True for the forms whose raw value is an index into .debug_str_offsets. */
export function isStrxForm(form: number): boolean {
  return (
    form === DW_FORM.strx ||
    form === DW_FORM.strx1 ||
    form === DW_FORM.strx2 ||
    form === DW_FORM.strx3 ||
    form === DW_FORM.strx4 ||
    form === DW_FORM.GNU_str_index
  );
}

/** True for the forms whose raw value is an index into .debug_addr. */
export function isAddrxForm(form: number): boolean {
  return (
    form === DW_FORM.addrx ||
    form === DW_FORM.addrx1 ||
    form === DW_FORM.addrx2 ||
    form === DW_FORM.addrx3 ||
    form === DW_FORM.addrx4 ||
    form === DW_FORM.GNU_addr_index
  );
}

/** Reads one value of `form`. `implicitConst` is the abbreviation's value for DW_FORM_implicit_const. */
export function readForm(r: ByteReader, form: number, u: FormContext, implicitConst = 0): RawValue {
  switch (form) {
    case DW_FORM.addr: return r.uint(u.addrSize);
    case DW_FORM.data1: case DW_FORM.ref1: case DW_FORM.flag: case DW_FORM.strx1: case DW_FORM.addrx1:
      return r.u8();
    case DW_FORM.data2: case DW_FORM.ref2: case DW_FORM.strx2: case DW_FORM.addrx2:
      return r.u16();
    case DW_FORM.strx3: case DW_FORM.addrx3:
      return r.u24();
    case DW_FORM.data4: case DW_FORM.ref4: case DW_FORM.ref_sup4: case DW_FORM.strx4: case DW_FORM.addrx4:
      return r.u32();
    case DW_FORM.data8: case DW_FORM.ref8: case DW_FORM.ref_sig8: case DW_FORM.ref_sup8:
      return r.u64();
    case DW_FORM.udata: case DW_FORM.ref_udata: case DW_FORM.strx: case DW_FORM.addrx:
    case DW_FORM.loclistx: case DW_FORM.rnglistx: case DW_FORM.GNU_addr_index: case DW_FORM.GNU_str_index:
      return r.uleb();
    case DW_FORM.sdata: return r.sleb();
    case DW_FORM.string: return r.cstring();
    case DW_FORM.strp: return stringAt(u.sections.str, r.uint(u.offsetSize), '.debug_str');
    case DW_FORM.line_strp: return stringAt(u.sections.lineStr, r.uint(u.offsetSize), '.debug_line_str');
    case DW_FORM.ref_addr:
      return r.uint(u.version <= 2 ? u.addrSize : u.offsetSize);
    case DW_FORM.sec_offset: case DW_FORM.strp_sup: case DW_FORM.GNU_ref_alt: case DW_FORM.GNU_strp_alt:
      return r.uint(u.offsetSize);
    case DW_FORM.flag_present: return 1;
    case DW_FORM.implicit_const: return implicitConst;
    case DW_FORM.block1: r.skip(r.u8()); return null;
    case DW_FORM.block2: r.skip(r.u16()); return null;
    case DW_FORM.block4: r.skip(r.u32()); return null;
    case DW_FORM.block: case DW_FORM.exprloc: r.skip(r.uleb()); return null;
    case DW_FORM.data16: r.skip(16); return null;
    case DW_FORM.indirect: {
      const actual = r.uleb();
      if (actual === DW_FORM.indirect) throw new DecodeError('DW_FORM_indirect loop');
      return readForm(r, actual, u, implicitConst);
    }
    default:
      throw new DecodeError(`unknown attribute form 0x${form.toString(16)}`);
  }
}

/** Skips one value of `form` without decoding strings (the hot path of a DIE walk). */
export function skipForm(r: ByteReader, form: number, u: FormContext): void {
  switch (form) {
    case DW_FORM.strp: case DW_FORM.line_strp:
      r.skip(u.offsetSize);
      return;
    case DW_FORM.string: {
      const nul = r.bytes.indexOf(0, r.pos);
      if (nul < 0 || nul >= r.end) throw new DecodeError(`unterminated string at ${r.pos}`);
      r.pos = nul + 1;
      return;
    }
    default:
      readForm(r, form, u);
  }
}

/** Turns a string attribute's raw value into text: DW_FORM_strx* go through .debug_str_offsets. */
export function resolveString(u: FormContext, form: number, raw: RawValue): string | undefined {
  if (typeof raw === 'string') return raw;
  if (typeof raw !== 'number' || !isStrxForm(form)) return undefined;
  const offsets = u.sections.strOffsets;
  if (!offsets) throw new DecodeError('DW_FORM_strx without .debug_str_offsets');
  // Without DW_AT_str_offsets_base, the first contribution's header is assumed (8 bytes in DWARF32).
  const base = u.strOffsetsBase ?? (u.offsetSize === 8 ? 16 : 8);
  const r = new ByteReader(offsets, 0, offsets.length);
  r.pos = base + raw * u.offsetSize;
  return stringAt(u.sections.str, r.uint(u.offsetSize), '.debug_str');
}

/** Turns an address attribute's raw value into an address: DW_FORM_addrx* go through .debug_addr. */
export function resolveAddress(u: FormContext, form: number, raw: RawValue): number | undefined {
  if (typeof raw !== 'number') return undefined;
  if (!isAddrxForm(form)) return raw;
  return addressAtIndex(u, raw);
}

/** The address at `index` in this unit's .debug_addr contribution. */
export function addressAtIndex(u: FormContext, index: number): number {
  const addr = u.sections.addr;
  if (!addr) throw new DecodeError('DW_FORM_addrx without .debug_addr');
  const base = u.addrBase ?? (u.offsetSize === 8 ? 16 : 8);
  const r = new ByteReader(addr, 0, addr.length);
  r.pos = base + index * u.addrSize;
  return r.uint(u.addrSize);
}
