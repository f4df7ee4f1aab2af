// End to end on the WASI fixtures: instrument, run under node:wasi with tracing on from before
// _start, snapshot at exit. Every figure is checked against answers from outside the tracer:
// the fixture's hand-computed expected.json, and the "tally" line it records (every outermost
// allocator call counted by a wasm-ld --wrap build of the same program).
import v8 from 'node:v8';
v8.setFlagsFromString('--no-turbo-fast-api-calls');
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, openSync, closeSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WASI } from 'node:wasi';
import { runWasi } from '../../src/host/wasiRunner.js';
import { loadExpected, type ExpectedRun } from '../support/expected.js';

const scratch = mkdtempSync(join(tmpdir(), 'wtm-e2e-'));

/** Runs `fn` with a temp file as the guest's stdout; returns what was written. */
async function captureStdout(name: string, fn: (fd: number) => Promise<number> | number): Promise<{ stdout: string; exitCode: number }> {
  const path = join(scratch, `${name}-${Math.random().toString(16).slice(2)}.out`);
  const fd = openSync(path, 'w');
  let exitCode: number;
  try {
    exitCode = await fn(fd);
  } finally {
    closeSync(fd);
  }
  return { stdout: readFileSync(path, 'utf8'), exitCode };
}

async function runOriginal(bytes: Uint8Array, run: ExpectedRun) {
  return captureStdout('original', async (fd) => {
    const wasi = new WASI({ version: 'preview1', args: run.args, env: run.env, returnOnExit: true, stdout: fd });
    const { instance } = await WebAssembly.instantiate(bytes as Uint8Array<ArrayBuffer>, wasi.getImportObject() as WebAssembly.Imports);
    return wasi.start(instance);
  });
}

/** Parses "TALLY allocs=23 frees=7 live_blocks=13 live_bytes=2252 peak_bytes=2672". */
function parseTally(line: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of line.matchAll(/(\w+)=(\d+)/g)) out[m[1]!] = Number(m[2]);
  return out;
}

const FIXTURES: Array<[wasm: string, expected: string]> = [
  ['fixtures/wasi/alloc_basic.wasm', 'fixtures/src/c/alloc_basic.expected.json'],
  ['fixtures/wasi/alloc_basic.O0.wasm', 'fixtures/src/c/alloc_basic.expected.json'],
  ['fixtures/wasi/containers.wasm', 'fixtures/src/cpp/containers.expected.json'],
  ['fixtures/rust/alloc_rust.wasm', 'fixtures/src/rust/alloc_rust.expected.json'],
  ['fixtures/wasi/churn.wasm', 'fixtures/src/c/churn.expected.json'],
];

for (const [wasm, expectedPath] of FIXTURES) {
  test(`${wasm}: traced run behaves like the original and its figures equal the tally build's`, async () => {
    const bytes = readFileSync(wasm);
    const run = loadExpected(expectedPath).runs[0]!;
    const original = await runOriginal(bytes, run);
    let result!: Awaited<ReturnType<typeof runWasi>>;
    const traced = await captureStdout('traced', async (fd) => {
      result = await runWasi(bytes, { args: run.args, env: run.env, stdout: fd, nframe: 1, root: 'fixtures/src' });
      return result.exitCode;
    });
    assert.equal(traced.stdout, original.stdout, 'stdout differs from the original program');
    assert.equal(traced.exitCode, original.exitCode);
    assert.equal(traced.stdout, run.stdout);
    assert.equal(traced.exitCode, run.exitCode);

    const tally = parseTally(run.tally!);
    const tm = result.traced.tracemalloc;
    const [current, peak] = tm.getTracedMemory();
    assert.equal(current, tally.live_bytes, 'traced current bytes');
    assert.equal(peak, tally.peak_bytes, 'traced peak bytes');
    const stats = result.snapshot.statistics('filename');
    assert.equal(stats.reduce((n, s) => n + s.count, 0), tally.live_blocks, 'live blocks in the snapshot');
    assert.equal(stats.reduce((n, s) => n + s.size, 0), tally.live_bytes, 'live bytes in the snapshot');
  });
}

test('alloc_basic, nframe=1: statistics by line equal the hand-computed answer, line for line', async () => {
  const expected = loadExpected('fixtures/src/c/alloc_basic.expected.json');
  const sites = expected.runs[0]!.program.sites!.filter((s) => s.liveBlocks > 0);
  for (const wasm of ['fixtures/wasi/alloc_basic.wasm', 'fixtures/wasi/alloc_basic.O0.wasm']) {
    const { snapshot } = await captureRun(wasm, expected.runs[0]!, 1);
    const got = snapshot.statistics('lineno').map((s) => `${s.traceback.at(0)!.filename}:${s.traceback.at(0)!.lineno} ${s.count} ${s.size}`);
    const want = [...sites]
      .sort((a, b) => b.liveBytes - a.liveBytes || b.liveBlocks - a.liveBlocks)
      .map((s) => `${s.file}:${s.line} ${s.liveBlocks} ${s.liveBytes}`);
    assert.deepEqual(got, want, wasm);
  }
});

test('alloc_basic, nframe=2: the helper line splits by its two callers', async () => {
  const expected = loadExpected('fixtures/src/c/alloc_basic.expected.json');
  const helper = expected.runs[0]!.program.sites!.find((s) => s.marker === 'SITE:helper')!;
  const { snapshot, traced } = await captureRun('fixtures/wasi/alloc_basic.wasm', expected.runs[0]!, 2);
  assert.equal(traced.tracemalloc.getTracebackLimit(), 2);
  const byTraceback = snapshot.statistics('traceback').filter((s) => s.traceback.at(0)!.lineno === helper.line);
  const got = byTraceback.map((s) => [s.traceback.at(1)!.lineno, s.count, s.size]).sort();
  const want = helper.callers!.map((c) => [c.line, c.liveBlocks, c.liveBytes]).sort();
  assert.deepEqual(got, want);
  // Cumulative by line: the callers' lines now carry the helper's blocks too.
  const cumulative = new Map(snapshot.statistics('lineno', true).map((s) => [s.traceback.at(0)!.lineno, s.size]));
  for (const c of helper.callers!) assert.equal(cumulative.get(c.line), c.liveBytes);
});

async function captureRun(wasm: string, run: ExpectedRun, nframe: number) {
  let result!: Awaited<ReturnType<typeof runWasi>>;
  await captureStdout('traced', async (fd) => {
    result = await runWasi(readFileSync(wasm), { args: run.args, env: run.env, stdout: fd, nframe, root: 'fixtures/src' });
    return result.exitCode;
  });
  return result;
}
