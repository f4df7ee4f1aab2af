// AssemblyScript: allocations in the runtime's __new/__renew, frees in its GC (tlsf __free, 16
// bytes before the object), each allocation at the user's line. Checked against the fixture's
// hand-computed answer (fixtures/src/assemblyscript/alloc_as.expected.json, itself checked
// against the runtime's rtrace hooks), on the committed incremental-runtime build and on
// minimal- and stub-runtime builds of the same source compiled here with the project's asc.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { instantiateTraced } from '../../src/host/instantiate.js';
import { loadExpected } from '../support/expected.js';

const SOURCE = 'fixtures/src/assemblyscript/alloc_as.ts';
const ASC = resolve('node_modules/assemblyscript/bin/asc.js');
const scratch = mkdtempSync(join(tmpdir(), 'wtm-as-'));
const expected = loadExpected('fixtures/src/assemblyscript/alloc_as.expected.json');
const run = expected.runs[0]!;

/** Compiles `source` (a path relative to fixtures/src, or a file anywhere) with the fixture's flags but `runtime`. */
function asc(source: string, runtime: string, cwd = 'fixtures/src'): string {
  const out = join(scratch, `${source.replace(/\W/g, '_')}.${runtime}.wasm`);
  const r = spawnSync(process.execPath, [ASC, source, '--runtime', runtime, '--debug', '--exportRuntime', '--use', 'abort=', '--sourceMap', '-o', out], {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, `asc failed: ${r.stderr}`);
  return out;
}

/** Line of the source line carrying `marker`, read from the source. */
function markerLine(marker: string): number {
  const lines = readFileSync(SOURCE, 'utf8').split('\n');
  return lines.findIndex((l) => new RegExp(`${marker}(?!\\w)`).test(l)) + 1;
}

async function traced(wasm: string) {
  const t = await instantiateTraced(readFileSync(wasm), {}, { nframe: 1, root: 'fixtures/src', modulePath: wasm, cache: false });
  return { t, exports: t.instance.exports as { run(): number; __collect(): void } };
}

/** "line count size" per line of the user's source, after checking that every frame is in it. */
function byLine(t: Awaited<ReturnType<typeof traced>>['t']): string[] {
  const stats = t.tracemalloc.takeSnapshot().statistics('lineno');
  for (const s of stats) assert.match(s.traceback.at(0)!.filename, /^assemblyscript\/alloc_as\.ts$/, 'every allocation at a line of the user\'s source');
  return stats.map((s) => `${s.traceback.at(0)!.lineno} ${s.count} ${s.size}`).sort();
}

const sites = run.program.sites;
/** The answer with __renew traced as realloc (expected.json's derivation): the renewed 32-byte buffer moves to SITE:points_push. */
const afterRun = sites.map((s) => {
  const count = s.marker === 'SITE:points_array' ? 1 : s.allocations;
  const size = s.marker === 'SITE:points_array' ? 16 : s.sizes!.reduce((a, b) => a + b, 0);
  return `${markerLine(s.marker)} ${count} ${size}`;
}).sort();
const afterCollect = sites.filter((s) => s.liveBlocks > 0).map((s) => `${markerLine(s.marker)} ${s.liveBlocks} ${s.liveBytes}`).sort();

test('incremental runtime (the fixture): __new, __renew, GC frees at __collect, every allocation at the user\'s line', async () => {
  const original = (await WebAssembly.instantiate(readFileSync('fixtures/assemblyscript/alloc_as.wasm'))).instance.exports as { run(): number };
  const { t, exports } = await traced('fixtures/assemblyscript/alloc_as.wasm');
  assert.deepEqual(t.report!.allocators.map((a) => `${a.shape} ${a.name}`).sort(), [
    'as_free ~lib/rt/tlsf/__free', 'as_new ~lib/rt/itcms/__new', 'realloc ~lib/rt/itcms/__renew',
  ]);
  assert.equal(exports.run(), original.run());
  // Right after run(): 39 __new + 1 realloc: 39 traces, 406 bytes (expected.json's derivation).
  assert.deepEqual(t.tracemalloc.getTracedMemory(), [406, 406]);
  assert.deepEqual(byLine(t), afterRun);
  exports.__collect();
  assert.deepEqual(t.tracemalloc.getTracedMemory(), [run.program.liveBytes, 406]);
  assert.deepEqual(byLine(t), afterCollect);
});

test('minimal runtime (tcms): the same figures; stub runtime (no GC): nothing is ever freed', async () => {
  for (const runtime of ['minimal', 'stub']) {
    const wasm = asc('assemblyscript/alloc_as.ts', runtime);
    const { t, exports } = await traced(wasm);
    assert.equal(exports.run(), run.returns!.run, runtime);
    assert.deepEqual(byLine(t), afterRun, runtime);
    exports.__collect();
    assert.deepEqual(byLine(t), runtime === 'stub' ? afterRun : afterCollect, runtime);
  }
});

test('incremental GC steps inside __new free garbage: those frees are traced too (live = what is reachable)', async () => {
  // 100,000 garbage objects: the heap passes the GC threshold many times, and each __new past
  // it runs incremental steps that free earlier garbage while __new is still on the stack.
  const dir = mkdtempSync(join(scratch, 'gc-'));
  writeFileSync(join(dir, 'gc.ts'), [
    'class Node { constructor(public v: i32, public next: Node | null) {} }',
    'let kept: Node | null = null;',
    'export function churn(n: i32): i32 {',
    '  let sum = 0;',
    '  for (let i = 0; i < n; i++) {',
    '    const garbage = new Node(i, null);',
    '    sum += garbage.v & 1;',
    '    if (i % 100 == 0) kept = new Node(i, kept);',
    '  }',
    '  return sum;',
    '}',
  ].join('\n'));
  const wasm = asc('gc.ts', 'incremental', dir);
  const t = await instantiateTraced(readFileSync(wasm), {}, { nframe: 1, cache: false });
  const exports = t.instance.exports as { churn(n: number): number; __collect(): void };
  assert.equal(exports.churn(100_000), 50_000);
  const [current, peak] = t.tracemalloc.getTracedMemory();
  assert.ok(current < 100_000 * 8 && peak < 100_000 * 8, `the GC freed during the loop: current ${current}, peak ${peak}`);
  exports.__collect();
  // Reachable: the 1000 kept nodes of 8 bytes (two i32 fields).
  assert.deepEqual(t.tracemalloc.getTracedMemory()[0], 1000 * 8);
  assert.equal(t.tracemalloc.takeSnapshot().statistics('filename').reduce((n, s) => n + s.count, 0), 1000);
});
