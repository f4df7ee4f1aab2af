// A bounds-checked cursor over bytes: little-endian integers, LEB128, strings.
// Every read past `end` throws DecodeError, so a truncated section is an error
// the caller can catch and turn into a warning, never a read of garbage.

/** Raised when bytes do not decode: truncated, malformed, or an unsupported variant. */
export class DecodeError extends Error {
  override name = 'DecodeError';
}

const utf8 = new TextDecoder('utf-8');

/** Decodes UTF-8 bytes (invalid sequences become U+FFFD). */
export function decodeUtf8(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}

/** A cursor over `bytes[start, end)`; `pos` is an index into `bytes`. */
export class ByteReader {
  readonly bytes: Uint8Array;
  readonly end: number;
  pos: number;

  constructor(bytes: Uint8Array, start = 0, end = bytes.length) {
    if (start < 0 || end > bytes.length || start > end) {
      throw new DecodeError(`range [${start}, ${end}) outside ${bytes.length} bytes`);
    }
    this.bytes = bytes;
    this.pos = start;
    this.end = end;
  }

  /** Bytes left before `end`. */
  get remaining(): number {
    return this.end - this.pos;
  }

  /** Throws unless `n` more bytes are available. */
  need(n: number): void {
    if (n < 0 || this.pos + n > this.end) {
      throw new DecodeError(`truncated: need ${n} bytes at ${this.pos}, have ${this.end - this.pos}`);
    }
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  u8(): number {
    if (this.pos >= this.end) this.need(1);
    return this.bytes[this.pos++]!;
  }

  u16(): number {
    this.need(2);
    const b = this.bytes;
    const v = b[this.pos]! | (b[this.pos + 1]! << 8);
    this.pos += 2;
    return v;
  }

  u24(): number {
    this.need(3);
    const b = this.bytes;
    const v = b[this.pos]! | (b[this.pos + 1]! << 8) | (b[this.pos + 2]! << 16);
    this.pos += 3;
    return v;
  }

  u32(): number {
    this.need(4);
    const b = this.bytes;
    const p = this.pos;
    const v = (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
    this.pos = p + 4;
    return v;
  }

  /** A u64 as a number; throws above 2^53 (no offset or address in a Wasm module is that large). */
  u64(): number {
    const lo = this.u32();
    const hi = this.u32();
    if (hi > 0x1fffff) throw new DecodeError(`u64 too large at ${this.pos - 8}`);
    return hi * 0x1_0000_0000 + lo;
  }

  /** An unsigned integer of `size` bytes (1, 2, 4 or 8). */
  uint(size: number): number {
    switch (size) {
      case 1: return this.u8();
      case 2: return this.u16();
      case 4: return this.u32();
      case 8: return this.u64();
      default: throw new DecodeError(`unsupported integer size ${size}`);
    }
  }

  /** Unsigned LEB128. Exact up to 2^53; larger values (DWARF constants of 64 or 128 bits) come back
   * rounded, which is harmless: no offset or address of a Wasm module is that large. */
  uleb(): number {
    const b = this.bytes;
    let pos = this.pos;
    let byte = pos < this.end ? b[pos++]! : this.fail();
    if (byte < 0x80) {
      this.pos = pos;
      return byte;
    }
    let result = byte & 0x7f;
    let shift = 7;
    for (;;) {
      byte = pos < this.end ? b[pos++]! : this.fail();
      result += shift < 28 ? (byte & 0x7f) << shift : (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) break;
      shift += 7;
    }
    this.pos = pos;
    return result;
  }

  /** Signed LEB128; exact within ±2^53, rounded beyond (see uleb). */
  sleb(): number {
    const b = this.bytes;
    let pos = this.pos;
    if (pos < this.end && b[pos]! < 0x80) {
      const byte = b[pos]!;
      this.pos = pos + 1;
      return byte & 0x40 ? byte - 0x80 : byte;
    }
    let result = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = pos < this.end ? b[pos++]! : this.fail();
      result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte >= 0x80);
    if (byte & 0x40) result -= 2 ** shift;
    this.pos = pos;
    return result;
  }

  /** A NUL-terminated UTF-8 string (the NUL is consumed). */
  cstring(): string {
    const start = this.pos;
    const nul = this.bytes.indexOf(0, start);
    if (nul < 0 || nul >= this.end) throw new DecodeError(`unterminated string at ${start}`);
    this.pos = nul + 1;
    return decodeUtf8(this.bytes.subarray(start, nul));
  }

  /** `n` raw bytes (a view, not a copy). */
  bytesOf(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A Wasm `name`: LEB128 length, then UTF-8. */
  name(): string {
    return decodeUtf8(this.bytesOf(this.uleb()));
  }

  private fail(): never {
    throw new DecodeError(`truncated LEB128 at ${this.pos}`);
  }
}

/** Reads a NUL-terminated string at `offset` in a string section (.debug_str, .debug_line_str). */
export function stringAt(section: Uint8Array | undefined, offset: number, what: string): string {
  if (!section) throw new DecodeError(`${what} needed but absent`);
  if (offset < 0 || offset >= section.length) throw new DecodeError(`${what} offset ${offset} out of range`);
  const nul = section.indexOf(0, offset);
  if (nul < 0) throw new DecodeError(`unterminated string in ${what} at ${offset}`);
  return decodeUtf8(section.subarray(offset, nul));
}
