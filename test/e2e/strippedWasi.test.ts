// A wasi-libc program stripped of its name section, with only malloc and free named by index:
// realloc, calloc, posix_memalign and aligned_alloc come from their shape (allocatorShapes.ts),
// and the traced figures equal the fixture's tally line (every outermost allocator call counted
// by a wasm-ld --wrap build) and hand-computed answer.
import v8 from 'node:v8';
v8.setFlagsFromString('--no-turbo-fast-api-calls');
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWasi } from '../../src/host/wasiRunner.js';
import { customSection, readNameSection, readWasmModule } from '../../src/symbols/index.js';
import { loadExpected } from '../support/expected.js';
import { withoutCustomSections } from '../support/wasmSections.js';

test('alloc_basic.wasm without names, malloc and free named by index: live bytes, blocks and peak equal the tally', async () => {
  const bytes = readFileSync('fixtures/wasi/alloc_basic.wasm');
  const names = readNameSection(customSection(readWasmModule(bytes), 'name')!, []).functionNames;
  const index = (name: string): number => [...names].find(([, n]) => n === name)![0];
  const stripped = withoutCustomSections(bytes, (name) => name === 'name');
  const run = loadExpected('fixtures/src/c/alloc_basic.expected.json').runs[0]!;
  const out = join(mkdtempSync(join(tmpdir(), 'wtm-stripped-')), 'stdout');
  const fd = openSync(out, 'w');
  let result;
  try {
    result = await runWasi(stripped, {
      args: run.args, env: run.env, stdout: fd, nframe: 1, cache: false,
      instrument: { allocators: [{ function: index('malloc'), shape: 'malloc' }, { function: index('free'), shape: 'free' }] },
    });
  } finally {
    closeSync(fd);
  }
  assert.equal(result.exitCode, run.exitCode);
  assert.equal(readFileSync(out, 'utf8'), run.stdout);
  const tally = Object.fromEntries([...run.tally!.matchAll(/(\w+)=(\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
  assert.deepEqual(result.traced.tracemalloc.getTracedMemory(), [tally.live_bytes, tally.peak_bytes]);
  assert.equal(result.snapshot.statistics('filename').reduce((n, s) => n + s.count, 0), tally.live_blocks);
  assert.deepEqual([tally.live_bytes, tally.peak_bytes, tally.live_blocks], [run.program.liveBytes, run.program.peakBytes, run.program.liveBlocks]);
});
