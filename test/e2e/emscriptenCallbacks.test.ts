// A C function pointer that JS filled (fixtures/src/c/callbacks.c, Emscripten 3.1.6): addFunction
// puts a JS function into the exported table, C calls it (a call_indirect of a signature no C
// function has), and the JS allocates through the exported malloc. The callback's block must
// get the frames it has, via_callback's call of the pointer and main's call of via_callback;
// before indirect calls through an open table counted as re-entries, it got main's previous
// call site (SITE:direct) instead. The expected frames come from the source's SITE: markers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadSnapshotSync } from '../../src/snapshot/file.js';
import { PRELOAD, runGlue, runGlueTraced } from '../support/emscriptenGlue.js';

const SOURCE = 'fixtures/src/c/callbacks.c';
const GLUE = 'fixtures/emscripten/callbacks.js';

/** `c/callbacks.c:<line>` of the source line carrying `SITE:<name>`. */
function site(name: string): string {
  const lines = readFileSync(SOURCE, 'utf8').split('\n');
  const index = lines.findIndex((l) => l.includes(`// SITE:${name}`));
  assert.ok(index >= 0, `no SITE:${name} in ${SOURCE}`);
  return `c/callbacks.c:${index + 1}`;
}

test('callbacks.js: a block allocated by a JS callback through the exported table has the callback\'s call sites as frames', () => {
  assert.ok(existsSync(PRELOAD), `${PRELOAD} is missing: run \`npm run build\` first`);
  const untraced = runGlue([GLUE]);
  assert.equal(untraced.code, 0, untraced.stderr);
  const counters = /callbacks: live_blocks=(\d+) live_bytes=(\d+) ok/.exec(untraced.stdout);
  assert.ok(counters, untraced.stdout);

  const scratch = mkdtempSync(join(tmpdir(), 'wtm-callbacks-'));
  const snapshotPath = join(scratch, 'callbacks.tmsnap');
  const traced = runGlueTraced(GLUE, 8, snapshotPath, join(scratch, 'cache'));
  assert.equal(traced.code, untraced.code, traced.stderr);
  assert.equal(traced.stdout, untraced.stdout, "the program's own output is unchanged");

  const traces = loadSnapshotSync(snapshotPath).traces;
  assert.equal(traces.length, Number(counters[1]), traces.map(String).join('\n'));
  assert.equal(traces.reduce((n, t) => n + t.size, 0), Number(counters[2]));
  const framesOf = (size: number): string[] => {
    const trace = traces.find((t) => t.size === size);
    assert.ok(trace, `no block of ${size} bytes: ${traces.map(String).join('\n')}`);
    return trace.traceback.frames.map((f) => `${f.filename}:${f.lineno}`);
  };
  // Most recent frame first, then main's callers in the runtime. The JS frame between the
  // callback and malloc is not seen, so both blocks are as deep.
  const direct = framesOf(24);
  const viaCallback = framesOf(48);
  assert.deepEqual(direct.slice(0, 2), [site('make'), site('direct')]);
  assert.deepEqual(viaCallback.slice(0, 2), [site('callback'), site('via')]);
  assert.deepEqual(viaCallback.slice(2), direct.slice(2));
  const depth = (size: number): number | undefined => traces.find((t) => t.size === size)!.traceback.totalNframe;
  assert.equal(depth(48), depth(24));
});

test('instrument --explain names the exported table whose indirect calls became call sites', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'wtm-callbacks-')), 'traced.wasm');
  const r = spawnSync(process.execPath, ['dist/cli/main.js', 'instrument', '--explain', 'fixtures/emscripten/callbacks.wasm', '-o', out], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /^open table "__indirect_function_table": imported or exported/m);
});
