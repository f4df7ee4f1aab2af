// The snapshot dump format, version 1: bytes in, bytes out, for Node and browsers alike.
// docs/snapshot-format.md is the specification; this file implements it.
//
//   offset  size  field
//   ┌──────┬─────┬──────────────────────────────────────────────────────────────┐
//   │ 0    │ 8   │ magic 89 57 54 4D 0D 0A 1A 0A  ("\x89WTM\r\n\x1a\n")        │
//   │ 8    │ 4   │ version, u32 LE (1)                                          │
//   │ 12   │ 8   │ payload length in bytes, u64 LE (high half < 2^21)           │
//   │ 20   │ 4   │ CRC-32 of the payload (IEEE 802.3, the one zlib computes)    │
//   │ 24   │ …   │ payload                                                      │
//   └──────┴─────┴──────────────────────────────────────────────────────────────┘
//   payload (varint = unsigned LEB128, at most 8 bytes, value ≤ 2^53 − 1;
//            str = varint byte length + UTF-8; f64 = IEEE 754 LE):
//     meta        varint flags (bit 0 tracedCurrent, bit 1 tracedPeak, bit 2 timestamp)
//                 varint tracebackLimit, str moduleName, varint n + n bytes moduleHash,
//                 [varint tracedCurrent] [varint tracedPeak] [f64 timestamp],
//                 f64 samplingInterval
//     strings     varint count, count × str
//     frames      varint count, count × (varint string index, varint lineno)
//     tracebacks  varint count, count × (varint nframes ≥ 1, varint totalNframe + 1 (0 =
//                 unknown), nframes × varint frame index, most recent first)
//     traces      varint count, count × (varint traceback index, varint size)

import { makeMeta, type SnapshotMeta } from './meta.js';
import { StoreBuilder, TraceStore, UNKNOWN_TOTAL } from './store.js';

/** The 8 magic bytes that open every snapshot file. */
export const MAGIC = Uint8Array.of(0x89, 0x57, 0x54, 0x4d, 0x0d, 0x0a, 0x1a, 0x0a);
/** The format version this build writes and reads. */
export const FORMAT_VERSION = 1;
/** Size of the fixed header before the payload. */
export const HEADER_SIZE = 24;

const FLAG_CURRENT = 1;
const FLAG_PEAK = 2;
const FLAG_TIMESTAMP = 4;
const KNOWN_FLAGS = FLAG_CURRENT | FLAG_PEAK | FLAG_TIMESTAMP;

/** Why a byte string is not a snapshot this build can read. */
export type SnapshotFormatErrorCode =
  | 'bad-magic'
  | 'truncated'
  | 'unsupported-version'
  | 'checksum-mismatch'
  | 'trailing-bytes'
  | 'malformed';

/** Thrown when bytes cannot be read as a snapshot; nothing partial is ever returned. */
export class SnapshotFormatError extends Error {
  constructor(
    readonly code: SnapshotFormatErrorCode,
    message: string,
    /** Byte offset where the problem was found, when there is one. */
    readonly offset?: number,
  ) {
    super(message);
    this.name = 'SnapshotFormatError';
  }
}

// ── CRC-32 (reflected polynomial 0xEDB88320), slicing by 4 ─────────────────────────────────

const CRC_TABLES = (() => {
  const t = new Uint32Array(4 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let s = 1; s < 4; s++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[s * 256 + n] = c >>> 0;
    }
  }
  return t;
})();

/** CRC-32 of `bytes[start, end)`, the checksum zlib and PNG use. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const t = CRC_TABLES;
  let c = 0xffffffff;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    c ^= bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    c = t[768 + (c & 0xff)]! ^ t[512 + ((c >>> 8) & 0xff)]! ^ t[256 + ((c >>> 16) & 0xff)]! ^ t[c >>> 24]!;
  }
  for (; i < end; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ── writing ────────────────────────────────────────────────────────────────────────────────

class Writer {
  buf: Uint8Array;
  pos = 0;
  constructor(capacity: number) {
    this.buf = new Uint8Array(Math.max(64, capacity));
  }
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }
  varint(v: number): void {
    this.ensure(8);
    const b = this.buf;
    let p = this.pos;
    while (v >= 0x80) {
      b[p++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    b[p++] = v;
    this.pos = p;
  }
  bytes(data: Uint8Array): void {
    this.ensure(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }
  str(s: string): void {
    const data = ENCODER.encode(s);
    this.varint(data.length);
    this.bytes(data);
  }
  f64(v: number): void {
    this.ensure(8);
    new DataView(this.buf.buffer, this.buf.byteOffset).setFloat64(this.pos, v, true);
    this.pos += 8;
  }
}

/** Bytes of the varint of v (0 ≤ v < 2^53). */
function varintLength(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  let n = 4;
  v = Math.floor(v / 0x10000000);
  while (v > 0) {
    n++;
    v = Math.floor(v / 0x80);
  }
  return n;
}

const ENCODER = new TextEncoder();
const DECODER = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** What a snapshot is made of, as the format sees it. */
export interface SnapshotParts {
  readonly store: TraceStore;
  readonly traceTb: Uint32Array;
  readonly traceSize: Float64Array;
  readonly meta: SnapshotMeta;
}

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function bytesToHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** Encodes a snapshot; only the tracebacks, frames and strings its traces use are written. */
export function encodeSnapshot(parts: SnapshotParts): Uint8Array {
  const { store, traceTb, traceSize, meta } = parts;
  const n = traceTb.length;
  // compact: number the used tracebacks, frames and files in store order
  const tbNew = new Int32Array(store.tracebackCount).fill(-1);
  for (let i = 0; i < n; i++) tbNew[traceTb[i]!] = 0;
  const frameNew = new Int32Array(store.frameFile.length).fill(-1);
  const fileNew = new Int32Array(store.filenames.length).fill(-1);
  const usedTb: number[] = [];
  for (let tb = 0; tb < tbNew.length; tb++) {
    if (tbNew[tb] !== 0) continue;
    tbNew[tb] = usedTb.length;
    usedTb.push(tb);
    for (let k = store.tbStart[tb]!; k < store.tbStart[tb + 1]!; k++) frameNew[store.tbFrames[k]!] = 0;
  }
  const usedFrames: number[] = [];
  for (let f = 0; f < frameNew.length; f++) {
    if (frameNew[f] !== 0) continue;
    frameNew[f] = usedFrames.length;
    usedFrames.push(f);
    fileNew[store.frameFile[f]!] = 0;
  }
  const usedFiles: number[] = [];
  for (let f = 0; f < fileNew.length; f++) {
    if (fileNew[f] !== 0) continue;
    fileNew[f] = usedFiles.length;
    usedFiles.push(f);
  }

  const w = new Writer(HEADER_SIZE + 64 + usedFiles.length * 32 + usedFrames.length * 4 + usedTb.length * 24);
  w.pos = HEADER_SIZE;
  // meta
  let flags = 0;
  if (meta.tracedCurrent !== null) flags |= FLAG_CURRENT;
  if (meta.tracedPeak !== null) flags |= FLAG_PEAK;
  if (meta.timestamp !== null) flags |= FLAG_TIMESTAMP;
  w.varint(flags);
  w.varint(meta.tracebackLimit);
  w.str(meta.moduleName);
  const hash = hexToBytes(meta.moduleHash);
  w.varint(hash.length);
  w.bytes(hash);
  if (meta.tracedCurrent !== null) w.varint(meta.tracedCurrent);
  if (meta.tracedPeak !== null) w.varint(meta.tracedPeak);
  if (meta.timestamp !== null) w.f64(meta.timestamp);
  w.f64(meta.samplingInterval);
  // strings
  w.varint(usedFiles.length);
  for (const f of usedFiles) w.str(store.filenames[f]!);
  // frames
  w.varint(usedFrames.length);
  for (const f of usedFrames) {
    w.varint(fileNew[store.frameFile[f]!]!);
    w.varint(store.frameLine[f]!);
  }
  // tracebacks
  w.varint(usedTb.length);
  for (const tb of usedTb) {
    const start = store.tbStart[tb]!;
    const end = store.tbStart[tb + 1]!;
    w.varint(end - start);
    const total = store.tbTotal[tb]!;
    w.varint(total === UNKNOWN_TOTAL ? 0 : total + 1);
    for (let k = start; k < end; k++) w.varint(frameNew[store.tbFrames[k]!]!);
  }
  // traces: the hot loop. Measure first, then write the varints inline into a buffer of the
  // exact final size (no growth, no oversized buffer kept alive by the result).
  w.varint(n);
  let traceBytes = 0;
  for (let i = 0; i < n; i++) traceBytes += varintLength(tbNew[traceTb[i]!]!) + varintLength(traceSize[i]!);
  const out = new Uint8Array(w.pos + traceBytes);
  out.set(w.buf.subarray(0, w.pos));
  let p = w.pos;
  for (let i = 0; i < n; i++) {
    let v = tbNew[traceTb[i]!]!;
    while (v >= 0x80) {
      out[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    out[p++] = v;
    let s = traceSize[i]!;
    if (s < 0x80000000) {
      while (s >= 0x80) {
        out[p++] = (s & 0x7f) | 0x80;
        s >>>= 7;
      }
      out[p++] = s;
    } else {
      while (s >= 0x80) {
        out[p++] = (s % 0x80) | 0x80;
        s = Math.floor(s / 0x80);
      }
      out[p++] = s;
    }
  }

  const payloadLength = out.length - HEADER_SIZE;
  out.set(MAGIC, 0);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint32(8, FORMAT_VERSION, true);
  view.setUint32(12, payloadLength >>> 0, true);
  view.setUint32(16, Math.floor(payloadLength / 0x100000000), true);
  view.setUint32(20, crc32(out, HEADER_SIZE, out.length), true);
  return out;
}

// ── reading ────────────────────────────────────────────────────────────────────────────────

class Reader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }
  fail(what: string, at = this.pos): never {
    throw new SnapshotFormatError('malformed', `malformed snapshot: ${what} at byte ${at}`, at);
  }
  need(n: number, what: string): void {
    if (this.end - this.pos < n) {
      throw new SnapshotFormatError('truncated', `truncated at byte ${this.end} (reading ${what})`, this.end);
    }
  }
  varint(what: string): number {
    const b = this.buf;
    const start = this.pos;
    let p = start;
    let v = 0;
    let mul = 1;
    for (let k = 0; ; k++) {
      if (p >= this.end) throw new SnapshotFormatError('truncated', `truncated at byte ${this.end} (reading ${what})`, this.end);
      if (k === 8) this.fail(`${what}: varint longer than 8 bytes`, start);
      const x = b[p++]!;
      v += (x & 0x7f) * mul;
      if (x < 0x80) break;
      mul *= 128;
    }
    if (v > Number.MAX_SAFE_INTEGER) this.fail(`${what}: ${v} is above 2^53 - 1`, start);
    this.pos = p;
    return v;
  }
  /** A count of items that each take at least `minBytes` bytes: bounded by what is left. */
  count(what: string, minBytes: number): number {
    const start = this.pos;
    const n = this.varint(what);
    if (n * minBytes > this.end - this.pos) this.fail(`${what} ${n} exceeds the bytes left`, start);
    return n;
  }
  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  str(what: string): string {
    const n = this.varint(`${what} length`);
    const at = this.pos;
    const data = this.bytes(n, what);
    try {
      return DECODER.decode(data);
    } catch {
      return this.fail(`${what}: invalid UTF-8`, at);
    }
  }
  f64(what: string): number {
    this.need(8, what);
    const v = new DataView(this.buf.buffer, this.buf.byteOffset).getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }
}

function truncated(at: number, expected: number): SnapshotFormatError {
  return new SnapshotFormatError('truncated', `truncated at byte ${at} (expected ${expected} bytes)`, at);
}

/** Checks the header and checksum, then decodes; throws SnapshotFormatError on any defect. */
export function decodeSnapshot(bytes: Uint8Array): SnapshotParts {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('fromBytes expects a Uint8Array');
  const len = bytes.length;
  for (let i = 0; i < MAGIC.length; i++) {
    if (i >= len) throw truncated(len, HEADER_SIZE);
    if (bytes[i] !== MAGIC[i]) throw new SnapshotFormatError('bad-magic', 'not a wasm-tracemalloc snapshot (bad magic)', i);
  }
  if (len < 12) throw truncated(len, HEADER_SIZE);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== FORMAT_VERSION) {
    throw new SnapshotFormatError('unsupported-version', `unsupported version ${version} (this build reads ${FORMAT_VERSION})`, 8);
  }
  if (len < HEADER_SIZE) throw truncated(len, HEADER_SIZE);
  const high = view.getUint32(16, true);
  if (high >= 0x200000) throw new SnapshotFormatError('malformed', `malformed snapshot: payload length too large at byte 12`, 12);
  const payloadLength = high * 0x100000000 + view.getUint32(12, true);
  const total = HEADER_SIZE + payloadLength;
  if (len < total) throw truncated(len, total);
  if (len > total) {
    throw new SnapshotFormatError('trailing-bytes', `${len - total} unexpected bytes after the end of the snapshot (byte ${total})`, total);
  }
  const stored = view.getUint32(20, true);
  const computed = crc32(bytes, HEADER_SIZE, total);
  if (stored !== computed) {
    throw new SnapshotFormatError(
      'checksum-mismatch',
      `checksum mismatch (stored CRC-32 ${hex32(stored)}, computed ${hex32(computed)}): the file is corrupted`,
      20,
    );
  }
  return decodePayload(new Reader(bytes, HEADER_SIZE, total));
}

function hex32(v: number): string {
  return `0x${v.toString(16).padStart(8, '0')}`;
}

function decodePayload(r: Reader): SnapshotParts {
  // meta
  const flagsAt = r.pos;
  const flags = r.varint('meta flags');
  if ((flags & ~KNOWN_FLAGS) !== 0 || flags > KNOWN_FLAGS) r.fail(`unknown meta flags ${flags}`, flagsAt);
  const tracebackLimit = r.varint('tracebackLimit');
  const moduleName = r.str('moduleName');
  const hashLength = r.varint('moduleHash length');
  const moduleHash = bytesToHex(r.bytes(hashLength, 'moduleHash'));
  const tracedCurrent = flags & FLAG_CURRENT ? r.varint('tracedCurrent') : null;
  const tracedPeak = flags & FLAG_PEAK ? r.varint('tracedPeak') : null;
  const timestamp = flags & FLAG_TIMESTAMP ? r.f64('timestamp') : null;
  const samplingAt = r.pos;
  const samplingInterval = r.f64('samplingInterval');
  let meta: SnapshotMeta;
  try {
    meta = makeMeta(tracebackLimit, { moduleName, moduleHash, tracedCurrent, tracedPeak, timestamp, samplingInterval });
  } catch (e) {
    return r.fail(`invalid metadata (${(e as Error).message})`, samplingAt);
  }

  const builder = new StoreBuilder();
  // strings
  const nstrings = r.count('string count', 1);
  const fileIds = new Uint32Array(nstrings);
  for (let i = 0; i < nstrings; i++) fileIds[i] = builder.internFilename(r.str(`string ${i}`));
  // frames
  const nframes = r.count('frame count', 2);
  const frameIds = new Uint32Array(nframes);
  for (let i = 0; i < nframes; i++) {
    const at = r.pos;
    const file = r.varint(`frame ${i} file`);
    const line = r.varint(`frame ${i} line`);
    if (file >= nstrings) r.fail(`frame ${i} names string ${file} of ${nstrings}`, at);
    if (line > 0xffffffff) r.fail(`frame ${i} line ${line} is above 2^32 - 1`, at);
    frameIds[i] = builder.internFrame(fileIds[file]!, line);
  }
  // tracebacks
  const ntb = r.count('traceback count', 3);
  const tbIds = new Uint32Array(ntb);
  const ids: number[] = [];
  for (let i = 0; i < ntb; i++) {
    const at = r.pos;
    const depth = r.count(`traceback ${i} frame count`, 1);
    if (depth === 0) r.fail(`traceback ${i} has no frame`, at);
    const totalPlusOne = r.varint(`traceback ${i} totalNframe`);
    if (totalPlusOne > UNKNOWN_TOTAL) r.fail(`traceback ${i} totalNframe ${totalPlusOne - 1} is too large`, at);
    ids.length = 0;
    for (let k = 0; k < depth; k++) {
      const fat = r.pos;
      const f = r.varint(`traceback ${i} frame`);
      if (f >= nframes) r.fail(`traceback ${i} names frame ${f} of ${nframes}`, fat);
      ids.push(frameIds[f]!);
    }
    tbIds[i] = builder.internTraceback(ids, totalPlusOne === 0 ? UNKNOWN_TOTAL : totalPlusOne - 1);
  }
  // traces: the hot loop, varints read inline
  const n = r.count('trace count', 2);
  const traceTb = new Uint32Array(n);
  const traceSize = new Float64Array(n);
  const b = r.buf;
  const end = r.end;
  let p = r.pos;
  for (let i = 0; i < n; i++) {
    const at = p;
    // traceback index: < 2^32 fits 5 bytes
    let v = 0;
    let shift = 0;
    let x: number;
    do {
      if (p >= end) throw new SnapshotFormatError('truncated', `truncated at byte ${end} (reading trace ${i})`, end);
      x = b[p++]!;
      if (shift === 28 && x > 0x0f) r.fail(`trace ${i} traceback index is too large`, at);
      v |= (x & 0x7f) << shift;
      shift += 7;
    } while (x >= 0x80);
    v >>>= 0;
    if (v >= ntb) r.fail(`trace ${i} names traceback ${v} of ${ntb}`, at);
    traceTb[i] = tbIds[v]!;
    // size: up to 2^53 - 1
    let s = 0;
    let mul = 1;
    const sat = p;
    for (let k = 0; ; k++) {
      if (p >= end) throw new SnapshotFormatError('truncated', `truncated at byte ${end} (reading trace ${i})`, end);
      if (k === 8) r.fail(`trace ${i} size: varint longer than 8 bytes`, sat);
      x = b[p++]!;
      s += (x & 0x7f) * mul;
      if (x < 0x80) break;
      mul *= 128;
    }
    if (s > Number.MAX_SAFE_INTEGER) r.fail(`trace ${i} size ${s} is above 2^53 - 1`, sat);
    traceSize[i] = s;
  }
  r.pos = p;
  if (r.pos !== r.end) r.fail(`${r.end - r.pos} bytes left after the traces`);
  return { store: builder.build(), traceTb, traceSize, meta };
}
