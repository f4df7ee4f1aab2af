// Stripped Emscripten release builds traced exactly with nothing named by hand: the -O2 build
// (exports malloc/free, no names) and the -O3 build (minified, malloc/free known from the glue).
// realloc, calloc and posix_memalign come from their call-graph shape (allocatorShapes.ts).
// Run as a user would (child process, `node --import dist/cli/preload.js`), compared with the
// hand-computed answer in fixtures/src/c/alloc_basic.expected.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSnapshotSync } from '../../src/snapshot/file.js';
import { loadExpected } from '../support/expected.js';
import { withoutGlueProgress } from '../support/emscriptenGlue.js';

const PRELOAD = 'dist/cli/preload.js';
const run = loadExpected('fixtures/src/c/alloc_basic.expected.json').runs[0]!;
const scratch = mkdtempSync(join(tmpdir(), 'wtm-emstripped-'));

function traced(build: 'O2' | 'O3', env: Record<string, string>) {
  assert.ok(existsSync(PRELOAD), `${PRELOAD} is missing: run \`npx tsc -p tsconfig.json\` first`);
  const snapshot = join(scratch, `${build}.tmsnap`);
  const r = spawnSync(process.execPath, ['--no-experimental-fetch', '--import', `./${PRELOAD}`, `fixtures/emscripten/alloc_basic.${build}.js`], {
    encoding: 'utf8',
    // A fresh cache: a module instrumented by an older detector must not be reused.
    env: { ...process.env, WASM_TRACEMALLOC_ROOT: 'fixtures/src', WASM_TRACEMALLOC_SNAPSHOT: snapshot, WASM_TRACEMALLOC_CACHE: join(scratch, `cache-${build}`), ...env },
    timeout: 120_000,
  });
  // The program's own behaviour first: a failed run writes no snapshot, and its stderr says why.
  assert.equal(r.status, run.exitCode, r.stderr);
  assert.equal(r.stdout, run.stdout, "the program's own output is unchanged");
  return { code: r.status, stdout: r.stdout, stderr: withoutGlueProgress(r.stderr), snapshot: loadSnapshotSync(snapshot) };
}

function assertExact(r: ReturnType<typeof traced>): void {
  assert.equal(r.snapshot.meta?.tracedCurrent, run.program.liveBytes, 'live bytes at exit');
  assert.equal(r.snapshot.meta?.tracedPeak, run.program.peakBytes, 'peak bytes');
  const stats = r.snapshot.statistics('filename');
  assert.equal(stats.reduce((n, s) => n + s.count, 0), run.program.liveBlocks, 'live blocks');
  assert.equal(stats.reduce((n, s) => n + s.size, 0), run.program.liveBytes);
}

test('-O2, no allocator named: live bytes, blocks, peak and every line\'s figures equal the known answer', () => {
  const r = traced('O2', {});
  assertExact(r);
  // No DWARF: frames are function and offset, one per call site; -O2 keeps one site per source line.
  const live = run.program.sites.filter((s) => s.liveBlocks > 0);
  const got = r.snapshot.statistics('lineno').map((s) => `${s.size}/${s.count}`).sort();
  assert.deepEqual(got, live.map((s) => `${s.liveBytes}/${s.liveBlocks}`).sort());
});

test('-O3, only the glue given: live bytes, blocks and peak equal the known answer (was 1972 of 2252 bytes)', () => {
  assertExact(traced('O3', { WASM_TRACEMALLOC_GLUE: 'fixtures/emscripten/alloc_basic.O3.js' }));
});
