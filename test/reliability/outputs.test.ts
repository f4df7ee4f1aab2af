// Output paths of `instrument -o`, `run --snapshot` and `export -o` (docs/reliability.md): an
// input or an existing file is never replaced without --force (the input never, for
// `instrument` and `export`), an unwritable destination gets one line and exit code 2, and
// when a write fails the old file stays whole, byte for byte, with no temporary file left.
import { test, type TestContext } from 'node:test';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import assert from 'node:assert/strict';
import { chmodSync, closeSync, copyFileSync, openSync, writeSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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

test('the error for an unwritable destination names the destination, not a temporary file (open and rename failures)', () => {
  const missing = join(dir, 'nowhere', 'out.wasm');
  const r = cli(['instrument', ALLOC_BASIC, '-o', missing]);
  assert.doesNotMatch(r.stderr, /\.tmp/);
  assert.match(r.stderr, /out\.wasm/);
  // The temporary file is written, then renamed onto a directory: rename fails with EISDIR.
  const aDir = join(dir, 'dir-as-output');
  mkdirSync(aDir);
  const e = cli(['export', '-F', 'html', '-o', aDir, '--force', snap]);
  assertOneLineError(e, /^wasm-tracemalloc: error: cannot write .*dir-as-output: EISDIR: illegal operation on a directory\n$/, 'export onto a directory');
  assert.doesNotMatch(e.stderr, /\.tmp/);
});

test('a directory without write permission is refused with one line (as root: the CLI runs as nobody)', (t) => {
  // Root writes anywhere, so as root the CLI runs as `nobody` (setpriv, util-linux) in a
  // directory it may read but not write.
  let prefix: string[] = [];
  if (process.getuid?.() === 0) {
    if (spawnSync('setpriv', ['--version']).status !== 0) return t.skip('running as root without setpriv (util-linux): cannot drop to an unprivileged user');
    prefix = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
  }
  const open = mkdtempSync(join(tmpdir(), 'wtm-rel-eacces-'));
  chmodSync(open, 0o755);
  const input = join(open, 'in.tmsnap');
  copyFileSync(snap, input);
  chmodSync(input, 0o644);
  const locked = join(open, 'locked');
  mkdirSync(locked, { mode: 0o555 });
  chmodSync(locked, 0o555);
  const r = cli(['export', '-F', 'html', '-o', join(locked, 'r.html'), input], { prefix });
  assertOneLineError(r, /r\.html/, 'export into a read-only directory');
  assert.match(r.stderr, /EACCES|permission denied/);
  assert.deepEqual(readdirSync(locked), [], 'something was written into the read-only directory');
  rmSync(open, { recursive: true, force: true });
});

/**
 * A small tmpfs mounted for one test (root only, as CI runs): the real ENOSPC and EROFS, not a
 * simulation. Undefined, with the reason, where mounting is not allowed.
 */
function withTmpfs(t: TestContext, sizeKiB: number, body: (mountPoint: string) => void): void {
  if (process.getuid?.() !== 0) return void t.skip('not root: cannot mount a tmpfs to fill up or make read-only');
  const mountPoint = mkdtempSync(join(tmpdir(), 'wtm-rel-tmpfs-'));
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKiB}k`, 'tmpfs', mountPoint], { encoding: 'utf8' });
  if (m.status !== 0) {
    rmSync(mountPoint, { recursive: true, force: true });
    return void t.skip(`cannot mount a tmpfs here: ${m.stderr.trim()}`);
  }
  try {
    body(mountPoint);
  } finally {
    spawnSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  }
}

/** Writes to `path` until the file system is full. */
function fillUp(path: string): void {
  const fd = openSync(path, 'w');
  try {
    for (;;) writeSync(fd, Buffer.alloc(1024));
  } catch (e) {
    if ((e as { code?: string }).code !== 'ENOSPC') throw e;
  } finally {
    closeSync(fd);
  }
}

test('a full disk (ENOSPC) mid-write: one line naming the file, the old file whole, no temporary file', (t) => {
  withTmpfs(t, 64, (full) => {
    const target = join(full, 'report.html');
    writeFileSync(target, OLD);
    fillUp(join(full, 'pad'));
    const r = cli(['export', '-F', 'html', '-o', target, '--force', snap]);
    assertOneLineError(r, /report\.html/, 'export onto a full disk');
    assert.match(r.stderr, /ENOSPC|no space/);
    assertWhole(target, OLD, 'export onto a full disk');
    assertNoTemp(full);
    // The same for a snapshot written at the end of a run: the run's output is the program's,
    // and only the snapshot is refused.
    const snapTarget = join(full, 'run.tmsnap');
    const rr = cli(['run', '--snapshot', snapTarget, ALLOC_BASIC]);
    assert.equal(rr.code, 2, rr.stderr);
    assert.match(rr.stderr, /wasm-tracemalloc: error: .*run\.tmsnap.*(ENOSPC|no space)/);
    assert.doesNotMatch(rr.stderr, /\n\s+at /);
    assert.match(rr.stdout, /alloc_basic: .* ok/, 'the program did not run to its end');
    assertNoTemp(full);
  });
});

test('a read-only file system (EROFS): one line, the old file whole', (t) => {
  withTmpfs(t, 256, (ro) => {
    const target = join(ro, 'out.wasm');
    writeFileSync(target, OLD);
    const remount = spawnSync('mount', ['-o', 'remount,ro', ro], { encoding: 'utf8' });
    if (remount.status !== 0) return void t.skip(`cannot remount read-only: ${remount.stderr.trim()}`);
    const r = cli(['instrument', ALLOC_BASIC, '-o', target, '--force']);
    assertOneLineError(r, /out\.wasm/, 'instrument onto a read-only file system');
    assert.match(r.stderr, /EROFS|read-only/);
    assertWhole(target, OLD, 'instrument onto a read-only file system');
  });
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
