// The misbehaving program in AssemblyScript (docs/reliability.md): fixtures/assemblyscript/
// misbehave_as.wasm (fixtures/src/assemblyscript/misbehave_as.ts), a WASI command on the
// incremental runtime with a 16 MiB memory maximum, run untraced under node:wasi and traced by
// `wasm-tracemalloc run`: the two must print the same stdout and end with the same exit code
// (or the same trap), and the traced figures must be the program's own.
//
// The oracle: the program walks the objects it keeps after __collect and sums the payload size
// the runtime recorded in each object's header (rtSize: what was asked of __new or __renew, the
// size the tracer reports for an AssemblyScript object), and prints the count and the sum. The
// program allocates nothing else (no strings for its output), the runtime nothing at start, and
// after __collect the GC has freed all garbage, so the traced blocks must be exactly those.
// Each test also checks the counters against totals worked out by hand from the source.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Snapshot } from '../../src/snapshot/index.js';
import { type BothRuns, runBothWays, scratch, sourceLineIn, tracedTotals } from './helpers.js';

const MODULE = 'fixtures/assemblyscript/misbehave_as.wasm';
const SOURCE = 'fixtures/src/assemblyscript/misbehave_as.ts';
const dir = scratch('misbehave-as');

/** Payload sizes (rtSize) of the objects the modes make, from AssemblyScript 0.27's std library. */
const ARRAY = 16; // Array<T>: buffer, dataStart, byteLength, length
const POINT = 8; // two i32 fields
const LINK = 8; // an i32 and a reference
/** `new Array<T>(n)` with n ≤ 8 (and push into it) starts with a buffer of 8 slots. */
const MIN_BUFFER = 8 * 4;
const MiB = 2 ** 20;

/** The program's own counters, from its line `misbehave_as MODE: live_objects=N live_bytes=M`. */
function programCounters(stdout: string): { blocks: number; bytes: number } {
  const m = /^misbehave_as \w+: live_objects=(\d+) live_bytes=(\d+)$/m.exec(stdout);
  assert.ok(m, `no counters in ${JSON.stringify(stdout)}`);
  return { blocks: Number(m[1]), bytes: Number(m[2]) };
}

/** The 1-based line of the program's source holding `text` (exactly one such line). */
const sourceLine = (text: string): number => sourceLineIn(SOURCE, text);

/** A traceback as "line line …", after checking that every frame is in misbehave_as.ts. */
function lines(snapshot: Snapshot, size: number): { lines: number[]; total: number | undefined }[] {
  return snapshot.traces.filter((t) => t.size === size).map((t) => {
    for (const f of t.traceback.frames) assert.match(f.filename, /^assemblyscript\/misbehave_as\.ts$/, 'a frame outside the program');
    return { lines: t.traceback.frames.map((f) => f.lineno), total: t.traceback.totalNframe };
  });
}

/** misbehave_as with `args`, untraced then traced, the two compared (helpers.ts). */
const runBoth = (args: string[]): BothRuns => runBothWays(MODULE, dir, args);

/** The traced totals equal the program's counters, and tracedCurrent their bytes. */
function assertCounters(name: string, r: BothRuns): { blocks: number; bytes: number } {
  const counters = programCounters(r.original.stdout);
  assert.deepEqual(tracedTotals(r.snapshot), counters, `${name}: traced blocks = the program's counters`);
  assert.equal(r.snapshot.meta.tracedCurrent, counters.bytes, `${name}: tracedCurrent`);
  return counters;
}

test('ok: after __collect the traced blocks are the objects kept, the garbage freed by the GC untraced', () => {
  const r = runBoth(['ok']);
  assert.equal(r.original.code, 0);
  assert.equal(r.original.trap, null);
  // Hand-worked: an Array of 3 Points and its 8-slot buffer, the Points, a 1-character string.
  assert.deepEqual(programCounters(r.original.stdout), { blocks: 6, bytes: ARRAY + MIN_BUFFER + 3 * POINT + 2 });
  assertCounters('ok', r);
  // Before the collection: also 5 Points and a Uint8Array (12) with its 100-byte buffer.
  assert.equal(r.snapshot.meta.tracedPeak, ARRAY + MIN_BUFFER + 3 * POINT + 2 + 5 * POINT + 12 + 100, 'tracedPeak: every object, before the GC');
  const kept = sourceLine('for (let i = 0; i < 3; i++) points.push(new Point(i, -i));');
  assert.deepEqual(lines(r.snapshot, POINT).map((t) => t.lines[0]), [kept, kept, kept], 'the 3 Points kept, at their line');
});

test('exit 3: the same exit code, the objects live at proc_exit traced', () => {
  const r = runBoth(['exit', '3']);
  assert.equal(r.original.code, 3);
  assert.equal(r.original.trap, null);
  assert.deepEqual(programCounters(r.original.stdout), { blocks: 6, bytes: 74 });
  assertCounters('exit 3', r);
});

test('abort: the message on stderr and the same unreachable trap; the objects held at the abort stay traced', () => {
  const r = runBoth(['abort']);
  assert.equal(r.original.trap, 'unreachable');
  assert.equal(r.original.stderr, 'abort: misbehave_as: an abort with blocks live\nTRAP unreachable\n');
  // Hand-worked: an Array of 2 Points, its 8-slot buffer, the Points, a 72-byte ArrayBuffer.
  assert.deepEqual(assertCounters('abort', r), { blocks: 5, bytes: ARRAY + MIN_BUFFER + 2 * POINT + 72 });
  assert.equal(r.snapshot.traces.filter((t) => t.size === 72).length, 1, 'the 72-byte buffer held at the abort');
});

test('trap: a divide-by-zero inside Array#map\'s callback; map\'s result and the Point made before it stay traced', () => {
  const r = runBoth(['trap']);
  assert.equal(r.original.trap, 'divide by zero');
  // The counters are printed before map: the Array of 3 i32 (an 8-slot buffer).
  assert.deepEqual(programCounters(r.original.stdout), { blocks: 2, bytes: ARRAY + MIN_BUFFER });
  // At the trap, also map's result (an Array and a buffer of exactly 3 slots) and the Point
  // that divideInto(1) made; divideInto(2) trapped before its allocation.
  assert.deepEqual(tracedTotals(r.snapshot), { blocks: 5, bytes: ARRAY + MIN_BUFFER + ARRAY + 3 * 4 + POINT });
  // The Point: at divideInto's line, then the callback's call of it and trapMode's call of map
  // (one line: map's own call of the callback, in ~lib, is not a call site), then _start's.
  const mapLine = sourceLine('const points = values.map<Point>((x: i32) => divideInto(x));');
  assert.deepEqual(lines(r.snapshot, POINT), [
    { lines: [sourceLine('return new Point(x, 100 / (x - 2));'), mapLine, mapLine, sourceLine('    trapMode();')], total: 4 },
  ]);
});

test('huge: new ArrayBuffer(1 GiB) is refused by the runtime (RangeError, abort) before __new: nothing traced for it', () => {
  const r = runBoth(['huge']);
  assert.equal(r.original.trap, 'unreachable');
  assert.match(r.original.stderr, /^abort: Invalid length in ~lib\/arraybuffer\.ts\(\d+:\d+\)$/m);
  assert.deepEqual(assertCounters('huge', r), { blocks: 2, bytes: ARRAY + MIN_BUFFER });
  assert.equal(r.snapshot.meta.tracedPeak, ARRAY + MIN_BUFFER, 'tracedPeak: the refused request was counted');
});

test('oom: 1 MiB buffers until memory.grow fails in tlsf: the same request fails traced, and it is not traced', () => {
  const r = runBoth(['oom']);
  assert.equal(r.original.trap, 'unreachable');
  // The program prints each request before making it: the last one printed failed.
  const requests = [...r.original.stdout.matchAll(/^oom: request (\d+)$/gm)].map((m) => Number(m[1]));
  const failed = requests.at(-1)!;
  assert.deepEqual(requests, Array.from({ length: failed }, (_, i) => i + 1));
  // 16 MiB of memory, less the data, the shadow stack and tlsf's headers: 15 fit.
  assert.equal(failed, 16, 'the request that failed');
  const buffers = r.snapshot.traces.filter((t) => t.size === MiB);
  assert.equal(buffers.length, failed - 1, 'one traced 1 MiB buffer per request that succeeded');
  assert.ok(r.snapshot.traces.every((t) => t.size <= MiB), 'a block over 1 MiB');
  // The Array holding them, and its buffer: 8 slots, grown to 16 by the 9th push (__renew).
  assert.deepEqual(tracedTotals(r.snapshot), { blocks: failed - 1 + 2, bytes: (failed - 1) * MiB + ARRAY + 2 * MIN_BUFFER });
  assert.equal(r.snapshot.meta.tracedPeak, r.snapshot.meta.tracedCurrent, 'tracedPeak: the failed request was counted');
});

test('deep N: the 77-byte block\'s traceback keeps 16 frames of the recursion and totalNframe counts them all', () => {
  const allocLine = sourceLine('deepest = new ArrayBuffer(77);');
  const callLine = sourceLine('return deep(n - 1) + 1;');
  const modeLine = sourceLine('const levels = deep(n);');
  const startLine = sourceLine('deepMode(argNumber(2));');
  // 5000: V8's stack holds 8,000 levels of this --debug build untraced but not 10,000.
  for (const n of [10, 5000]) {
    const r = runBoth(['deep', String(n)]);
    assert.match(r.original.stdout, new RegExp(`^deep ${n}: a 77-byte block at the bottom$`, 'm'));
    // Hand-worked: a Link per level, and the 77-byte buffer.
    assert.deepEqual(assertCounters(`deep ${n}`, r), { blocks: n + 1, bytes: n * LINK + 77 });
    const expected = [allocLine, ...Array<number>(n).fill(callLine), modeLine, startLine];
    // Exact: deep(0)'s allocation, n recursive calls, deepMode's call, _start's (the host's call of _start is no frame).
    assert.deepEqual(lines(r.snapshot, 77), [{ lines: expected.slice(0, 16), total: n + 3 }], `deep ${n}`);
  }
});

test('deep 100000: V8\'s stack overflows, traced or not: the same trap', () => {
  const r = runBoth(['deep', '100000']);
  assert.equal(r.original.trap, 'Maximum call stack size exceeded');
  assert.equal(r.original.stdout, '');
});

test('many 100000: 100,000 Points live after __collect, all traced, nothing else', () => {
  const r = runBoth(['many', '100000']);
  // Hand-worked: the Points, the Array, and its buffer, doubled from 32 bytes until it held
  // 100,000 slots: 32 × 2^14 = 524,288 bytes (the old buffers are garbage, freed).
  assert.deepEqual(programCounters(r.original.stdout), { blocks: 100000 + 2, bytes: 100000 * POINT + ARRAY + MIN_BUFFER * 2 ** 14 });
  assertCounters('many 100000', r);
  assert.equal(r.snapshot.traces.filter((t) => t.size === POINT).length, 100000);
});

test('an unknown mode: the program\'s own error and exit code 2, traced or not', () => {
  const r = runBoth(['bogus']);
  assert.equal(r.original.code, 2);
  assert.equal(r.original.stderr, 'misbehave_as: unknown mode bogus\n');
  assert.deepEqual(tracedTotals(r.snapshot), { blocks: 0, bytes: 0 });
});

test('rebuilding misbehave_as (build-fixtures.sh reliability) gives the committed bytes', (t) => {
  const script = 'scripts/build-fixtures.sh';
  const check = spawnSync('bash', [script, '--check', 'reliability'], { encoding: 'utf8' });
  if (check.status !== 0) return t.skip(`toolchain not installed: ${check.stderr.trim().replace(/\s+/g, ' ')}`);
  if (/warning:/.test(check.stderr)) return t.skip(`toolchain is another version: ${check.stderr.trim()}`);
  const out = mkdtempSync(join(tmpdir(), 'wtm-rel-as-fixtures-'));
  try {
    const r = spawnSync('bash', [script, 'reliability'], { encoding: 'utf8', env: { ...process.env, OUT_DIR: out, CACHE_DIR: join(out, '.cache') } });
    assert.equal(r.status, 0, r.stderr);
    for (const name of ['misbehave_as.wasm', 'misbehave_as.wasm.map']) {
      assert.ok(readFileSync(join(out, 'assemblyscript', name)).equals(readFileSync(join('fixtures/assemblyscript', name))), `${name} differs from the committed one`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
