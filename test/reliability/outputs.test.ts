// Output paths of `instrument -o`, `run --snapshot` and `export -o` (docs/reliability.md): an
// input or an existing file is never replaced without --force (the input never, for
// `instrument` and `export`), an unwritable destination gets one line and exit code 2, and
// when a write fails the old file stays whole, byte for byte, with no temporary file left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALLOC_BASIC, MISBEHAVE, assertOneLineError, cli, scratch } from './helpers.js';

const dir = scratch('outputs');
const snap = join(dir, 'good.tmsnap');
const OLD = 'the old contents, which must survive\n';

function oldFile(name: string): string {
  const path = join(dir, name);
  writeFileSync(path, OLD);
  return path;
}

function assertWhole(path: string, bytes: string | Buffer, what: string): void {
  assert.ok(readFileSync(path).equals(Buffer.from(bytes)), `${what}: ${path} was changed`);
}

function assertNoTemp(where: string): void {
  const temps = readdirSync(where).filter((n) => n.endsWith('.tmp'));
  assert.deepEqual(temps, [], `temporary files left in ${where}`);
}

test('setup: a snapshot to export', () => {
  const r = cli(['run', '--snapshot', snap, MISBEHAVE]);
  assert.equal(r.code, 0, r.stderr);
});

test('an existing file is never replaced without --force (instrument -o, run --snapshot, export -o)', () => {
  const a = oldFile('a.wasm');
  assertOneLineError(cli(['instrument', ALLOC_BASIC, '-o', a]), /refusing to overwrite .*a\.wasm: the file exists/, 'instrument');
  assertWhole(a, OLD, 'instrument');
  const b = oldFile('b.pb');
  assertOneLineError(cli(['export', '-F', 'pprof', '-o', b, snap]), /refusing to overwrite .*b\.pb: the file exists/, 'export');
  assertWhole(b, OLD, 'export');
  const c = oldFile('c.tmsnap');
  const r = cli(['run', '--snapshot', c, MISBEHAVE]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /wasm-tracemalloc: error: refusing to overwrite .*c\.tmsnap: the file exists/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assertWhole(c, OLD, 'run --snapshot');
  assertNoTemp(dir);
  // With --force they are replaced.
  assert.equal(cli(['instrument', ALLOC_BASIC, '-o', a, '--force']).code, 0);
  assert.ok(WebAssembly.validate(readFileSync(a)));
});

test('the refusal names the CLI option --force', () => {
  const a = oldFile('force.wasm');
  assertOneLineError(cli(['instrument', ALLOC_BASIC, '-o', a]), /--force/, 'instrument');
});

test('run --snapshot to an existing file is refused before the program runs', () => {
  const c = oldFile('before.tmsnap');
  const r = cli(['run', '--snapshot', c, MISBEHAVE]);
  assert.equal(r.stdout, '', 'the program ran before the refusal');
});

test('the input is never the output: instrument -o in.wasm and export -o in.tmsnap, even with --force', () => {
  const input = join(dir, 'in.wasm');
  copyFileSync(ALLOC_BASIC, input);
  const bytes = readFileSync(input);
  assertOneLineError(cli(['instrument', input, '-o', input, '--force']), /the output .*in\.wasm is the input module/, 'instrument');
  assertWhole(input, bytes, 'instrument');
  const s = readFileSync(snap);
  assertOneLineError(cli(['export', '-F', 'folded', '-o', snap, '--force', snap]), /the output .*good\.tmsnap is the input snapshot/, 'export');
  assertWhole(snap, s, 'export');
});

test('run --snapshot never replaces the module it runs, even with --force', () => {
  const input = join(dir, 'run-in.wasm');
  copyFileSync(MISBEHAVE, input);
  const bytes = readFileSync(input);
  const r = cli(['run', '--snapshot', input, '--force', input]);
  assertWhole(input, bytes, 'run --snapshot');
  assert.equal(r.code, 2);
});

test('an unwritable destination gets one line and exit code 2 (missing directory, a file as directory, a directory as file)', () => {
  const missing = join(dir, 'no', 'such', 'dir', 'out.wasm');
  assertOneLineError(cli(['instrument', ALLOC_BASIC, '-o', missing]), /ENOENT|no such file/, 'instrument into a missing directory');
  const fileAsDir = join(snap, 'out.html');
  assertOneLineError(cli(['export', '-F', 'html', '-o', fileAsDir, snap]), /ENOTDIR|not a directory/, 'export under a file');
  const aDir = join(dir, 'a-directory');
  mkdirSync(aDir);
  assertOneLineError(cli(['export', '-F', 'html', '-o', aDir, '--force', snap]), /EISDIR|directory/, 'export onto a directory');
  assert.deepEqual(readdirSync(aDir), [], 'the directory was changed');
  assertNoTemp(dir);
});

test('the error for an unwritable destination names the destination, not a temporary file', () => {
  const missing = join(dir, 'nowhere', 'out.wasm');
  const r = cli(['instrument', ALLOC_BASIC, '-o', missing]);
  assert.doesNotMatch(r.stderr, /\.tmp/);
  assert.match(r.stderr, /out\.wasm/);
});

test('a directory without write permission is refused with one line', (t) => {
  if (process.getuid?.() === 0) {
    t.skip('running as root: permissions do not stop root from writing');
    return;
  }
  const locked = join(dir, 'locked');
  mkdirSync(locked, { mode: 0o555 });
  assertOneLineError(cli(['export', '-F', 'html', '-o', join(locked, 'r.html'), snap]), /EACCES|permission denied/, 'export into a read-only directory');
});

test('a write that fails half-way (file size limit, EFBIG) leaves the old file whole and no temporary file', () => {
  const target = oldFile('big.html');
  // ulimit -f 4: files may not grow past 4 KiB; the HTML report is larger. SIGXFSZ is ignored
  // so that write() fails with EFBIG instead of killing the process.
  const r = cli(['export', '-F', 'html', '-o', target, '--force', snap], { shell: "ulimit -f 4; trap '' XFSZ" });
  assert.notEqual(r.code, 0, 'the export succeeded despite the limit');
  assertWhole(target, OLD, 'export under ulimit -f');
  assertNoTemp(dir);
});

test('a write that fails half-way (EFBIG) is reported with one line, not a stack trace', () => {
  const target = oldFile('big2.html');
  const r = cli(['export', '-F', 'html', '-o', target, '--force', snap], { shell: "ulimit -f 4; trap '' XFSZ" });
  assertOneLineError(r, /big2\.html/, 'export under ulimit -f');
});
