// `wasm-tracemalloc bench` as a user runs it (dist/cli/main.js, made by `npm run build`): two
// builds of heap_phases with different allocators side by side, program arguments after --,
// and the one-line errors. The figures themselves are checked in test/host/allocatorBench.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AllocatorReport } from '../../src/host/allocatorBench.js';
import { loadExpected } from '../support/expected.js';

const CLI = 'dist/cli/main.js';
const DL = 'fixtures/emscripten/heap_phases.dlmalloc.wasm';
const EM = 'fixtures/emscripten/heap_phases.emmalloc.wasm';
const phases = loadExpected('fixtures/src/c/heap_phases.expected.json');
const scratch = mkdtempSync(join(tmpdir(), 'wtm-bench-cli-'));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: process.cwd() });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('bench a.wasm b.wasm: both programs run, their reports stand side by side, --json has the same figures', () => {
  assert.ok(existsSync(CLI), `${CLI} is missing: run \`npm run build\` first`);
  const json = join(scratch, 'reports.json');
  const r = cli('bench', '--root', 'fixtures/src', '--json', json, DL, EM);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, phases.runs[0]!.stdout!.repeat(2));
  const header = r.stderr.split('\n')[0]!;
  assert.match(header, /^\s+heap_phases\.dlmalloc\.wasm\s+heap_phases\.emmalloc\.wasm$/);
  assert.match(r.stderr, /^allocations\s+314\s+314$/m);
  assert.match(r.stderr, /^temporary \(freed, no allocation between\)\s+110 \(35\.0%\)\s+110 \(35\.0%\)$/m);
  for (const name of ['heap_phases.dlmalloc.wasm', 'heap_phases.emmalloc.wasm']) {
    assert.match(r.stderr, new RegExp(`who grew the memory \\(${name.replace(/\./g, '\\.')}\\).*\\n  .* in 1 growth: c/heap_phases\\.c:79 ←`));
  }
  const reports = JSON.parse(readFileSync(json, 'utf8')) as AllocatorReport[];
  assert.deepEqual(reports.map((x) => [x.module, x.allocations, x.frees, x.peakLiveBytes]), [
    ['heap_phases.dlmalloc.wasm', 314, 310, 1052672],
    ['heap_phases.emmalloc.wasm', 314, 310, 1052672],
  ]);
});

test('bench app.wasm -- args: the arguments after -- go to the program', () => {
  const r = cli('bench', 'fixtures/wasi/churn.wasm', '--', '1000');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^churn: pairs=1000 /);
  assert.match(r.stderr, /^allocations\s+1,002$/m);
});

test('bench: no module, or a missing one, is one line and exit code 2', () => {
  const none = cli('bench');
  assert.equal(none.code, 2);
  assert.equal(none.stderr, "wasm-tracemalloc: error: missing required argument 'modules'\n");
  const missing = cli('bench', join(scratch, 'nope.wasm'));
  assert.equal(missing.code, 2);
  assert.equal(missing.stderr, `wasm-tracemalloc: error: cannot read the module ${join(scratch, 'nope.wasm')}: no such file\n`);
});
