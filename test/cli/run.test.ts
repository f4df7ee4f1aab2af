// The CLI as a user runs it: the built `wasm-tracemalloc` (dist/cli/main.js, made by `npm run
// build`), in a child process, on the bundled C fixture.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSnapshotSync } from '../../src/snapshot/file.js';
import { formatSize } from '../../src/snapshot/index.js';
import { loadExpected } from '../support/expected.js';

const CLI = 'dist/cli/main.js';
const FIXTURE = 'fixtures/wasi/alloc_basic.wasm';
const expected = loadExpected('fixtures/src/c/alloc_basic.expected.json');
const scratch = mkdtempSync(join(tmpdir(), 'wtm-cli-'));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: process.cwd() });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('run: the program keeps its stdout and exit code; the top-10 report lists the known live lines', () => {
  assert.ok(existsSync(CLI), `${CLI} is missing: run \`npm run build\` first`);
  const r = cli('run', '--root', 'fixtures/src', FIXTURE);
  assert.equal(r.code, expected.runs[0]!.exitCode);
  assert.equal(r.stdout, expected.runs[0]!.stdout);
  const live = expected.runs[0]!.program.sites.filter((s) => s.liveBlocks > 0);
  live.sort((a, b) => b.liveBytes - a.liveBytes || b.liveBlocks - a.liveBlocks);
  // Sizes here are all under 10 KiB, so tracemalloc prints them as whole bytes: "1000 B".
  const lines = live.slice(0, 10).map((s) => `${s.file}:${s.line}: size=${s.liveBytes} B, count=${s.liveBlocks}, average=${Math.round(s.liveBytes / s.liveBlocks)} B`);
  const total = live.reduce((n, s) => n + s.liveBytes, 0);
  assert.equal(r.stderr, ['[ Top 10 lineno ]', ...lines, `Total allocated size: ${formatSize(total, false)}`, ''].join('\n'));
});

test('run --snapshot writes a snapshot that loads back with the same statistics, and never overwrites without --force', () => {
  const path = join(scratch, 'alloc_basic.tmsnap');
  const first = cli('run', '-n', '2', '--snapshot', path, '--root', 'fixtures/src', FIXTURE);
  assert.equal(first.code, 0, first.stderr);
  const snapshot = loadSnapshotSync(path);
  assert.equal(snapshot.tracebackLimit, 2);
  assert.equal(snapshot.meta.moduleName, 'alloc_basic.wasm');
  assert.equal(snapshot.meta.tracedCurrent, expected.runs[0]!.program.liveBytes);
  assert.equal(snapshot.meta.tracedPeak, expected.runs[0]!.program.peakBytes);
  assert.equal(snapshot.statistics('filename')[0]!.count, expected.runs[0]!.program.liveBlocks);

  const before = readFileSync(path);
  const refused = cli('run', '--snapshot', path, FIXTURE);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /refusing to overwrite .*alloc_basic\.tmsnap.*force/);
  assert.deepEqual(readFileSync(path), before, 'the existing snapshot was changed');
  assert.equal(cli('run', '--snapshot', path, '--force', FIXTURE).code, 0);
});

test('run: bad input gets one clear line and exit code 2', () => {
  const missing = cli('run', join(scratch, 'nope.wasm'));
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^wasm-tracemalloc: error: cannot read the module .*nope\.wasm: no such file\n$/);

  const notWasm = join(scratch, 'not.wasm');
  writeFileSync(notWasm, 'hello, world\n');
  const bad = cli('run', notWasm);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^wasm-tracemalloc: error: \S*not\.wasm: not a WebAssembly module/, "the line names the file");

  const truncated = join(scratch, 'truncated.wasm');
  writeFileSync(truncated, readFileSync(FIXTURE).subarray(0, 5000));
  const cut = cli('run', truncated);
  assert.equal(cut.code, 2);
  assert.match(cut.stderr, /^wasm-tracemalloc: error: .*(truncated|unexpected end|could not read)/i);
  assert.doesNotMatch(cut.stderr, /\n\s+at /, 'a stack trace was printed');

  const cumulativeTraceback = cli('run', '--group-by', 'traceback', '--cumulative', FIXTURE);
  assert.equal(cumulativeTraceback.code, 2);
  assert.match(cumulativeTraceback.stderr, /--cumulative works with --group-by lineno or filename/);
});

test('instrument: writes a module that validates, refuses to overwrite the input', () => {
  const out = join(scratch, 'traced.wasm');
  const r = cli('instrument', FIXTURE, '-o', out, '--explain');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /malloc +function \d+ "malloc": named "malloc" in the name section/);
  assert.doesNotMatch(r.stderr, /open table/, 'a WASI command exports no table');
  assert.ok(WebAssembly.validate(readFileSync(out)));
  const again = cli('instrument', out, '-o', join(scratch, 'twice.wasm'));
  assert.equal(again.code, 2);
  assert.match(again.stderr, /already instrumented/);
  const self = cli('instrument', FIXTURE, '-o', FIXTURE);
  assert.equal(self.code, 2);
  assert.match(self.stderr, /is the input module/);
});

test('run --debug-file: a module stripped of its DWARF gets its lines from the separate debug file; a mismatched one is a warning, an unreadable one an error', async () => {
  const { editCustomSections } = await import('../symbols/support/fixtures.js');
  const original = readFileSync(FIXTURE);
  // What `-gseparate-dwarf` leaves: the same code without .debug_* sections, and the DWARF apart.
  const stripped = editCustomSections(original, (name, payload) => (name.startsWith('.debug_') ? null : payload));
  const module = join(scratch, 'split.wasm');
  const debug = join(scratch, 'split.debug.wasm');
  writeFileSync(module, stripped);
  writeFileSync(debug, original);
  const reportLines = (stderr: string) => stderr.split('\n').filter((l) => / size=/.test(l)).map((l) => l.split(':').slice(0, 2).join(':'));
  const want = reportLines(cli('run', '--root', 'fixtures/src', FIXTURE).stderr);
  assert.ok(want.length >= 5 && want.every((l) => /^c\/alloc_basic\.c:\d+$/.test(l)), want.join('\n'));

  const without = cli('run', '--root', 'fixtures/src', module);
  assert.equal(without.code, 0, without.stderr);
  assert.ok(reportLines(without.stderr).every((l) => !/alloc_basic\.c/.test(l)), 'lines without any DWARF?');

  const withDebug = cli('run', '--root', 'fixtures/src', '--debug-file', debug, module);
  assert.equal(withDebug.code, 0, withDebug.stderr);
  assert.deepEqual(reportLines(withDebug.stderr), want);
  assert.doesNotMatch(withDebug.stderr, /warning/);

  // Another program's DWARF: refused with a warning, never wrong lines.
  const other = cli('run', '--root', 'fixtures/src', '--debug-file', 'fixtures/wasi/churn.wasm', module);
  assert.equal(other.code, 0, other.stderr);
  assert.match(other.stderr, /^wasm-tracemalloc: warning: debug file fixtures\/wasi\/churn\.wasm does not match the module .*; its DWARF is not used$/m);
  assert.ok(reportLines(other.stderr).every((l) => !/\.c:/.test(l)), other.stderr);

  const missing = cli('run', '--debug-file', join(scratch, 'nope.wasm'), module);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^wasm-tracemalloc: error: cannot read the debug file .*nope\.wasm: no such file\n$/);
  assert.equal(missing.stdout, '', 'the program ran although the debug file could not be read');
});

test('run --malloc/--free on a stripped module: names the allocator by function index; without them, one line listing what to do', async () => {
  const { functionIndex, stripAll } = await import('../symbols/support/fixtures.js');
  const original = readFileSync(FIXTURE);
  const index = (name: string) => functionIndex(original, name);
  const stripped = join(scratch, 'stripped.wasm');
  writeFileSync(stripped, stripAll(original));

  const unnamed = cli('run', stripped);
  assert.equal(unnamed.code, 2);
  // One error, whose following lines list the candidates by function index.
  assert.match(unnamed.stderr, /^wasm-tracemalloc: error: \S*stripped\.wasm: no allocator found: .*--malloc \d+ --free \d+/);
  assert.match(unnamed.stderr, new RegExp(`^Candidates with a malloc signature \\(i32\\) -> i32: .*\\b${index('malloc')}, called from`, 'm'));
  assert.doesNotMatch(unnamed.stderr, /\n\s+at /);
  assert.equal(unnamed.stdout, '', 'the program ran although nothing could be traced');

  const named = cli('run', '--malloc', String(index('malloc')), '--free', String(index('free')), stripped);
  assert.equal(named.code, expected.runs[0]!.exitCode, named.stderr);
  assert.equal(named.stdout, expected.runs[0]!.stdout);
  // realloc, calloc and the aligned allocators are found from malloc and free by their shape.
  assert.match(named.stderr, new RegExp(`^Total allocated size: ${formatSize(expected.runs[0]!.program.liveBytes, false)}$`, 'm'));
});

test('run: what the instrumenter could not decide is printed after the report (a stripped module whose realloc is not found)', async () => {
  const { functionIndex, stripAll } = await import('../symbols/support/fixtures.js');
  // churn.c calls only malloc and free (wasi-libc's startup adds calloc): no realloc is linked.
  const original = readFileSync('fixtures/wasi/churn.wasm');
  const index = (name: string) => functionIndex(original, name);
  const stripped = join(scratch, 'churn.stripped.wasm');
  writeFileSync(stripped, stripAll(original));
  const r = cli('run', '--malloc', String(index('malloc')), '--free', String(index('free')), stripped, '--', '1000');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^Total allocated size: .*\nwasm-tracemalloc: warning: no realloc found \(the module names only malloc, free\)/m);
});
