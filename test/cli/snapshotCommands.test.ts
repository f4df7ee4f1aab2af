// stats, compare, export and report as a user runs them: the built CLI (dist/cli/main.js) in a
// child process, on snapshots with known contents (test/report/sample.ts) and on one from a
// real run of the C fixture.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { dumpSnapshotSync } from '../../src/snapshot/file.js';
import { Snapshot } from '../../src/snapshot/index.js';
import { loadExpected } from '../support/expected.js';
import { HASH_B, newSnapshot, oldSnapshot } from '../report/sample.js';

const CLI = 'dist/cli/main.js';
const scratch = mkdtempSync(join(tmpdir(), 'wtm-snapcli-'));
const OLD = join(scratch, 'old.tmsnap');
const NEW = join(scratch, 'new.tmsnap');
const OTHER = join(scratch, 'other-module.tmsnap');
const NOHASH = join(scratch, 'no-hash.tmsnap');
dumpSnapshotSync(oldSnapshot(), OLD);
dumpSnapshotSync(newSnapshot(), NEW);
dumpSnapshotSync(newSnapshot(HASH_B), OTHER);
dumpSnapshotSync(new Snapshot(newSnapshot().traces, 2), NOHASH);

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A user error: exit code 2, one line on stderr, no stack trace, nothing on stdout. */
function assertUserError(r: ReturnType<typeof cli>, message: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^wasm-tracemalloc: error: [^\n]+\n$/);
  assert.match(r.stderr, message);
  assert.equal(r.stdout, '');
}

test('stats: what the snapshot is, then the aligned top lines', () => {
  assert.ok(existsSync(CLI), `${CLI} is missing: run \`npx tsc -p tsconfig.json\` first`);
  const r = cli('stats', OLD, '--limit', '2');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.equal(
    r.stdout,
    [
      `${OLD}: app.wasm, sha256 aaaaaaaaaaaa, 5 traces, traced 5258 B, peak 6000 B, traceback limit 2, taken 2024-01-02T03:04:05.000Z`,
      '[ Top 2 lineno ]',
      '  size  count  average  location',
      '5000 B      1   5000 B  b.c:5',
      ' 250 B      3     83 B  a.c:10',
      '   8 B      1        -  1 other',
      'Total allocated size: 5258 B',
      '',
    ].join('\n'),
  );
});

test('stats: --group-by traceback prints the frames; --filter / --exclude select traces; --cumulative', () => {
  const tb = cli('stats', OLD, '-g', 'traceback', '-l', '1');
  assert.match(tb.stdout, /\n#1  5000 B      1   5000 B\n {2}File "a\.c", line 2\n {2}File "b\.c", line 5\n3 other: size=258 B, count=4\n/);

  const only = cli('stats', OLD, '--filter', 'a.c:10', '--json');
  assert.equal(only.code, 0, only.stderr);
  const j = JSON.parse(only.stdout);
  assert.deepEqual(j.total, { size: 250, count: 3 });
  assert.equal(j.snapshot.traces, 3);

  const excluded = JSON.parse(cli('stats', OLD, '--exclude', 'a.*', '--exclude', 'c.c', '--json').stdout);
  assert.deepEqual(excluded.statistics.map((s: { text: string }) => s.text), ['b.c:5: size=5000 B, count=1, average=5000 B']);

  // a.c:2 is only an older frame: it matches with --all-frames
  assert.deepEqual(JSON.parse(cli('stats', OLD, '--filter', 'a.c:2', '--json').stdout).total, { size: 0, count: 0 });
  assert.deepEqual(JSON.parse(cli('stats', OLD, '--filter', 'a.c:2', '--all-frames', '--json').stdout).total, { size: 5000, count: 1 });

  const cumulative = cli('stats', OLD, '--cumulative', '--limit', '0');
  assert.match(cumulative.stdout, /^\[ Top all lineno \(cumulative\) \]$/m);
  assert.match(cumulative.stdout, /^5000 B +1 +5000 B  a\.c:2$/m);

  assertUserError(cli('stats', OLD, '-g', 'traceback', '--cumulative'), /--cumulative works with --group-by lineno or filename/);
  assertUserError(cli('stats', OLD, '--filter', ':12'), /--filter ":12": expected a file name pattern/);
});

test('compare: the top differences, totals with signs, and --json', () => {
  const r = cli('compare', OLD, NEW, '--limit', '2');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout.split('\n').slice(2).join('\n'),
    [
      '[ Top 2 differences lineno ]',
      '    size  size diff  count  count diff   average  location',
      '24.4 KiB  +19.5 KiB      2          +1  12.2 KiB  b.c:5',
      '   150 B     -100 B      2          -1      75 B  a.c:10',
      '     9 B       +1 B      2          +1         -  2 other',
      'Total allocated size: 24.6 KiB (+19.4 KiB), 6 blocks (+1)',
      '',
    ].join('\n'),
  );
  assert.match(r.stdout, new RegExp(`^old ${OLD}: app\\.wasm.*\\nnew ${NEW}: app\\.wasm`));
  const j = JSON.parse(cli('compare', OLD, NEW, '--json', '-g', 'filename').stdout);
  assert.deepEqual(j.total, { size: 25159, sizeDiff: 19901, count: 6, countDiff: 1 });
  assert.deepEqual(j.differences[0], { size: 25000, sizeDiff: 20000, count: 2, countDiff: 1, traceback: [{ filename: 'b.c', lineno: 0 }], text: 'b.c:0: size=24.4 KiB (+19.5 KiB), count=2 (+1), average=12.2 KiB' });
});

test('compare refuses snapshots of different modules unless --allow-different-modules', () => {
  assertUserError(cli('compare', OLD, OTHER), /old\.tmsnap and .*other-module\.tmsnap are snapshots of different modules \(app\.wasm, sha256 aaaaaaaaaaaa… vs app\.wasm, sha256 bbbbbbbbbbbb…\).*--allow-different-modules/);
  assert.equal(cli('compare', OLD, OTHER, '--allow-different-modules').code, 0);
  assert.equal(cli('compare', OLD, NOHASH).code, 0, 'an unknown hash is not a different module');
  assertUserError(cli('report', OLD, OTHER, '-o', join(scratch, 'refused.html')), /different modules/);
  assert.ok(!existsSync(join(scratch, 'refused.html')));
});

test('bad input: a missing file, a corrupt snapshot, a file that is not a snapshot', () => {
  assertUserError(cli('stats', join(scratch, 'nope.tmsnap')), /cannot read the snapshot .*nope\.tmsnap: no such file$/m);
  assertUserError(cli('compare', OLD, join(scratch, 'nope.tmsnap')), /no such file/);
  const bytes = readFileSync(OLD);
  const flipped = Uint8Array.from(bytes);
  flipped[bytes.length - 3]! ^= 0x10;
  const corrupt = join(scratch, 'corrupt.tmsnap');
  writeFileSync(corrupt, flipped);
  assertUserError(cli('stats', corrupt), /corrupt\.tmsnap is not a valid snapshot: checksum mismatch .*the file is corrupted$/m);
  const cut = join(scratch, 'cut.tmsnap');
  writeFileSync(cut, bytes.subarray(0, 30));
  assertUserError(cli('export', cut, '-F', 'pprof', '-o', join(scratch, 'cut.pb.gz')), /cut\.tmsnap is not a valid snapshot: truncated at byte 30/);
  const text = join(scratch, 'text.tmsnap');
  writeFileSync(text, 'hello\n');
  assertUserError(cli('report', text, '-o', join(scratch, 'text.html')), /text\.tmsnap is not a valid snapshot: .*bad magic/);
  assertUserError(cli('stats', scratch), /cannot read the snapshot .*: it is a directory/);
});

test('export: pprof, folded and html files; never overwrites without --force; never the input', () => {
  const pb = join(scratch, 'new.pb.gz');
  const r = cli('export', NEW, '--format', 'pprof', '-o', pb);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, `pprof profile written to ${pb}\n`);
  const profile = Profile.decode(gunzipSync(readFileSync(pb)));
  assert.equal(profile.sample.reduce((n, s) => n + Number(s.value[1]), 0), 25159);

  const folded = join(scratch, 'new.folded');
  assert.equal(cli('export', NEW, '-F', 'folded', '-o', folded).code, 0);
  assert.equal(readFileSync(folded, 'utf8'), 'a.c:2;b.c:5 25000\na.c:1;a.c:10 100\na.c:3;a.c:10 50\n[truncated];c.c:8;c.c:7 8\na.c:4;d.c:1 1\n');
  const blocks = cli('export', NEW, '-F', 'folded', '--value', 'blocks', '--exclude', 'b.c', '-o', '-');
  assert.equal(blocks.stdout, 'a.c:1;a.c:10 1\na.c:3;a.c:10 1\n[truncated];c.c:8;c.c:7 1\na.c:4;d.c:1 1\n');

  const html = join(scratch, 'new.html');
  assert.equal(cli('export', NEW, '-F', 'html', '-o', html).code, 0);
  assert.match(readFileSync(html, 'utf8'), /^<!DOCTYPE html>[\s\S]*id="flame"[\s\S]*<\/html>\n$/);

  const before = readFileSync(folded);
  assertUserError(cli('export', OLD, '-F', 'folded', '-o', folded), /refusing to overwrite .*new\.folded.*force/);
  assert.deepEqual(readFileSync(folded), before);
  assert.equal(cli('export', OLD, '-F', 'folded', '-o', folded, '--force').code, 0);
  assert.notDeepEqual(readFileSync(folded), before);

  assertUserError(cli('export', NEW, '-F', 'folded', '-o', NEW, '--force'), /is the input snapshot/);
  assert.equal(cli('export', NEW, '-o', join(scratch, 'x')).code, 2, 'commander: --format is required (a usage error: exit code 2 like every user error)');
});

test('report: one snapshot or the change between two, as one HTML file', () => {
  const diff = join(scratch, 'diff.html');
  const r = cli('report', OLD, NEW, '-o', diff, '--title', 'before & after');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, `report written to ${diff}\n`);
  const page = readFileSync(diff, 'utf8');
  assert.match(page, /<title>before &#38; after<\/title>/);
  assert.match(page, /Top differences by line/);
  assert.match(page, /"mode":"diff"/);
  assertUserError(cli('report', OLD, NEW, '-o', diff), /refusing to overwrite/);
  const single = cli('report', NEW, '-o', '-');
  assert.match(single.stdout, /"mode":"single"/);
});

test('on a real run of the C fixture: stats equals the known answer, export folds the same bytes', () => {
  const snap = join(scratch, 'alloc_basic.tmsnap');
  const run = cli('run', '-n', '3', '--snapshot', snap, '--root', 'fixtures/src', 'fixtures/wasi/alloc_basic.wasm');
  assert.equal(run.code, 0, run.stderr);
  const program = loadExpected('fixtures/src/c/alloc_basic.expected.json').runs[0]!.program;
  const live = program.sites.filter((s) => s.liveBlocks > 0);
  const j = JSON.parse(cli('stats', snap, '--json', '--limit', '0').stdout);
  assert.deepEqual(j.total, { size: program.liveBytes, count: program.liveBlocks });
  assert.equal(j.snapshot.moduleName, 'alloc_basic.wasm');
  const got = j.statistics.map((s: { traceback: { filename: string; lineno: number }[]; size: number; count: number }) => `${s.traceback[0]!.filename}:${s.traceback[0]!.lineno} ${s.size} ${s.count}`).sort();
  assert.deepEqual(got, live.map((s) => `${s.file}:${s.line} ${s.liveBytes} ${s.liveBlocks}`).sort());

  const text = cli('stats', snap, '-l', '1').stdout;
  assert.match(text, /^\[ Top 1 lineno \]\n {2}size {2}count {2}average {2}location\n1000 B +1 +1000 B {2}c\/alloc_basic\.c:184\n1252 B +12 +- {2}8 other\nTotal allocated size: 2252 B\n$/m);

  const folded = cli('export', snap, '-F', 'folded', '-o', '-').stdout;
  const lines = folded.trim().split('\n');
  assert.equal(lines.reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0), program.liveBytes);
  assert.ok(lines.some((l) => l.endsWith(';c/alloc_basic.c:147;c/alloc_basic.c:115 80')), 'the helper called from line 147');

  const same = cli('compare', snap, snap, '--json');
  assert.deepEqual(JSON.parse(same.stdout).total, { size: 2252, sizeDiff: 0, count: 13, countDiff: 0 });
});

const script = spawnSync('script', ['--version'], { encoding: 'utf8' });
const noScript = script.error || script.status !== 0 ? 'script (util-linux) is not installed: no terminal to test the progress bar in' : false;

test('progress bars: drawn on a terminal for a big snapshot, never when stderr is not a terminal', { skip: noScript, timeout: 120_000 }, () => {
  const big = join(scratch, 'big.tmsnap');
  const traces = Array.from({ length: 300_000 }, (_, i) => ({ size: 16 + (i % 1000), traceback: [['big.c', i % 5000] as const, ['main.c', 1] as const] }));
  dumpSnapshotSync(new Snapshot(traces, 2), big);
  assert.ok(readFileSync(big).length >= 1 << 20, 'the snapshot is big enough for a bar');
  const piped = cli('export', big, '-F', 'pprof', '-o', join(scratch, 'big1.pb.gz'));
  assert.equal(piped.code, 0, piped.stderr);
  assert.equal(piped.stderr, `pprof profile written to ${join(scratch, 'big1.pb.gz')}\n`, 'no bar when stderr is a pipe');
  // script(1) runs the command on a pseudo-terminal; what the terminal showed is its stdout
  const command = `${process.execPath} ${CLI} export ${big} -F pprof -o ${join(scratch, 'big2.pb.gz')}`;
  const tty = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8' });
  assert.equal(tty.status, 0, tty.stdout + tty.stderr);
  assert.match(tty.stdout, /reading .*big\.tmsnap +\S* *\[[^\]]*\] \d+%/);
  assert.match(tty.stdout, /pprof profile written to/);
});
