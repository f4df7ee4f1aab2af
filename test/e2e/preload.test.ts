// The preload as a user runs it: `node --import wasm-tracemalloc/preload app.js` (the package's
// `./preload` export, reached by self-reference, built in dist/), on a real program that knows
// nothing of the tracer: test/e2e/support/sqliteApp.mjs over @sqlite.org/sqlite-wasm.
//
// Oracles: the same program run without the preload (its output must not change), and SQLite's
// own counters it prints last. As in sqliteWasm.test.ts, every SQLite block is traced as its
// MallocSize + 8, and Emscripten's libc holds the environment in 2 more blocks, so the snapshot
// the preload dumps at exit holds exactly MEMORY_USED + 8 · MALLOC_COUNT + environment bytes in
// MALLOC_COUNT + 2 blocks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadSnapshotSync } from '../../src/snapshot/file.js';
import { withoutGlueProgress } from '../support/emscriptenGlue.js';

const APP = resolve('test/e2e/support/sqliteApp.mjs');

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [...args, APP], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: withoutGlueProgress(r.stderr) };
}

/** Emscripten's default environment strings and pointer array (getEnvStrings), `_` being the script. */
function environmentBytes(script: string): number {
  const env = { USER: 'web_user', LOGNAME: 'web_user', PATH: '/', PWD: '/', HOME: '/home/web_user', LANG: 'C.UTF-8', _: script };
  const strings = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  return strings.reduce((n, s) => n + Buffer.byteLength(s) + 1, 0) + 4 * (strings.length + 1);
}

test('node --import wasm-tracemalloc/preload: same output as untraced; the report at exit; the dumped heap = SQLite\'s own counters', (t) => {
  const untraced = run([]);
  assert.equal(untraced.code, 0, untraced.stderr);
  const snapshotPath = join(mkdtempSync(join(tmpdir(), 'wtm-preload-')), 'app.tmsnap');
  const traced = run(['--import', 'wasm-tracemalloc/preload'], { WASM_TRACEMALLOC: '2', WASM_TRACEMALLOC_SNAPSHOT: snapshotPath });
  assert.equal(traced.code, 0, traced.stderr);
  assert.equal(traced.stdout, untraced.stdout, "the program's output changed under the preload");
  assert.match(traced.stderr, /^\[ Top 10 lineno \]\n(.+: size=.+\n)+Total allocated size: .+\n$/);

  const { memoryUsed, mallocCount } = JSON.parse(traced.stdout.trim().split('\n').at(-1)!) as { memoryUsed: number; mallocCount: number };
  const snapshot = loadSnapshotSync(snapshotPath);
  const blocks = snapshot.statistics('filename').reduce((n, s) => n + s.count, 0);
  const bytes = snapshot.statistics('filename').reduce((n, s) => n + s.size, 0);
  t.diagnostic(`MEMORY_USED ${memoryUsed}, MALLOC_COUNT ${mallocCount}; traced ${bytes} B in ${blocks} blocks`);
  assert.equal(blocks, mallocCount + 2);
  assert.equal(bytes, memoryUsed + 8 * mallocCount + environmentBytes(APP));
  assert.equal(snapshot.tracebackLimit, 2, 'WASM_TRACEMALLOC=2 sets the frames');
});
