/**
 * Byte offsets of every call instruction in the original module's code section.
 *
 * Binaryen's IR does not keep the byte offsets of the code it read, and symbolization needs
 * them: DWARF and browsers locate a Wasm instruction by its offset. This decoder walks the
 * original function bodies instruction by instruction and records each call's offset (from the
 * start of the code section's payload, the address DWARF uses for Wasm) and its callee.
 * `sites.ts` then pairs these with the calls Binaryen shows, which come in the same order.
 */

/** One call instruction of the original code. */
export interface CallInstruction {
  /** Offset from the start of the code section payload. */
  codeOffset: number;
  /** Called function index, or -1 for call_indirect / call_ref. */
  callee: number;
}

/** Call instructions per defined function (index 0 = first non-imported function). */
export interface CodeCalls {
  functions: CallInstruction[][];
}

class Reader {
  constructor(readonly bytes: Uint8Array, public pos: number) {}

  byte(): number {
    if (this.pos >= this.bytes.length) throw new RangeError('unexpected end of code');
    return this.bytes[this.pos++]!;
  }

  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result >>> 0;
      shift += 7;
      if (shift > 35) throw new RangeError('LEB128 too long');
    }
  }

  /** A signed LEB128 of any width; returns the low 32 bits (enough to recognise type codes). */
  s33(): number {
    let result = 0;
    let shift = 0;
    let b: number;
    do {
      b = this.byte();
      if (shift < 32) result |= (b & 0x7f) << shift;
      shift += 7;
      if (shift > 70) throw new RangeError('LEB128 too long');
    } while (b & 0x80);
    if (shift < 32 && b & 0x40) result |= -1 << shift;
    return result;
  }

  skip(n: number): void {
    this.pos += n;
    if (this.pos > this.bytes.length) throw new RangeError('unexpected end of code');
  }
}

/** Reference type prefixes (ref null ht / ref ht) are followed by a heap type. */
const REF_NULL_PREFIX = -29; // 0x63
const REF_PREFIX = -28; // 0x64

function skipValueType(r: Reader): void {
  const t = r.s33();
  if (t === REF_NULL_PREFIX || t === REF_PREFIX) r.s33();
}

function skipMemarg(r: Reader): void {
  const align = r.u32();
  if (align & 0x40) r.u32(); // multi-memory: explicit memory index
  r.u32();
}

/** SIMD (0xfd) sub-opcodes by immediate shape. */
function skipSimdImmediates(r: Reader, op: number): void {
  if (op <= 11 || op === 92 || op === 93) skipMemarg(r);
  else if (op === 12 || op === 13) r.skip(16);
  else if (op >= 21 && op <= 34) r.skip(1);
  else if (op >= 84 && op <= 91) {
    skipMemarg(r);
    r.skip(1);
  }
}

function skipMiscImmediates(r: Reader, op: number): void {
  switch (op) {
    case 8: case 12: case 14: r.u32(); r.u32(); break; // memory.init, table.init, table.copy
    case 9: case 11: case 13: case 15: case 16: case 17: r.u32(); break;
    case 10: r.u32(); r.u32(); break; // memory.copy
    default: break; // saturating truncations: no immediates
  }
}

/** Decodes one function body's instructions, collecting the calls. */
function decodeBody(r: Reader, end: number, payloadStart: number, out: CallInstruction[]): void {
  const localGroups = r.u32();
  for (let i = 0; i < localGroups; i++) {
    r.u32();
    skipValueType(r);
  }
  while (r.pos < end) {
    const at = r.pos - payloadStart;
    const op = r.byte();
    switch (op) {
      case 0x02: case 0x03: case 0x04: case 0x06: skipValueType(r); break; // block type
      case 0x07: case 0x08: case 0x09: case 0x18: r.u32(); break;
      case 0x0c: case 0x0d: case 0xd5: case 0xd6: r.u32(); break;
      case 0x0e: { const n = r.u32(); for (let i = 0; i <= n; i++) r.u32(); break; }
      case 0x10: out.push({ codeOffset: at, callee: r.u32() }); break;
      case 0x12: r.u32(); break; // return_call: leaves this frame, not a site
      case 0x11: out.push({ codeOffset: at, callee: -1 }); r.u32(); r.u32(); break;
      case 0x13: r.u32(); r.u32(); break;
      case 0x14: out.push({ codeOffset: at, callee: -1 }); r.u32(); break;
      case 0x15: r.u32(); break;
      case 0x1c: { const n = r.u32(); for (let i = 0; i < n; i++) skipValueType(r); break; }
      case 0x1f: {
        skipValueType(r);
        const n = r.u32();
        for (let i = 0; i < n; i++) {
          const kind = r.byte();
          if (kind <= 1) r.u32();
          r.u32();
        }
        break;
      }
      case 0x20: case 0x21: case 0x22: case 0x23: case 0x24: case 0x25: case 0x26: r.u32(); break;
      case 0x3f: case 0x40: r.u32(); break;
      case 0x41: case 0x42: r.s33(); break;
      case 0x43: r.skip(4); break;
      case 0x44: r.skip(8); break;
      case 0xd0: r.s33(); break;
      case 0xd2: r.u32(); break;
      case 0xfc: skipMiscImmediates(r, r.u32()); break;
      case 0xfd: skipSimdImmediates(r, r.u32()); break;
      case 0xfe: { const sub = r.u32(); if (sub === 0x03) r.skip(1); else skipMemarg(r); break; }
      case 0xfb: throw new RangeError('GC instructions are not supported');
      default:
        if (op >= 0x28 && op <= 0x3e) skipMemarg(r);
        break;
    }
  }
}

/**
 * Finds the call instructions of every defined function of `module`. Returns null when the
 * code cannot be decoded (then sites keep an unknown offset and are named by function only).
 */
export function findCallInstructions(module: Uint8Array): CodeCalls | null {
  const r = new Reader(module, 8);
  try {
    while (r.pos < module.length) {
      const id = r.byte();
      const size = r.u32();
      const start = r.pos;
      if (id !== 10) {
        r.skip(size);
        continue;
      }
      const count = r.u32();
      const functions: CallInstruction[][] = [];
      for (let i = 0; i < count; i++) {
        const bodySize = r.u32();
        const bodyEnd = r.pos + bodySize;
        const calls: CallInstruction[] = [];
        decodeBody(r, bodyEnd, start, calls);
        r.pos = bodyEnd;
        functions.push(calls);
      }
      return { functions };
    }
    return { functions: [] };
  } catch {
    return null;
  }
}
