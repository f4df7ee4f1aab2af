// Damaged snapshot files given to `stats`, `compare`, `export` and `report`
// (docs/reliability.md): never a crash, never a partial result — exit code 2, one line, nothing
// on stdout, no output file.
//
// Every byte offset and every single bit go through loadSnapshotArg (src/cli/snapshotInput.ts),
// the function every one of these commands reads its files with, in this process; a sample of
// them through the CLI itself, in child processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSnapshotArg } from '../../src/cli/snapshotInput.js';
import { UsageError } from '../../src/cli/errors.js';
import { ALLOC_BASIC, MISBEHAVE, assertOneLineError, cli, flipBits, rng, scratch } from './helpers.js';

const SEED = Number(process.env.RELIABILITY_SEED ?? 20261127);
const dir = scratch('snapshots');
const good = join(dir, 'good.tmsnap');
const other = join(dir, 'other.tmsnap');

test('setup: a small real snapshot (run -n 3 --snapshot) and one of another module', () => {
  const r = cli(['run', '-n', '3', '--snapshot', good, ALLOC_BASIC]);
  assert.equal(r.code, 0, r.stderr);
  const o = cli(['run', '--snapshot', other, MISBEHAVE]);
  assert.equal(o.code, 0, o.stderr);
  assert.ok(readFileSync(good).length < 1000, 'the snapshot should be small');
});

function bytesOf(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}

function write(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** The error loadSnapshotArg throws for `bytes` (it must throw a UsageError of one line). */
function loadError(bytes: Uint8Array, what: string): string {
  const path = write('case.tmsnap', bytes);
  try {
    loadSnapshotArg(path);
  } catch (e) {
    assert.ok(e instanceof UsageError, `${what}: ${(e as Error).name}: ${(e as Error).message}`);
    assert.doesNotMatch(e.message, /\n/, `${what}: several lines`);
    return e.message;
  }
  assert.fail(`${what}: loaded as a snapshot`);
}

test('every truncation of the snapshot is refused as truncated (or bad magic), naming the byte', () => {
  const bytes = bytesOf(good);
  for (let cut = 0; cut < bytes.length; cut++) {
    const message = loadError(bytes.subarray(0, cut), `cut at ${cut}`);
    assert.match(message, new RegExp(`is not a valid snapshot: (truncated at byte ${cut} \\(expected \\d+ bytes\\)|not a wasm-tracemalloc snapshot \\(bad magic\\))`), `cut at ${cut}`);
  }
});

test('every single-bit flip of the snapshot is refused, with the reason', () => {
  const bytes = bytesOf(good);
  const reasons = new Map<string, number>();
  for (let bit = 0; bit < bytes.length * 8; bit++) {
    const damaged = new Uint8Array(bytes);
    damaged[bit >>> 3]! ^= 1 << (bit & 7);
    const message = loadError(damaged, `bit ${bit}`);
    const reason = /is not a valid snapshot: (bad magic|not a wasm-tracemalloc snapshot|truncated|unsupported version|checksum mismatch|\d+ unexpected bytes after|malformed)/.exec(message)?.[1];
    assert.ok(reason, `bit ${bit}: ${message}`);
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }
  assert.ok((reasons.get('checksum mismatch') ?? 0) > bytes.length * 4, `reasons: ${JSON.stringify([...reasons])}`);
});

test(`300 copies with 2-32 random bits flipped (seed ${SEED}) are all refused`, () => {
  const bytes = bytesOf(good);
  const next = rng(SEED);
  for (let i = 0; i < 300; i++) loadError(flipBits(bytes, next, 2 + (next() % 31)), `flip case ${i}`);
});

test('the CLI: stats, compare, export and report refuse a sample of damaged snapshots with one line and write nothing', () => {
  const bytes = bytesOf(good);
  const cases: [string, Uint8Array, RegExp][] = [
    ['empty', new Uint8Array(0), /truncated at byte 0/],
    ['cut in the magic', bytes.subarray(0, 5), /truncated at byte 5|bad magic/],
    ['cut in the header', bytes.subarray(0, 17), /truncated at byte 17/],
    ['cut in the payload', bytes.subarray(0, Math.floor(bytes.length / 2)), /truncated at byte \d+ \(expected \d+ bytes\)/],
    ['one byte short', bytes.subarray(0, bytes.length - 1), /truncated at byte \d+/],
    ['one byte more', new Uint8Array([...bytes, 0]), /1 unexpected bytes after the end of the snapshot/],
    ['a bit flipped in the payload', (() => { const d = new Uint8Array(bytes); d[100]! ^= 4; return d; })(), /checksum mismatch \(stored CRC-32 0x[0-9a-f]+, computed 0x[0-9a-f]+\): the file is corrupted/],
    ['version 7', (() => { const d = new Uint8Array(bytes); d[8] = 7; return d; })(), /unsupported version 7 \(this build reads 1\)/],
    ['a Wasm module', bytesOf(ALLOC_BASIC), /not a wasm-tracemalloc snapshot \(bad magic\)/],
  ];
  for (const [name, damaged, message] of cases) {
    const path = write(`${name.replaceAll(' ', '_')}.tmsnap`, damaged);
    const pattern = new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not a valid snapshot: .*${message.source}`);
    assertOneLineError(cli(['stats', path]), pattern, `stats ${name}`);
    assertOneLineError(cli(['compare', good, path]), pattern, `compare good ${name}`);
    assertOneLineError(cli(['compare', path, good]), pattern, `compare ${name} good`);
    const out = join(dir, `${name.replaceAll(' ', '_')}.pb`);
    assertOneLineError(cli(['export', '-F', 'pprof', '-o', out, path]), pattern, `export ${name}`);
    assert.equal(existsSync(out), false, `export ${name}: an output file was written`);
    const html = join(dir, `${name.replaceAll(' ', '_')}.html`);
    assertOneLineError(cli(['report', good, path, '-o', html]), pattern, `report ${name}`);
    assert.equal(existsSync(html), false, `report ${name}: an output file was written`);
  }
});

test('compare: a snapshot of another module is refused with one line naming both; --allow-different-modules compares', () => {
  assertOneLineError(
    cli(['compare', good, other]),
    /good\.tmsnap and .*other\.tmsnap are snapshots of different modules \(alloc_basic\.wasm, sha256 [0-9a-f]{12}… vs misbehave\.wasm, sha256 [0-9a-f]{12}…\).*--allow-different-modules/,
    'compare two modules',
  );
  const r = cli(['compare', '--allow-different-modules', good, other]);
  assert.equal(r.code, 0, r.stderr);
});

test('stats: a missing file and a directory are refused with one line', () => {
  assertOneLineError(cli(['stats', join(dir, 'missing.tmsnap')]), /cannot read the snapshot .*missing\.tmsnap: no such file/, 'missing');
  assertOneLineError(cli(['stats', dir]), /cannot read the snapshot .*: it is a directory/, 'directory');
});
