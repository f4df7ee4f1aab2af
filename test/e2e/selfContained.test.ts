// `wasm-tracemalloc instrument --self-contained` (the CLI, as a user runs it) on the WASI
// fixtures: the output imports nothing but WASI, has one memory (Node 20 has no multi-memory,
// and compiles it), exports the tracer's API, and gives the same program output and the same
// figures as the two-instance route (instantiate(): target + separate trace table), which the
// fixtures' own tests check against hand-computed answers. heap_phases grows its memory by
// megabytes, so the table's part of the one memory moves up while it runs.
import v8 from 'node:v8';
v8.setFlagsFromString('--no-turbo-fast-api-calls');
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WASI } from 'node:wasi';
import { instantiateTraced, type TracedInstance } from '../../src/host/instantiate.js';
import { instantiateSelfContained } from '../../src/host/selfContained.js';
import { MEMORY_BASE_EXPORT } from '../../src/instrument/selfContainedAbi.js';
import { loadExpected, type ExpectedRun } from '../support/expected.js';

const CLI = 'dist/cli/main.js';
const scratch = mkdtempSync(join(tmpdir(), 'wtm-selfcontained-'));
const FIXTURES: Array<[wasm: string, expected: string]> = [
  ['fixtures/wasi/alloc_basic.wasm', 'fixtures/src/c/alloc_basic.expected.json'],
  ['fixtures/wasi/churn.wasm', 'fixtures/src/c/churn.expected.json'],
  ['fixtures/wasi/heap_phases.wasm', 'fixtures/src/c/heap_phases.expected.json'],
  ['fixtures/wasi/containers.wasm', 'fixtures/src/cpp/containers.expected.json'],
  ['fixtures/rust/alloc_rust.wasm', 'fixtures/src/rust/alloc_rust.expected.json'],
];

interface RouteResult {
  exitCode: number;
  stdout: string;
  current: [number, number];
  counters: object;
  tracemallocMemory: number;
  statistics: string[];
  tracebacks: string[];
}

async function runRoute(name: string, run: ExpectedRun, instantiate: (imports: WebAssembly.Imports) => Promise<TracedInstance>, onReady?: (t: TracedInstance) => void): Promise<RouteResult> {
  const path = join(scratch, `${name}-${Math.random().toString(16).slice(2)}.out`);
  const fd = openSync(path, 'w');
  let exitCode: number;
  let traced: TracedInstance;
  try {
    const wasi = new WASI({ version: 'preview1', args: run.args, env: run.env, returnOnExit: true, stdout: fd });
    traced = await instantiate(wasi.getImportObject() as WebAssembly.Imports);
    onReady?.(traced);
    exitCode = wasi.start(traced.instance);
  } finally {
    closeSync(fd);
  }
  const t = traced.tracemalloc;
  const snapshot = t.takeSnapshot();
  return {
    exitCode,
    stdout: readFileSync(path, 'utf8'),
    current: t.getTracedMemory(),
    counters: t.counters(),
    tracemallocMemory: t.getTracemallocMemory(),
    statistics: snapshot.statistics('lineno').map(String),
    tracebacks: snapshot.statistics('traceback').map((s) => s.traceback.format().join('\n')),
  };
}

for (const [wasm, expectedPath] of FIXTURES) {
  const name = wasm.slice(wasm.lastIndexOf('/') + 1, -'.wasm'.length);
  test(`instrument --self-contained ${name}: no tracer imports, one memory, same output and figures as two instances`, async (t) => {
    const original = readFileSync(wasm);
    const output = join(scratch, `${name}.sc.wasm`);
    const cli = spawnSync(process.execPath, [CLI, 'instrument', '--self-contained', wasm, '-o', output], { encoding: 'utf8', timeout: 300_000 });
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stderr, /self-contained \(trace table merged in, no tracemalloc imports\)/);
    const bytes = readFileSync(output);
    const module = new WebAssembly.Module(bytes); // Node 20: would throw on a second memory
    assert.deepEqual(WebAssembly.Module.imports(module).filter((i) => i.module !== 'wasi_snapshot_preview1'), [], 'imports besides WASI');

    const run = loadExpected(expectedPath).runs[0]!;
    const options = { nframe: 4, root: 'fixtures/src' };
    const two = await runRoute(name, run, (imports) => instantiateTraced(original, imports, options));
    let baseAtStart = 0;
    let instance: WebAssembly.Instance | null = null;
    const merged = await runRoute(name, run, (imports) => instantiateSelfContained(module, imports, { ...options, original }), (traced) => {
      instance = traced.instance;
      baseAtStart = (traced.instance.exports[MEMORY_BASE_EXPORT] as () => number)();
    });
    const exports = instance!.exports;
    assert.equal(exports.__tracemalloc_memory, exports.memory, 'one memory, exported under both names');
    const baseAtEnd = (exports[MEMORY_BASE_EXPORT] as () => number)();

    assert.equal(merged.exitCode, run.exitCode ?? 0);
    assert.equal(merged.exitCode, two.exitCode);
    assert.equal(merged.stdout, two.stdout, "the program's output");
    if (run.stdout !== undefined) assert.equal(merged.stdout, run.stdout, "the program's output (the fixture's record)");
    assert.deepEqual(merged.current, two.current, 'traced current and peak');
    assert.deepEqual(merged.counters, two.counters, 'table counters');
    assert.equal(merged.tracemallocMemory, two.tracemallocMemory, 'getTracemallocMemory()');
    assert.deepEqual(merged.statistics, two.statistics, "statistics('lineno')");
    assert.deepEqual(merged.tracebacks, two.tracebacks, 'tracebacks');
    t.diagnostic(`${name}: ${merged.current[0]} B live, peak ${merged.current[1]} B; module ${original.length} → ${bytes.length} B; table memory at ${baseAtStart} then ${baseAtEnd}`);
    if (name === 'heap_phases') assert.ok(baseAtEnd > baseAtStart, `the table's memory did not move (${baseAtStart} → ${baseAtEnd})`);
  });
}

test('instantiateSelfContained refuses a module that is not self-contained, with one clear line', async () => {
  const bytes = readFileSync('fixtures/wasi/alloc_basic.wasm');
  await assert.rejects(instantiateSelfContained(bytes, {}), /^TracingSetupError: not a self-contained module \(it exports no __tracemalloc_memory_base\): make one with `wasm-tracemalloc instrument --self-contained`$/);
});

test('instrument --self-contained refuses a module that imports its memory (sqlite-wasm), with one clear line', () => {
  const output = join(scratch, 'sqlite.sc.wasm');
  const cli = spawnSync(process.execPath, [CLI, 'instrument', '--self-contained', 'node_modules/@sqlite.org/sqlite-wasm/dist/sqlite3.wasm', '-o', output], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(cli.status, 2, cli.stderr);
  assert.equal(cli.stderr, 'wasm-tracemalloc: error: self-contained: the module imports its memory (Emscripten glue makes it), so the table cannot be given a part of it; trace it with the two-instance route instead (instantiate(), Module.instantiateWasm or the global hook)\n');
  assert.equal(existsSync(output), false, 'no output written');
});
