// The misbehaving program of misbehave.test.ts on Emscripten 3.1.6 (fixtures/emscripten/misbehave.js:
// its dlmalloc, its JS runtime, a growable memory), traced through the global hook as a user
// runs an app whose glue accepts nothing (`node --import wasm-tracemalloc/preload`). The
// traced run must print the same stdout and stderr and end with the same exit code; the traced
// blocks whose frame is in misbehave.c must be the program's own counters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadSnapshotSync } from '../../src/snapshot/file.js';
import { Filter } from '../../src/snapshot/index.js';
import { scratch } from './helpers.js';
import { runGlue } from '../support/emscriptenGlue.js';

const GLUE = 'fixtures/emscripten/misbehave.js';
const PRELOAD = 'dist/cli/preload.js';
const dir = scratch('misbehave-em');

interface Case {
  args: string[];
  /** Blocks the program really holds at exit when its counters cannot know (it misuses free). */
  live?: { blocks: number; bytes: number };
  /** Its stdout has a sum of heap addresses, which tracing shifts (the shadow-stack block comes first). */
  addresses?: boolean;
}

const CASES: Case[] = [
  { args: ['ok'] },
  { args: ['exit', '3'] },
  { args: ['abort'] },
  // Emscripten's dlmalloc (no FOOTERS, no assertions) lets both frees of the 32-byte block return.
  { args: ['double_free'], live: { blocks: 1, bytes: 40 } },
  { args: ['wild_free'] },
  { args: ['realloc_freed'], live: { blocks: 2, bytes: 56 + 128 } },
  { args: ['huge'] },
  { args: ['grow'] },
  { args: ['deep', '10000'] },
  { args: ['many', '100000'], addresses: true },
];

for (const c of CASES) {
  const name = `misbehave.js ${c.args.join(' ')}`;
  test(`${name} (Emscripten): traced like the original (stdout, stderr, exit code), traced blocks = the program's`, () => {
    assert.ok(existsSync(PRELOAD), `${PRELOAD} is missing: run \`npm run build\` first`);
    const original = runGlue([GLUE, ...c.args]);
    const snap = join(dir, `${c.args.join('_')}.tmsnap`);
    const traced = runGlue(['--import', `./${PRELOAD}`, GLUE, ...c.args], {
      WASM_TRACEMALLOC: '4',
      WASM_TRACEMALLOC_ROOT: 'fixtures/src',
      WASM_TRACEMALLOC_SNAPSHOT: snap,
      WASM_TRACEMALLOC_CACHE: join(dir, 'cache'),
    });
    const mask = (s: string): string => (c.addresses ? s.replace(/sum=\d+/g, 'sum=…') : s);
    assert.equal(mask(traced.stdout), mask(original.stdout), `${name}: stdout`);
    assert.equal(traced.code, original.code, `${name}: exit code (traced stderr: ${traced.stderr.slice(0, 800)})`);
    // The program's stderr comes first, then the report (which starts with "[ Top").
    const programStderr = traced.stderr.slice(0, Math.max(0, traced.stderr.indexOf('[ Top ')));
    assert.equal(programStderr, original.stderr, `${name}: the program's stderr`);

    const counters = /misbehave \w+: live_blocks=(\d+) live_bytes=(\d+)/.exec(original.stdout);
    if (counters === null) {
      // abort: the program dies before counting; the snapshot at exit still loads.
      assert.equal(c.args[0], 'abort', `${name}: no counters in ${JSON.stringify(original.stdout)}`);
      assert.ok(loadSnapshotSync(snap).traces.length >= 1);
      return;
    }
    const expected = c.live ?? { blocks: Number(counters[1]), bytes: Number(counters[2]) };
    const own = loadSnapshotSync(snap).filterTraces([new Filter(true, '*misbehave.c')]).statistics('filename');
    const traces = { blocks: own.reduce((n, s) => n + s.count, 0), bytes: own.reduce((n, s) => n + s.size, 0) };
    assert.deepEqual(traces, expected, `${name}: the program's traced blocks`);
  });
}
