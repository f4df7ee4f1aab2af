/**
 * Reading and rewriting a module's sections at the byte level, for the small edits Binaryen
 * cannot make (a second memory, a name section of our choosing, extra exports). No
 * binaryen.js here: the host uses it too.
 */
import { InstrumentError } from './errors.js';

/** One section of a module: its id and payload. */
export interface Section {
  id: number;
  /** The section's payload (without id and size). */
  payload: Uint8Array;
}

/** Reads LEB128 numbers, names and constant expressions from a byte array, from `at` on. */
export class Reader {
  at = 0;
  constructor(readonly bytes: Uint8Array) {}
  u8(): number {
    return this.bytes[this.at++]!;
  }
  uleb(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.bytes[this.at++]!;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
  }
  name(): string {
    const n = this.uleb();
    const s = new TextDecoder().decode(this.bytes.subarray(this.at, this.at + n));
    this.at += n;
    return s;
  }
  /** Skips a constant expression (up to and including its `end`). */
  constExpr(): Uint8Array {
    const start = this.at;
    for (;;) {
      const op = this.u8();
      if (op === 0x0b) return this.bytes.slice(start, this.at);
      if (op === 0x41 || op === 0x42) this.sleb();
      else if (op === 0x23) this.uleb();
      else if (op === 0x43) this.at += 4;
      else if (op === 0x44) this.at += 8;
      else if (op === 0x6a || op === 0x6b || op === 0x6c || op === 0x7c || op === 0x7d || op === 0x7e) continue;
      else throw new InstrumentError(`unsupported constant expression opcode 0x${op.toString(16)}`);
    }
  }
  sleb(): void {
    while (this.bytes[this.at++]! & 0x80);
  }
}

/** `value` as unsigned LEB128 bytes. */
export function uleb(value: number): number[] {
  const out: number[] = [];
  do {
    let b = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) b |= 0x80;
    out.push(b);
  } while (value > 0);
  return out;
}

/** A name as the binary format writes it: its UTF-8 length, then its bytes. */
export function nameBytes(s: string): number[] {
  const b = new TextEncoder().encode(s);
  return [...uleb(b.length), ...b];
}

/** The sections of a module, in order (payloads are views into `bytes`). */
export function readSections(bytes: Uint8Array): Section[] {
  const r = new Reader(bytes);
  r.at = 8;
  const sections: Section[] = [];
  while (r.at < bytes.length) {
    const id = r.u8();
    const size = r.uleb();
    sections.push({ id, payload: bytes.subarray(r.at, r.at + size) });
    r.at += size;
  }
  return sections;
}

/** A module made of `sections`, in the order given. */
export function writeModule(sections: Section[]): Uint8Array {
  const parts: number[][] = [[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]];
  let total = 8;
  const chunks: Uint8Array[] = [];
  for (const s of sections) {
    const head = [s.id, ...uleb(s.payload.length)];
    parts.push(head);
    total += head.length + s.payload.length;
    chunks.push(s.payload);
  }
  const out = new Uint8Array(total);
  out.set(parts[0]!, 0);
  let at = 8;
  sections.forEach((_, i) => {
    out.set(parts[i + 1]!, at);
    at += parts[i + 1]!.length;
    out.set(chunks[i]!, at);
    at += chunks[i]!.length;
  });
  return out;
}

/** The name of a custom section, or null for a standard one. */
export function customName(s: Section): string | null {
  return s.id === 0 ? new Reader(s.payload).name() : null;
}

/** Standard section order (custom sections anywhere): where a missing section goes. */
const ORDER = [1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11];

/** Inserts a standard section where the binary format's section order wants it. */
export function insertSection(sections: Section[], section: Section): void {
  const rank = ORDER.indexOf(section.id);
  const at = sections.findIndex((s) => s.id !== 0 && ORDER.indexOf(s.id) > rank);
  sections.splice(at === -1 ? sections.length : at, 0, section);
}

/** A vector section's count and the bytes of its items. */
export function vector(payload: Uint8Array): { count: number; items: Uint8Array } {
  const r = new Reader(payload);
  const count = r.uleb();
  return { count, items: payload.subarray(r.at) };
}

/** A vector: `count`, then the items' bytes as given. */
export function withVector(count: number, ...items: Array<Uint8Array | number[]>): Uint8Array {
  const head = uleb(count);
  const out = new Uint8Array(head.length + items.reduce((n, i) => n + i.length, 0));
  out.set(head, 0);
  let at = head.length;
  for (const i of items) {
    out.set(i, at);
    at += i.length;
  }
  return out;
}
