// .debug_line: the line-number programs of all units, run once into flat typed arrays and looked
// up by binary search (DWARF 5 §6.2; versions 2–5 read, as clang and Emscripten emit 4 and 5).
//
//   unit      = unit_length  version  [v5: address_size seg_sel_size]  header_length  params
//               directories  files  program
//   program   = opcodes run on a state machine (address, file, line, column, …); every
//               DW_LNS_copy / special opcode appends a row, DW_LNE_end_sequence closes a sequence.
//
// Storage, shared by every unit (row i is one entry of each row array):
//
//   sequences, sorted by start:  seqStart  seqEnd  seqFirstRow  seqRowCount  seqUnit
//   rows:                        rowAddr   rowLine  rowColumn   rowFile (→ files[])
//
// A lookup finds the sequence with start ≤ address < end, then the *last* row whose address is
// ≤ the address (as llvm-symbolizer and llvm-dwarfdump --lookup do: of several rows at one
// address, the last wins). The end_sequence row is not stored: it only gives seqEnd.
//
// Dropped, never guessed: sequences of dead code (start 0 or a tombstone, or past the code
// section), sequences whose addresses go backwards, sequences overlapping an earlier one, and
// every row of a unit that failed to decode. Each drop is counted in a warning.

import { ByteReader, DecodeError } from '../byteReader.js';
import { lastAtOrBefore } from '../sorted.js';
import { joinPath } from '../paths.js';
import { DW_LNCT, DW_LNE, DW_LNS } from './constants.js';
import { type DwarfSections, type FormContext, readForm, readUnitLength, resolveString } from './forms.js';

/**
 * One unit's header facts. File numbers are DWARF's (v2–4: from 1; v5: from 0); paths are joined
 * (comp_dir, directory, name) only when first asked for: Rust units list hundreds of files each.
 */
export class LineUnit {
  version = 0;
  /** Rows kept from this unit (0 when it failed to decode). */
  rowCount = 0;
  /** @internal Per file number: [directory, name] as the header gives them, or null if unusable. */
  readonly entries: ([string | undefined, string] | null)[] = [];
  /** @internal The comp_dir to join relative directories to. */
  compDir: string | undefined;
  private readonly paths: (string | undefined)[] = [];

  constructor(readonly offset: number) {}

  /** Number of file numbers the header defines (including v4's unused number 0). */
  get fileCount(): number {
    return this.entries.length;
  }

  /** Full path of file number `n` (comp_dir and directory joined), before the `root` rule. */
  file(n: number): string | undefined {
    if (n < this.paths.length && this.paths[n] !== undefined) return this.paths[n];
    const e = this.entries[n];
    if (!e) return undefined;
    const path = joinPath(this.compDir, e[0], e[1]);
    this.paths[n] = path;
    return path;
  }
}

/** A line-table row as a lookup returns it. */
export interface LineRow {
  address: number;
  /** Full path, before the `root` rule. */
  file: string;
  line: number;
  column: number;
  /** Offset of the line-table unit in .debug_line (the CU with that DW_AT_stmt_list owns it). */
  unitOffset: number;
}

/** Growable Uint32Array. */
class U32List {
  data = new Uint32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Uint32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  truncate(n: number): void {
    this.length = n;
  }
  done(): Uint32Array {
    return this.data.slice(0, this.length);
  }
}

/** The four row arrays, grown together (one capacity check per row). */
class RowStore {
  addr: Uint32Array;
  line: Uint32Array;
  column: Uint32Array;
  file: Uint32Array;
  length = 0;
  constructor(capacity: number) {
    this.addr = new Uint32Array(capacity);
    this.line = new Uint32Array(capacity);
    this.column = new Uint32Array(capacity);
    this.file = new Uint32Array(capacity);
  }
  push(addr: number, line: number, column: number, file: number): void {
    const n = this.length;
    if (n === this.addr.length) this.grow();
    this.addr[n] = addr;
    this.line[n] = line;
    this.column[n] = column;
    this.file[n] = file;
    this.length = n + 1;
  }
  private grow(): void {
    const size = this.addr.length * 2;
    const next = (a: Uint32Array): Uint32Array => {
      const b = new Uint32Array(size);
      b.set(a);
      return b;
    };
    this.addr = next(this.addr);
    this.line = next(this.line);
    this.column = next(this.column);
    this.file = next(this.file);
  }
}

/** Per-unit input: the comp_dir of the CU whose DW_AT_stmt_list points at the unit (v4 needs it). */
export interface LineTableInput {
  sections: DwarfSections;
  /** .debug_line offset → the owning CU's DW_AT_comp_dir. */
  compDirs: Map<number, string | undefined>;
  /** Size of the code section's payload: sequences reaching past it are dropped. */
  codeSize?: number;
  /**
   * Ends of the function bodies (code offsets, ascending). A sequence whose rows lie in the code
   * but whose end_sequence address is past it (web-tree-sitter's memset: 0xffffe7d2, a bad end
   * written after the linker) is ended at the end of its last row's function instead of
   * dropped, as LLVM still uses its rows.
   */
  bodyEnds?: readonly number[];
}

const TOMBSTONE_MIN = 0xfffffffe; // wasm-ld writes 0xffffffff (and -2 in .debug_ranges) for dead code

/** The parsed line tables of a module. */
export class LineTable {
  readonly units: LineUnit[];
  readonly warnings: string[];
  /** Distinct file paths; rowFile indexes this. */
  readonly files: string[];
  /** Sequences dropped as dead code (start 0 or a tombstone): normal in linked modules. */
  readonly deadSequences: number;

  private readonly seqStart: Uint32Array;
  private readonly seqEnd: Uint32Array;
  private readonly seqFirstRow: Uint32Array;
  private readonly seqRowCount: Uint32Array;
  private readonly seqUnit: Uint32Array;
  private readonly rowAddr: Uint32Array;
  private readonly rowLine: Uint32Array;
  private readonly rowColumn: Uint32Array;
  private readonly rowFile: Uint32Array;

  /** @internal Use LineTable.parse. */
  constructor(d: LineTableData) {
    this.units = d.units;
    this.warnings = d.warnings;
    this.files = d.files;
    this.deadSequences = d.deadSequences;
    this.seqStart = d.seqStart;
    this.seqEnd = d.seqEnd;
    this.seqFirstRow = d.seqFirstRow;
    this.seqRowCount = d.seqRowCount;
    this.seqUnit = d.seqUnit;
    this.rowAddr = d.rowAddr;
    this.rowLine = d.rowLine;
    this.rowColumn = d.rowColumn;
    this.rowFile = d.rowFile;
  }

  /** Number of rows kept. */
  get rowCount(): number {
    return this.rowAddr.length;
  }

  /** Number of sequences kept. */
  get sequenceCount(): number {
    return this.seqStart.length;
  }

  /** Parses every unit of .debug_line (walking the section, and any stmt_list the walk missed). */
  static parse(input: LineTableInput): LineTable {
    return new LineTableBuilder(input).build();
  }

  /** The row that describes `address`, or undefined when no kept sequence covers it. */
  lookup(address: number): LineRow | undefined {
    const s = this.sequenceIndexAt(address);
    if (s < 0) return undefined;
    const first = this.seqFirstRow[s]!;
    // The sequence's first row starts it, so one of its rows is at or before the address.
    const row = lastAtOrBefore(this.rowAddr, address, first, first + this.seqRowCount[s]! - 1);
    return {
      address: this.rowAddr[row]!,
      file: this.files[this.rowFile[row]!]!,
      line: this.rowLine[row]!,
      column: this.rowColumn[row]!,
      unitOffset: this.units[this.seqUnit[s]!]!.offset,
    };
  }

  /** Index of the sequence with start ≤ address < end, or -1. */
  private sequenceIndexAt(address: number): number {
    const found = lastAtOrBefore(this.seqStart, address);
    return found >= 0 && address < this.seqEnd[found]! ? found : -1;
  }

  /** Every kept row, in address order (for tests and tools). */
  *rows(): Generator<LineRow> {
    for (let s = 0; s < this.seqStart.length; s++) {
      const first = this.seqFirstRow[s]!;
      const unitOffset = this.units[this.seqUnit[s]!]!.offset;
      for (let i = first; i < first + this.seqRowCount[s]!; i++) {
        yield {
          address: this.rowAddr[i]!,
          file: this.files[this.rowFile[i]!]!,
          line: this.rowLine[i]!,
          column: this.rowColumn[i]!,
          unitOffset,
        };
      }
    }
  }
}

/** What the builder hands to the LineTable constructor. */
interface LineTableData {
  units: LineUnit[];
  warnings: string[];
  files: string[];
  deadSequences: number;
  seqStart: Uint32Array;
  seqEnd: Uint32Array;
  seqFirstRow: Uint32Array;
  seqRowCount: Uint32Array;
  seqUnit: Uint32Array;
  rowAddr: Uint32Array;
  rowLine: Uint32Array;
  rowColumn: Uint32Array;
  rowFile: Uint32Array;
}

/** Header fields that drive the line program. */
interface Header {
  version: number;
  offsetSize: 4 | 8;
  addrSize: number;
  minInstLength: number;
  maxOpsPerInst: number;
  defaultIsStmt: boolean;
  lineBase: number;
  lineRange: number;
  opcodeBase: number;
  standardOpcodeLengths: number[];
  programStart: number;
  unitEnd: number;
}

class LineTableBuilder {
  private readonly units: LineUnit[] = [];
  private readonly warnings: string[] = [];
  private readonly files: string[] = [];
  private readonly fileIds = new Map<string, number>();
  private readonly seqStart = new U32List();
  private readonly seqEnd = new U32List();
  private readonly seqFirstRow = new U32List();
  private readonly seqRowCount = new U32List();
  private readonly seqUnit = new U32List();
  /** Sequences whose end was repaired (see LineTableInput.bodyEnds): a well-formed one wins over them. */
  private readonly repaired = new Set<number>();
  private readonly rows: RowStore;
  private dropped = { dead: 0, unordered: 0, overlapping: 0, badFile: 0, badEnd: 0 };
  /** Each unit's directory list, kept for DW_LNE_define_file (v2–4). */
  private readonly unitDirs = new Map<LineUnit, (string | undefined)[]>();

  constructor(private readonly input: LineTableInput) {
    // clang and rustc line programs take 2–3 bytes per row: start near the final size
    this.rows = new RowStore(Math.max(4096, (input.sections.line?.length ?? 0) >> 1));
  }

  build(): LineTable {
    const line = this.input.sections.line;
    if (!line) return this.finish();
    const seen = new Set<number>();
    let offset = 0;
    while (offset + 4 <= line.length) {
      seen.add(offset);
      const next = this.parseUnit(line, offset);
      if (next === undefined) break; // the unit's length is unusable: nothing after it can be trusted
      offset = next;
    }
    for (const stmt of [...this.input.compDirs.keys()].sort((a, b) => a - b)) {
      if (!seen.has(stmt)) {
        seen.add(stmt);
        this.parseUnit(line, stmt);
      }
    }
    return this.finish();
  }

  /** Parses the unit at `offset`; returns the next unit's offset, or undefined if unknowable. */
  private parseUnit(line: Uint8Array, offset: number): number | undefined {
    const rowsBefore = this.rows.length;
    const seqBefore = this.seqStart.length;
    const unit = new LineUnit(offset);
    const unitIndex = this.units.length;
    let next: number | undefined;
    try {
      const r = new ByteReader(line, offset, line.length);
      const { offsetSize, end: unitEnd } = readUnitLength(r);
      next = unitEnd;
      const ur = new ByteReader(line, r.pos, unitEnd);
      const header = this.parseHeader(ur, offsetSize, unitEnd, unit);
      this.units.push(unit);
      this.runProgram(ur, header, unit, unitIndex);
    } catch (e) {
      // Drop everything this unit produced: a unit that does not decode is not trusted at all.
      this.truncateRows(rowsBefore);
      for (const l of [this.seqStart, this.seqEnd, this.seqFirstRow, this.seqRowCount, this.seqUnit]) l.truncate(seqBefore);
      if (this.units.length > unitIndex) this.units.length = unitIndex;
      this.warnings.push(`.debug_line unit at 0x${offset.toString(16)}: ${(e as Error).message}; its lines are not used`);
      return next;
    }
    unit.rowCount = this.rows.length - rowsBefore;
    return next;
  }

  private parseHeader(r: ByteReader, offsetSize: 4 | 8, unitEnd: number, unit: LineUnit): Header {
    const version = r.u16();
    if (version < 2 || version > 5) throw new DecodeError(`unsupported line table version ${version}`);
    unit.version = version;
    let addrSize = 4;
    if (version >= 5) {
      addrSize = r.u8();
      const segSelSize = r.u8();
      if (segSelSize !== 0) throw new DecodeError(`segment selectors (size ${segSelSize}) unsupported`);
    }
    const headerLength = r.uint(offsetSize);
    const programStart = r.pos + headerLength;
    if (programStart > unitEnd) throw new DecodeError('header_length past the end of the unit');
    const minInstLength = r.u8();
    const maxOpsPerInst = version >= 4 ? r.u8() : 1;
    if (maxOpsPerInst !== 1) throw new DecodeError(`VLIW line programs (max_ops_per_inst ${maxOpsPerInst}) unsupported`);
    const defaultIsStmt = r.u8() !== 0;
    const lineBaseByte = r.u8();
    const lineBase = lineBaseByte >= 0x80 ? lineBaseByte - 0x100 : lineBaseByte;
    const lineRange = r.u8();
    if (lineRange === 0) throw new DecodeError('line_range is 0');
    const opcodeBase = r.u8();
    if (opcodeBase === 0) throw new DecodeError('opcode_base is 0');
    const standardOpcodeLengths: number[] = [];
    for (let i = 1; i < opcodeBase; i++) standardOpcodeLengths.push(r.u8());
    const compDir = this.input.compDirs.get(unit.offset);
    if (version >= 5) this.readV5Entries(r, { version, offsetSize, addrSize, sections: this.input.sections }, unit);
    else this.readV4Entries(r, compDir, unit);
    return {
      version, offsetSize, addrSize, minInstLength, maxOpsPerInst, defaultIsStmt, lineBase, lineRange,
      opcodeBase, standardOpcodeLengths, programStart, unitEnd,
    };
  }

  /** v2–4: include_directories (index 0 = comp_dir, implicit) and file_names, each list ended by "". */
  private readV4Entries(r: ByteReader, compDir: string | undefined, unit: LineUnit): void {
    const dirs: (string | undefined)[] = [compDir];
    for (;;) {
      const d = r.cstring();
      if (d === '') break;
      dirs.push(d);
    }
    unit.compDir = compDir;
    unit.entries.push(null); // file numbers start at 1
    for (;;) {
      const name = r.cstring();
      if (name === '') break;
      const dirIndex = r.uleb();
      r.uleb(); // mtime
      r.uleb(); // length
      unit.entries.push(dirIndex < dirs.length ? [dirs[dirIndex], name] : null);
    }
    this.unitDirs.set(unit, dirs);
  }

  /** v5: self-describing directory and file entries; directory 0 is the comp_dir, file 0 the primary source. */
  private readV5Entries(r: ByteReader, u: FormContext, unit: LineUnit): void {
    const readFormats = (): [number, number][] => {
      const n = r.u8();
      const formats: [number, number][] = [];
      for (let i = 0; i < n; i++) formats.push([r.uleb(), r.uleb()]);
      return formats;
    };
    const readEntries = (formats: [number, number][]): { path?: string; dir: number }[] => {
      const count = r.uleb();
      const out: { path?: string; dir: number }[] = [];
      for (let i = 0; i < count; i++) {
        const e: { path?: string; dir: number } = { dir: 0 };
        for (const [content, form] of formats) {
          const raw = readForm(r, form, u);
          if (content === DW_LNCT.path) e.path = resolveString(u, form, raw);
          else if (content === DW_LNCT.directory_index && typeof raw === 'number') e.dir = raw;
        }
        out.push(e);
      }
      return out;
    };
    const dirs = readEntries(readFormats()).map((e) => e.path);
    unit.compDir = dirs[0];
    for (const f of readEntries(readFormats())) {
      unit.entries.push(f.path === undefined || f.dir >= dirs.length ? null : [dirs[f.dir], f.path]);
    }
    this.unitDirs.set(unit, dirs);
  }

  private fileId(path: string): number {
    let id = this.fileIds.get(path);
    if (id === undefined) {
      id = this.files.length;
      this.files.push(path);
      this.fileIds.set(path, id);
    }
    return id;
  }

  /** Runs the line program, appending complete, ordered sequences to the row arrays. */
  private runProgram(r: ByteReader, h: Header, unit: LineUnit, unitIndex: number): void {
    r.pos = h.programStart;
    const codeSize = this.input.codeSize;
    const unitFileIds = new Map<number, number>(); // DWARF file number → file id, or -1 if unknown
    const fileIdOf = (n: number): number => {
      let id = unitFileIds.get(n);
      if (id === undefined) {
        const path = unit.file(n);
        id = path === undefined ? -1 : this.fileId(path);
        unitFileIds.set(n, id);
      }
      return id;
    };
    const minInst = h.minInstLength;
    const constAddPc = Math.floor((255 - h.opcodeBase) / h.lineRange) * minInst;

    const rows = this.rows;
    let address = 0;
    let fileId = fileIdOf(1); // the file register, as a file id (-1: unknown number)
    let line = 1;
    let column = 0;
    let seqRowStart = rows.length;
    let seqOrdered = true;
    let seqFilesKnown = true;
    let lastAddr = -1;

    const appendRow = (): void => {
      if (address < lastAddr) seqOrdered = false;
      lastAddr = address;
      if (fileId < 0) seqFilesKnown = false;
      rows.push(address, line, column, fileId < 0 ? 0 : fileId);
    };
    const endSequence = (): void => {
      const count = rows.length - seqRowStart;
      let keep = false;
      if (count > 0) {
        const start = rows.addr[seqRowStart]!;
        if (!seqFilesKnown) this.dropped.badFile++;
        else if (!seqOrdered || address < lastAddr) this.dropped.unordered++;
        else if (address <= start) {
          // an empty sequence covers no address (LLVM drops these too)
        } else if (start !== 0 && codeSize !== undefined && address > codeSize && lastAddr < codeSize && this.functionEndAfter(lastAddr) !== undefined) {
          address = this.functionEndAfter(lastAddr)!;
          this.dropped.badEnd++;
          this.repaired.add(this.seqStart.length);
          keep = true;
        } else if (start === 0 || start >= TOMBSTONE_MIN || (codeSize !== undefined && address > codeSize)) {
          this.dropped.dead++;
        } else keep = true;
      }
      if (keep) {
        this.seqStart.push(rows.addr[seqRowStart]!);
        this.seqEnd.push(address);
        this.seqFirstRow.push(seqRowStart);
        this.seqRowCount.push(count);
        this.seqUnit.push(unitIndex);
      } else {
        this.truncateRows(seqRowStart);
      }
      address = 0;
      fileId = fileIdOf(1);
      line = 1;
      column = 0;
      seqRowStart = rows.length;
      seqOrdered = true;
      seqFilesKnown = true;
      lastAddr = -1;
    };

    const end = h.unitEnd;
    const bytes = r.bytes;
    while (r.pos < end) {
      const op = bytes[r.pos++]!;
      if (op >= h.opcodeBase) {
        const adj = op - h.opcodeBase;
        address += Math.floor(adj / h.lineRange) * minInst;
        line += h.lineBase + (adj % h.lineRange);
        appendRow();
        continue;
      }
      switch (op) {
        case 0: {
          const len = r.uleb();
          if (len === 0) break;
          const subEnd = r.pos + len;
          if (subEnd > end) throw new DecodeError('extended opcode runs past the unit');
          const sub = r.u8();
          switch (sub) {
            case DW_LNE.end_sequence:
              endSequence();
              break;
            case DW_LNE.set_address:
              if (len - 1 === 8) {
                const lo = r.u32();
                // a 64-bit address above 4 GiB is a tombstone in a Wasm module: mark the sequence dead
                address = r.u32() === 0 ? lo : TOMBSTONE_MIN;
              } else address = r.uint(len - 1);
              break;
            case DW_LNE.define_file: {
              const name = r.cstring();
              const dirIndex = r.uleb();
              const dirs = this.unitDirs.get(unit) ?? [];
              unit.entries.push(dirIndex < dirs.length ? [dirs[dirIndex], name] : null);
              break;
            }
            default:
              break; // DW_LNE_set_discriminator and vendor opcodes: skipped by length
          }
          r.pos = subEnd;
          break;
        }
        case DW_LNS.copy:
          appendRow();
          break;
        case DW_LNS.advance_pc:
          address += r.uleb() * minInst;
          break;
        case DW_LNS.advance_line:
          line += r.sleb();
          break;
        case DW_LNS.set_file:
          fileId = fileIdOf(r.uleb());
          break;
        case DW_LNS.set_column:
          column = r.uleb();
          break;
        case DW_LNS.const_add_pc:
          address += constAddPc;
          break;
        case DW_LNS.fixed_advance_pc:
          address += r.u16();
          break;
        case DW_LNS.negate_stmt:
        case DW_LNS.set_basic_block:
        case DW_LNS.set_prologue_end:
        case DW_LNS.set_epilogue_begin:
          break;
        case DW_LNS.set_isa:
          r.uleb();
          break;
        default: {
          // An opcode this version does not define: skip its operands as the header declares.
          const n = h.standardOpcodeLengths[op - 1] ?? 0;
          for (let i = 0; i < n; i++) r.uleb();
        }
      }
    }
    if (rows.length > seqRowStart) {
      // Rows after the last end_sequence: the sequence never closed, so its extent is unknown.
      this.truncateRows(seqRowStart);
      this.warnings.push(`.debug_line unit at 0x${unit.offset.toString(16)}: last sequence has no end; dropped`);
    }
  }

  /** End of the function body holding code offset `at`, if the bodies are known. */
  private functionEndAfter(at: number): number | undefined {
    const ends = this.input.bodyEnds;
    if (ends === undefined) return undefined;
    let lo = 0;
    let hi = ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ends[mid]! > at) hi = mid;
      else lo = mid + 1;
    }
    return ends[lo];
  }

  private truncateRows(n: number): void {
    this.rows.length = n;
  }

  private finish(): LineTable {
    const n = this.seqStart.length;
    const order = Array.from({ length: n }, (_, i) => i);
    const starts = this.seqStart.data;
    const ends = this.seqEnd.data;
    order.sort((a, b) => starts[a]! - starts[b]! || ends[b]! - ends[a]!);
    const keep: number[] = [];
    let lastStart = -1;
    let lastEnd = 0;
    for (const i of order) {
      const previous = keep[keep.length - 1];
      if (starts[i]! < lastEnd && previous !== undefined && this.repaired.has(previous) && starts[i]! > lastStart) {
        // A repaired end is a guess: it stops where a well-formed sequence starts (as LLVM, which
        // looks up the sequence with the greatest start).
        ends[previous] = starts[i]!;
        lastEnd = starts[i]!;
      }
      if (starts[i]! < lastEnd) {
        // The same range twice is one function kept from several units (a COMDAT, e.g. an inline
        // function of a header): the first unit's copy describes it. A partial overlap is an error.
        if (starts[i] !== lastStart || ends[i] !== lastEnd) this.dropped.overlapping++;
        continue;
      }
      keep.push(i);
      lastStart = starts[i]!;
      lastEnd = ends[i]!;
    }
    const pick = (l: U32List): Uint32Array => Uint32Array.from(keep, (i) => l.data[i]!);
    const d = this.dropped;
    if (d.unordered > 0) this.warnings.push(`.debug_line: ${d.unordered} sequence(s) with addresses out of order; dropped`);
    if (d.badFile > 0) this.warnings.push(`.debug_line: ${d.badFile} sequence(s) naming unknown file numbers; dropped`);
    if (d.overlapping > 0) this.warnings.push(`.debug_line: ${d.overlapping} sequence(s) overlap an earlier one; dropped`);
    if (d.badEnd > 0) this.warnings.push(`.debug_line: ${d.badEnd} sequence(s) end past the code; ended with their function`);
    return new LineTable({
      units: this.units,
      warnings: this.warnings,
      files: this.files,
      deadSequences: d.dead,
      seqStart: pick(this.seqStart),
      seqEnd: pick(this.seqEnd),
      seqFirstRow: pick(this.seqFirstRow),
      seqRowCount: pick(this.seqRowCount),
      seqUnit: pick(this.seqUnit),
      rowAddr: this.rows.addr.subarray(0, this.rows.length),
      rowLine: this.rows.line.subarray(0, this.rows.length),
      rowColumn: this.rows.column.subarray(0, this.rows.length),
      rowFile: this.rows.file.subarray(0, this.rows.length),
    });
  }
}
