// Finds every call instruction of a module by decoding its function bodies: the test's own list of
// call sites (function index, code offset of the call opcode, callee), independent of the
// instrumenter. Knows the MVP opcodes and the extensions clang, Emscripten and rustc emit
// (sign extension, saturating truncation, bulk memory, reference types, SIMD, atomics,
// exceptions, tail calls).

import { ByteReader } from '../../../src/symbols/byteReader.js';
import { readWasmModule } from '../../../src/symbols/wasmModule.js';

export interface CallSite {
  funcIndex: number;
  /** Offset of the call opcode from the start of the code section's payload. */
  codeOffset: number;
  /** Callee function index, or -1 for call_indirect. */
  callee: number;
}

/** Every `call` / `call_indirect` / `return_call*` of the module, in code order. */
export function findCalls(bytes: Uint8Array): CallSite[] {
  const info = readWasmModule(bytes);
  if (info.codePayloadStart === undefined) return [];
  const code = info.codePayloadStart;
  const out: CallSite[] = [];
  info.bodies.forEach((body, i) => {
    const funcIndex = info.functionImportCount + i;
    const r = new ByteReader(bytes, code + body.start, code + body.end);
    const groups = r.uleb();
    for (let g = 0; g < groups; g++) {
      r.uleb();
      skipValType(r);
    }
    while (r.pos < r.end) {
      const at = r.pos - code;
      const op = r.u8();
      if (op === 0x10 || op === 0x12) out.push({ funcIndex, codeOffset: at, callee: r.uleb() });
      else if (op === 0x11 || op === 0x13) {
        r.uleb();
        r.uleb();
        out.push({ funcIndex, codeOffset: at, callee: -1 });
      } else skipImmediates(r, op);
    }
  });
  return out;
}

function skipValType(r: ByteReader): void {
  const t = r.u8();
  if (t === 0x63 || t === 0x64) r.sleb(); // (ref null? ht)
}

function skipMemarg(r: ByteReader): void {
  const align = r.uleb();
  if (align & 0x40) r.uleb(); // multi-memory index
  r.uleb();
}

function skipImmediates(r: ByteReader, op: number): void {
  if (op >= 0x28 && op <= 0x3e) return skipMemarg(r);
  if (op >= 0x45 && op <= 0xc4) return; // numeric
  switch (op) {
    case 0x00: case 0x01: case 0x05: case 0x0b: case 0x0f: case 0x19: case 0x1a: case 0x1b: case 0xd1:
      return;
    case 0x02: case 0x03: case 0x04: case 0x06:
      r.sleb(); // block type: empty, value type or type index (s33)
      return;
    case 0x07: case 0x08: case 0x09: case 0x18: case 0x0c: case 0x0d:
    case 0x20: case 0x21: case 0x22: case 0x23: case 0x24: case 0x25: case 0x26: case 0xd2:
      r.uleb();
      return;
    case 0x0e: {
      const n = r.uleb();
      for (let i = 0; i <= n; i++) r.uleb();
      return;
    }
    case 0x1c: {
      const n = r.uleb();
      for (let i = 0; i < n; i++) skipValType(r);
      return;
    }
    case 0x3f: case 0x40:
      r.uleb();
      return;
    case 0x41: case 0x42:
      r.sleb();
      return;
    case 0x43:
      r.skip(4);
      return;
    case 0x44:
      r.skip(8);
      return;
    case 0xd0:
      r.sleb();
      return;
    case 0xfc:
      return skipFc(r, r.uleb());
    case 0xfd:
      return skipSimd(r, r.uleb());
    case 0xfe: {
      const sub = r.uleb();
      if (sub === 0x03) r.u8();
      else skipMemarg(r);
      return;
    }
    default:
      throw new Error(`unknown opcode 0x${op.toString(16)} at ${r.pos - 1}`);
  }
}

function skipFc(r: ByteReader, sub: number): void {
  switch (sub) {
    case 8: case 12: case 14:
      r.uleb();
      r.uleb();
      return;
    case 9: case 13: case 11: case 15: case 16: case 17:
      r.uleb();
      return;
    case 10:
      r.uleb();
      r.uleb();
      return;
    default:
      if (sub <= 7) return;
      throw new Error(`unknown 0xfc opcode ${sub}`);
  }
}

function skipSimd(r: ByteReader, sub: number): void {
  if (sub <= 11 || sub === 92 || sub === 93) return skipMemarg(r);
  if (sub === 12 || sub === 13) return r.skip(16);
  if (sub >= 21 && sub <= 34) return void r.u8();
  if (sub >= 84 && sub <= 91) {
    skipMemarg(r);
    r.u8();
  }
}
