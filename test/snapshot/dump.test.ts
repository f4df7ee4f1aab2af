// The binary dump format (docs/snapshot-format.md): exact round trips, a hand-assembled file,
// and every kind of damage — each must throw SnapshotFormatError, never return a snapshot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FORMAT_VERSION, MAGIC, Snapshot, SnapshotFormatError, Filter, crc32, type SnapshotMetaInput } from '../../src/snapshot/index.js';
import { randomTraces, rng, snapshotOf } from './helpers.js';

const META: SnapshotMetaInput = {
  moduleName: 'sqlite3.wasm',
  moduleHash: 'DEADbeef00112233',
  tracedCurrent: 123456,
  tracedPeak: 2 ** 40,
  timestamp: 1795737600123.5,
  samplingInterval: 0,
};

/** Everything observable about a snapshot, as plain data. */
function observe(s: Snapshot): unknown {
  return {
    meta: s.meta,
    limit: s.tracebackLimit,
    traces: s.traces.map((t) => [t.size, t.traceback.frames.map((f) => [f.filename, f.lineno]), t.traceback.totalNframe]),
  };
}

function small(): Snapshot {
  return new Snapshot(
    [
      { size: 10, traceback: [['a.c', 2], ['b.c', 4]], totalNframe: 3 },
      { size: 0, traceback: [['\ufeffbom.c', 0xffffffff]] },
      { size: 2 ** 53 - 1, traceback: [['😀.rs', 1], ['a.c', 2], ['a.c', 2]], totalNframe: 0 },
      { size: 10, traceback: [['a.c', 2], ['b.c', 4]], totalNframe: 3 },
    ],
    3,
    META,
  );
}

function expectFormatError(bytes: Uint8Array, code?: string): SnapshotFormatError {
  let caught: unknown;
  try {
    Snapshot.fromBytes(bytes);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof SnapshotFormatError, `expected SnapshotFormatError, got ${caught === undefined ? 'a snapshot' : String(caught)}`);
  if (code !== undefined) assert.equal(caught.code, code, caught.message);
  return caught;
}

test('a snapshot round-trips exactly: traces in order, sizes, frames, totalNframe and metadata', () => {
  const s = small();
  const back = Snapshot.fromBytes(s.toBytes());
  assert.deepEqual(observe(back), observe(s));
  assert.equal(back.meta.moduleHash, 'deadbeef00112233');
  assert.equal(back.traces[1]!.traceback.totalNframe, undefined);
});

test('random snapshots round-trip with identical statistics', () => {
  for (const seed of [1, 2, 3]) {
    const s = snapshotOf(randomTraces(seed, { traces: 500 }));
    const back = Snapshot.fromBytes(s.toBytes());
    assert.deepEqual(observe(back), observe(s));
    for (const key of ['filename', 'lineno', 'traceback'] as const) {
      assert.deepEqual(back.statistics(key).map(String), s.statistics(key).map(String));
    }
  }
});

test('unknown metadata and a sampling interval round-trip', () => {
  const s = new Snapshot([{ size: 1, traceback: [['x', 1]] }], 1, { samplingInterval: 524288.5 });
  const back = Snapshot.fromBytes(s.toBytes());
  assert.deepEqual(back.meta, {
    moduleName: '',
    moduleHash: '',
    tracebackLimit: 1,
    tracedCurrent: null,
    tracedPeak: null,
    timestamp: null,
    samplingInterval: 524288.5,
  });
});

test('an empty snapshot round-trips', () => {
  const s = new Snapshot([], 16, META);
  assert.deepEqual(observe(Snapshot.fromBytes(s.toBytes())), observe(s));
});

test('the same snapshot always gives the same bytes', () => {
  assert.deepEqual(small().toBytes(), small().toBytes());
});

test('a filtered snapshot writes only the tables its traces use', () => {
  const s = snapshotOf(randomTraces(5, { traces: 400 }));
  const f = s.filterTraces([new Filter(true, 'a.c')]);
  assert.ok(f.traceCount < s.traceCount);
  assert.ok(f.toBytes().length < s.toBytes().length);
  assert.deepEqual(observe(Snapshot.fromBytes(f.toBytes())), observe(f));
});

test('the bytes follow docs/snapshot-format.md: a file assembled by hand reads back', () => {
  // one trace of 5 bytes at a.c:1, traceback limit 1, nothing else known
  const payload = [
    0, // meta flags
    1, // tracebackLimit
    0, // moduleName ''
    0, // moduleHash: 0 bytes
    0, 0, 0, 0, 0, 0, 0, 0, // samplingInterval 0.0 (f64 LE)
    1, 3, 0x61, 0x2e, 0x63, // 1 string: 'a.c'
    1, 0, 1, // 1 frame: string 0, line 1
    1, 1, 0, 0, // 1 traceback: 1 frame, totalNframe unknown, frame 0
    1, 0, 5, // 1 trace: traceback 0, size 5
  ];
  const header = [...MAGIC, 1, 0, 0, 0, payload.length, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  const bytes = Uint8Array.from([...header, ...payload]);
  new DataView(bytes.buffer).setUint32(20, crc32(Uint8Array.from(payload)), true);
  const s = Snapshot.fromBytes(bytes);
  assert.deepEqual(s.traces.map(String), ['a.c:1: 5 B']);
  assert.equal(s.traces[0]!.traceback.totalNframe, undefined);
  // and our writer produces exactly these bytes
  assert.deepEqual(new Snapshot([{ size: 5, traceback: [['a.c', 1]] }], 1).toBytes(), bytes);
});

test('crc32 is the standard CRC-32 (check value of "123456789" is 0xCBF43926)', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
});

test('a varint size above 2^32 is written in full', () => {
  const s = new Snapshot([{ size: 2 ** 40 + 3, traceback: [['a', 1]] }], 1);
  assert.equal(Snapshot.fromBytes(s.toBytes()).traces[0]!.size, 2 ** 40 + 3);
});

test('truncation at every byte offset fails with "truncated at byte N"', () => {
  const bytes = small().toBytes();
  for (let n = 0; n < bytes.length; n++) {
    const e = expectFormatError(bytes.subarray(0, n), 'truncated');
    assert.match(e.message, new RegExp(`^truncated at byte ${n}\\b`));
  }
});

test('every single-bit flip is detected', () => {
  const bytes = small().toBytes();
  for (let bit = 0; bit < bytes.length * 8; bit++) {
    const copy = bytes.slice();
    copy[bit >> 3]! ^= 1 << (bit & 7);
    expectFormatError(copy);
  }
});

test('random multi-bit damage is detected (fixed seed)', () => {
  const bytes = snapshotOf(randomTraces(11, { traces: 200 })).toBytes();
  const r = rng(99);
  for (let k = 0; k < 2000; k++) {
    const copy = bytes.slice();
    const flips = 2 + Math.floor(r() * 6);
    for (let j = 0; j < flips; j++) {
      const bit = Math.floor(r() * copy.length * 8);
      copy[bit >> 3]! ^= 1 << (bit & 7);
    }
    if (copy.every((b, i) => b === bytes[i])) continue; // flips cancelled out
    expectFormatError(copy);
  }
});

test('a flip in the payload is reported as a checksum mismatch', () => {
  const bytes = small().toBytes();
  bytes[bytes.length - 1]! ^= 0x10;
  const e = expectFormatError(bytes, 'checksum-mismatch');
  assert.match(e.message, /^checksum mismatch/);
});

test('a file that is not a snapshot fails with "bad magic"', () => {
  const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
  assert.equal(expectFormatError(png, 'bad-magic').message, 'not a wasm-tracemalloc snapshot (bad magic)');
  expectFormatError(new TextEncoder().encode('{"traces": []}'), 'bad-magic');
  // a CPython pickle (protocol 5 starts with 0x80 0x05)
  expectFormatError(Uint8Array.from([0x80, 0x05, 0x95, 0, 0, 0, 0, 0, 0, 0, 0]), 'bad-magic');
});

test('another version fails with "unsupported version N (this build reads 1)"', () => {
  const bytes = small().toBytes();
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(8, 7, true);
  assert.equal(expectFormatError(bytes, 'unsupported-version').message, `unsupported version 7 (this build reads ${FORMAT_VERSION})`);
});

test('bytes after the end of the snapshot are refused', () => {
  const bytes = small().toBytes();
  const longer = new Uint8Array(bytes.length + 3);
  longer.set(bytes);
  assert.match(expectFormatError(longer, 'trailing-bytes').message, /^3 unexpected bytes after the end/);
});

test('a well-checksummed payload that breaks the rules is "malformed", with its offset', () => {
  // traces name traceback 1 of 1
  const payload = [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0x61, 1, 0, 1, 1, 1, 0, 0, 1, 1, 5];
  const bytes = Uint8Array.from([...MAGIC, 1, 0, 0, 0, payload.length, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ...payload]);
  new DataView(bytes.buffer).setUint32(20, crc32(Uint8Array.from(payload)), true);
  const e = expectFormatError(bytes, 'malformed');
  assert.match(e.message, /^malformed snapshot: trace 0 names traceback 1 of 1 at byte 47$/); // 24-byte header + payload byte 23
});

test('a payload with invalid UTF-8 in a file name is malformed', () => {
  const payload = [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0xff, 1, 0, 1, 1, 1, 0, 0, 1, 0, 5];
  const bytes = Uint8Array.from([...MAGIC, 1, 0, 0, 0, payload.length, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ...payload]);
  new DataView(bytes.buffer).setUint32(20, crc32(Uint8Array.from(payload)), true);
  assert.match(expectFormatError(bytes, 'malformed').message, /invalid UTF-8/);
});

test('bytes inside a larger buffer (a Node Buffer slice) are read correctly', () => {
  const bytes = small().toBytes();
  const big = new Uint8Array(bytes.length + 11);
  big.set(bytes, 7);
  assert.deepEqual(observe(Snapshot.fromBytes(big.subarray(7, 7 + bytes.length))), observe(small()));
});
