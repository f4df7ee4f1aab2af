// Non-local exits through traced frames (fixtures/src/cpp/unwind.cpp, Emscripten 3.1.6): a
// longjmp and a C++ exception from deep recursion, and std::bad_alloc thrown from inside
// operator new. Without healing, the throw out of the allocator leaves its guard set and every
// later allocation and free goes untraced (the leaf blocks then look leaked). The expected
// answer is independent of the tool: the program's own counters (its last stdout line) and the
// source lines that carry "SITE:" markers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSnapshotSync } from '../../src/snapshot/file.js';
import { PRELOAD, runGlue, runGlueTraced } from '../support/emscriptenGlue.js';

const SOURCE = 'fixtures/src/cpp/unwind.cpp';
const scratch = mkdtempSync(join(tmpdir(), 'wtm-unwind-'));

/** Line number of the source line carrying `SITE:<name>`. */
function siteLine(name: string): number {
  const lines = readFileSync(SOURCE, 'utf8').split('\n');
  const index = lines.findIndex((l) => l.includes(`// SITE:${name}`) && !l.includes(`// SITE:${name}-`));
  assert.ok(index >= 0, `no SITE:${name} in ${SOURCE}`);
  return index + 1;
}

for (const [build, how] of [
  ['unwind.js', 'JS exceptions and longjmp (invoke_* imports catch and return)'],
  ['unwind.wasmeh.js', 'Wasm exceptions (try/catch in the module)'],
] as const) {
  test(`${build}, ${how}: after every unwind the blocks are traced, with the tracebacks they would have had`, () => {
    assert.ok(existsSync(PRELOAD), `${PRELOAD} is missing: run \`npm run build\` first`);
    const glue = join('fixtures/emscripten', build);
    const untraced = runGlue([glue]);
    assert.equal(untraced.code, 0, untraced.stderr);
    const counters = /unwind: allocs=(\d+) frees=(\d+) live_blocks=(\d+) live_bytes=(\d+) ok/.exec(untraced.stdout);
    assert.ok(counters, untraced.stdout);
    const [liveBlocks, liveBytes] = [Number(counters[3]), Number(counters[4])];

    const snapshotPath = join(scratch, `${build}.tmsnap`);
    const traced = runGlueTraced(glue, 8, snapshotPath, join(scratch, 'cache'));
    assert.equal(traced.code, untraced.code, traced.stderr);
    assert.equal(traced.stdout, untraced.stdout, "the program's own output is unchanged");

    const snapshot = loadSnapshotSync(snapshotPath);
    const traces = snapshot.traces;
    assert.equal(traces.length, liveBlocks, `traced blocks ≠ the program's live blocks:\n${traces.map(String).join('\n')}`);
    assert.equal(traces.reduce((n, t) => n + t.size, 0), liveBytes);
    // Most recent frame first: the probe's malloc, then main's call of probe.
    const probe = `cpp/unwind.cpp:${siteLine('probe')}`;
    const callers = new Set(['before', 'after-longjmp', 'after-throw', 'after-bad-alloc'].map((s) => `cpp/unwind.cpp:${siteLine(s)}`));
    const seen = new Set<string>();
    for (const t of traces) {
      const frames = t.traceback.frames.map((f) => `${f.filename}:${f.lineno}`);
      assert.equal(frames[0], probe, frames.join(' <- '));
      assert.ok(callers.has(frames[1]!), `caller ${frames[1]} is not one of main's probe lines: ${frames.join(' <- ')}`);
      seen.add(frames[1]!);
    }
    assert.deepEqual([...seen].sort(), [...callers].sort());
    // No frames left over from the unwound recursion: every probe sits at the same depth.
    const depths = new Set(traces.map((t) => t.traceback.totalNframe));
    assert.equal(depths.size, 1, `tracebacks of different depths: ${[...depths].join(', ')}`);
  });
}
