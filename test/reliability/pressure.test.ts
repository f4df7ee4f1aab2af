// The tracer under pressure (docs/reliability.md): a million live blocks (the table grows),
// tracebacks at the 16-frame limit, the trace table's memory limit (tracing stops by itself,
// oomStopped, the program runs on untouched).
import v8 from 'node:v8';

v8.setFlagsFromString('--no-turbo-fast-api-calls'); // before any WASI object (DESIGN.md)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WASI } from 'node:wasi';
import { runWasi } from '../../src/host/wasiRunner.js';
import { attachTracer, compileTraced } from '../../src/host/instantiate.js';
import { TraceTable } from '../../src/host/traceTable.js';
import { engine } from '../../src/host/wasmApi.js';
import { MISBEHAVE, assertOneLineError, cli, runOriginal, scratch } from './helpers.js';

const dir = scratch('pressure');
const bytes = new Uint8Array(readFileSync(MISBEHAVE));
const BLOCKS = Number(process.env.RELIABILITY_BLOCKS ?? 1_000_000);

function argvBytes(args: string[]): number {
  return args.reduce((n, a) => n + Buffer.byteLength(a) + 1, 0) + (args.length + 1) * 4;
}

/** runWasi with the program's stdout in a file; returns the result and that stdout. */
async function traced(args: string[], nframe: number) {
  const out = join(dir, `${args.join('_')}-${nframe}.out`);
  const fd = openSync(out, 'w');
  try {
    const result = await runWasi(bytes, { args, nframe, stdout: fd, cache: false });
    return { result, stdout: readFileSync(out, 'utf8') };
  } finally {
    closeSync(fd);
  }
}

test(`${BLOCKS.toLocaleString('en')} live blocks: every one traced, the table grows, the program unaffected`, async () => {
  const args = ['misbehave.wasm', 'many', String(BLOCKS)];
  const original = runOriginal(MISBEHAVE, args);
  const { result, stdout } = await traced(args, 1);
  const mask = (s: string): string => s.replace(/sum=\d+/, 'sum=…'); // heap addresses shift (see misbehave.test.ts)
  assert.equal(mask(stdout), mask(original.stdout));
  assert.equal(result.exitCode, original.code);
  const tm = result.traced.tracemalloc;
  const own = BLOCKS * 16 + BLOCKS * 4; // the blocks and the array of their pointers
  assert.equal(tm.getTracedMemory()[0], own + argvBytes(args));
  assert.equal(tm.counters().liveBlocks, BLOCKS + 1 + 2);
  assert.equal(result.snapshot.traceCount, BLOCKS + 3);
  // A slot is 8 bytes and 1/8 of an overflow byte, at most 7/10 of them full (assembly/blocks.ts).
  assert.ok(tm.getTracemallocMemory() >= BLOCKS * 11.6, `getTracemallocMemory() = ${tm.getTracemallocMemory()}: less than 8.125 / 0.7 bytes a block`);
  assert.ok(tm.getTracemallocMemory() < BLOCKS * 64, `getTracemallocMemory() = ${tm.getTracemallocMemory()}: more than 64 bytes a block`);
});

test('tracebacks at the 16-frame limit: 16 frames kept, totalNframe counts all', async () => {
  const shallow = await traced(['misbehave.wasm', 'deep', '10'], 16);
  const deep = await traced(['misbehave.wasm', 'deep', '40'], 16);
  const block = (r: typeof deep) => r.result.snapshot.traces.find((t) => t.size === 24)!.traceback;
  assert.equal(block(deep).length, 16);
  assert.equal(block(deep).totalNframe! - block(shallow).totalNframe!, 30);
  // The 16 most recent frames: malloc's call in counted_malloc, deep's call of counted_malloc,
  // then 14 recursive calls, all on one line.
  const lines = new Set(block(deep).frames.slice(2).map((f) => `${f.filename}:${f.lineno}`));
  assert.equal(lines.size, 1, `the recursive frames: ${[...lines].join(', ')}`);
});

test('run -n 17 (past the 16 frames compiled in) is refused with one line', () => {
  assertOneLineError(cli(['run', '-n', '17', MISBEHAVE]), /nframe|1-16|16/, 'run -n 17');
});

test('the trace table memory limit: tracing stops by itself (oomStopped), the program runs on untouched', async () => {
  const args = ['misbehave.wasm', 'many', '100000'];
  const original = runOriginal(MISBEHAVE, args);
  const limit = 256 * 1024;
  const out = join(dir, 'oom.out');
  const fd = openSync(out, 'w');
  let exitCode: number;
  let table: TraceTable;
  let tm;
  try {
    const wasi = new WASI({ version: 'preview1', args, env: {}, returnOnExit: true, stdout: fd });
    const compiled = await compileTraced(bytes, { cache: false });
    table = await TraceTable.create({ memoryLimit: limit });
    const instance = await engine.instantiate(compiled.module, { ...(wasi.getImportObject() as WebAssembly.Imports), tracemalloc: table.imports });
    tm = attachTracer(instance, compiled, table, {}, 1).tracemalloc;
    exitCode = wasi.start(instance);
  } finally {
    closeSync(fd);
  }
  const mask = (s: string): string => s.replace(/sum=\d+/, 'sum=…');
  assert.equal(mask(readFileSync(out, 'utf8')), mask(original.stdout));
  assert.equal(exitCode, original.code);
  assert.equal(table.oomStopped, true, 'the table did not stop');
  assert.equal(tm.isTracing(), false);
  assert.ok(table.tableMemory().highWater <= limit, `the table spans ${table.tableMemory().highWater} bytes, past its limit ${limit}`);
  // The traces kept until the table filled stay readable: a snapshot of them, not an error.
  assert.equal(tm.oomStopped, true);
  assert.ok(tm.takeSnapshot().traceCount > 0, 'the snapshot after an out-of-memory stop is empty');
  // start() again: tracing resumes, the flag clears.
  tm.start(1);
  assert.equal(table.oomStopped, false);
});

test('the public tracemalloc API says that tracing stopped for lack of memory', async () => {
  const compiled = await compileTraced(bytes, { cache: false });
  const table = await TraceTable.create({ memoryLimit: 64 * 1024 });
  const wasi = new WASI({ version: 'preview1', args: ['m', 'many', '50000'], env: {}, returnOnExit: true, stdout: openSync('/dev/null', 'w') });
  const instance = await engine.instantiate(compiled.module, { ...(wasi.getImportObject() as WebAssembly.Imports), tracemalloc: table.imports });
  const tm = attachTracer(instance, compiled, table, {}, 1).tracemalloc;
  wasi.start(instance);
  assert.equal(table.oomStopped, true);
  assert.equal((tm as unknown as { oomStopped?: boolean }).oomStopped, true, 'Tracemalloc has no oomStopped');
});
