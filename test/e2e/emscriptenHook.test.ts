// The global hook on Emscripten 3.1.6 glue that accepts nothing (CommonJS, -sENVIRONMENT=node,
// loads its .wasm from a fixed path and calls process.exit): run as a user would, in a child
// process with `node --import dist/cli/preload.js`, which installs the hook and prints the
// top report at exit. Compared with the fixture's known answer (fixtures/src/c/alloc_basic.expected.json).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSnapshotSync } from '../../src/snapshot/file.js';
import { formatSize } from '../../src/snapshot/index.js';
import { loadExpected } from '../support/expected.js';
import { withoutGlueProgress } from '../support/emscriptenGlue.js';

const PRELOAD = 'dist/cli/preload.js';
const expected = loadExpected('fixtures/src/c/alloc_basic.expected.json');
const run = expected.runs[0]!;
const live = run.program.sites.filter((s) => s.liveBlocks > 0).sort((a, b) => b.liveBytes - a.liveBytes || b.liveBlocks - a.liveBlocks);
const scratch = mkdtempSync(join(tmpdir(), 'wtm-emhook-'));

function traced(glue: string, env: Record<string, string> = {}) {
  assert.ok(existsSync(PRELOAD), `${PRELOAD} is missing: run \`npx tsc -p tsconfig.json\` first`);
  const r = spawnSync(process.execPath, ['--no-experimental-fetch', '--import', `./${PRELOAD}`, glue], {
    encoding: 'utf8',
    env: { ...process.env, WASM_TRACEMALLOC_ROOT: 'fixtures/src', ...env },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: withoutGlueProgress(r.stderr) };
}

/** "size=1000 B, count=1" of each report line, in order. */
function figures(report: string): string[] {
  return report.split('\n').filter((l) => l.includes(': size=')).map((l) => l.slice(l.indexOf(': size=') + 2).replace(/, average=.*/, ''));
}

test('-g build (DWARF): the report at exit equals the known answer line for line', () => {
  const r = traced('fixtures/emscripten/alloc_basic.g.js');
  assert.equal(r.code, run.exitCode, r.stderr);
  assert.equal(r.stdout, run.stdout, "the program's own output is unchanged");
  const lines = live.slice(0, 10).map((s) => `${s.file}:${s.line}: size=${s.liveBytes} B, count=${s.liveBlocks}, average=${Math.round(s.liveBytes / s.liveBlocks)} B`);
  const total = live.reduce((n, s) => n + s.liveBytes, 0);
  assert.equal(r.stderr, ['[ Top 10 lineno ]', ...lines, `Total allocated size: ${formatSize(total, false)}`, ''].join('\n'));
});

test('-O2 build (no names, no DWARF), allocator functions named: every line\'s figures, the total and the peak equal the known answer', () => {
  // The build exports only malloc and free; realloc, calloc and posix_memalign (into which
  // aligned_alloc is inlined) are functions 27, 30 and 28 (found by their call graph and
  // signatures; the detector cannot see them yet, see docs/integrations.md).
  const snapshotPath = join(scratch, 'O2.tmsnap');
  const r = traced('fixtures/emscripten/alloc_basic.O2.js', {
    WASM_TRACEMALLOC_ALLOCATORS: 'malloc=malloc,free=free,realloc=27,calloc=30,posix_memalign=28',
    WASM_TRACEMALLOC_SNAPSHOT: snapshotPath,
  });
  assert.equal(r.code, run.exitCode, r.stderr);
  assert.equal(r.stdout, run.stdout);
  // Frames are named by function and module offset (wasm-function[6]:5388): compare the figures.
  assert.deepEqual(figures(r.stderr), live.slice(0, 10).map((s) => `size=${s.liveBytes} B, count=${s.liveBlocks}`));
  assert.match(r.stderr, /^wasm-function\[\d+\]:\d+: size=1000 B/m);
  const snapshot = loadSnapshotSync(snapshotPath);
  assert.equal(snapshot.meta?.tracedCurrent, run.program.liveBytes);
  assert.equal(snapshot.meta?.tracedPeak, run.program.peakBytes);
  assert.equal(snapshot.statistics('filename').reduce((n, s) => n + s.count, 0), run.program.liveBlocks);
});

// On a cache miss this once hung: `--import` runs the preload in the instrumenter's worker too,
// whose hook then matched Binaryen's own minified exports ("f") and started workers without end.
// Hence the fresh cache directory here.
test('-O3 build (minified exports): WASM_TRACEMALLOC_GLUE reads _malloc/_free from the glue', () => {
  const cache = mkdtempSync(join(tmpdir(), 'wtm-emhook-cache-'));
  const r = traced('fixtures/emscripten/alloc_basic.O3.js', { WASM_TRACEMALLOC_GLUE: 'fixtures/emscripten/alloc_basic.O3.js', WASM_TRACEMALLOC_CACHE: cache });
  assert.equal(r.code, run.exitCode, r.stderr);
  assert.equal(r.stdout, run.stdout);
  assert.match(r.stderr, /^\[ Top 10 lineno \]\n/);
  assert.match(r.stderr, /^wasm-function\[\d+\]:\d+: size=\d+ B, count=\d+/m);
  // The glue binds only malloc and free; realloc & co. come from their shape. The exact figures
  // are checked in emscriptenStripped.test.ts; here, never more than the program's.
  const total = Number(/\nTotal allocated size: (\d+) B\n$/.exec(r.stderr)?.[1]);
  assert.ok(total > 0 && total <= run.program.liveBytes, r.stderr);
  // Without the glue the module names no allocator: it runs untraced, and no report is printed.
  const untraced = traced('fixtures/emscripten/alloc_basic.O3.js');
  assert.equal(untraced.stdout, run.stdout);
  assert.equal(untraced.stderr, '');
});

test('a glue file whose allocator export cannot be read: a clear error before the program runs', () => {
  const glue = join(scratch, 'not-glue.js');
  writeFileSync(glue, 'console.log("hello");\n');
  const r = traced('fixtures/emscripten/alloc_basic.O3.js', { WASM_TRACEMALLOC_GLUE: glue });
  assert.notEqual(r.code, 0);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /cannot read the allocator's export names from the glue file .*not-glue\.js: not-glue\.js does not bind _malloc to a wasm export/);
});

test('WASM_TRACEMALLOC=0 installs nothing; an invalid value stops the program with a clear error', () => {
  const off = traced('fixtures/emscripten/alloc_basic.O2.js', { WASM_TRACEMALLOC: '0' });
  assert.equal(off.stdout, run.stdout);
  assert.equal(off.stderr, '');
  const bad = traced('fixtures/emscripten/alloc_basic.O2.js', { WASM_TRACEMALLOC: 'many' });
  assert.notEqual(bad.code, 0);
  assert.equal(bad.stdout, '');
  assert.match(bad.stderr, /WASM_TRACEMALLOC="many": invalid number of frames/);
});
