// The allocator report (benchWasi, behind `wasm-tracemalloc bench`): its figures on fixtures
// whose answers are known without the tracer — heap_phases.expected.json, worked out by hand and
// printed by the program itself, on three builds with three allocators; churn's tally line,
// counted by a --wrap'ped malloc. And the probe alone, fed by hand, for realloc and lifetimes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchWasi, instantiateProbed, type AllocatorReport, type ProbedInstance } from '../../src/host/allocatorBench.js';
import { AllocatorProbe, LIFETIME_BOUNDS, SIZE_CLASS_BOUNDS, classOf } from '../../src/host/allocatorProbe.js';
import { TracingSetupError } from '../../src/host/errors.js';
import { TraceTable } from '../../src/host/traceTable.js';
import { loadExpected, type ExpectedRun } from '../support/expected.js';

const ROOT = 'fixtures/src';
const expectedJson = JSON.parse(readFileSync('fixtures/src/c/heap_phases.expected.json', 'utf8')) as {
  bench: {
    allocations: number; frees: number; reallocs: number; unknownFrees: number; bytesRequested: number;
    liveBlocksAtExit: number; liveBytesAtExit: number; peakLiveBlocks: number; peakLiveBytes: number;
    sizeClasses: Array<{ upTo: number; count: number; bytes: number }>;
    lifetimes: Array<{ upTo: number; count: number }>;
    temporary: number; temporaryWithin1: number;
    temporarySites: Array<{ marker: string; count: number; bytes: number }>;
    growthSite: string;
  };
};
const phases = loadExpected('fixtures/src/c/heap_phases.expected.json');
const scratch = mkdtempSync(join(tmpdir(), 'wtm-bench-'));

/** Runs a fixture under benchWasi with its stdout in a file; returns the report and that stdout. */
async function bench(path: string, args: string[]): Promise<{ report: AllocatorReport; stdout: string }> {
  const out = join(scratch, `${args.join('_')}-${path.replace(/\W/g, '_')}.out`);
  const fd = openSync(out, 'w');
  try {
    const report = await benchWasi(readFileSync(path), { args, stdout: fd, root: ROOT, moduleName: path });
    return { report, stdout: readFileSync(out, 'utf8') };
  } finally {
    closeSync(fd);
  }
}

const lineOf = (marker: string): string => {
  const site = phases.runs[0]!.program.sites.find((s) => s.marker === marker);
  assert.ok(site, `no ${marker} in heap_phases.expected.json`);
  return `${site.file}:${site.line}`;
};

for (const build of Object.keys(phases.builds)) {
  test(`bench ${build}: counts, bytes, size classes, peak, lifetimes and temporaries are the hand-computed ones`, async () => {
    const run = phases.runs[0]!;
    const { report: r, stdout } = await bench(join('fixtures', build), run.args);
    const want = expectedJson.bench;
    // The program's own counters first: the build is the program the JSON describes.
    assert.equal(stdout, run.stdout);
    assert.equal(r.exitCode, run.exitCode);
    for (const key of ['allocations', 'frees', 'reallocs', 'unknownFrees', 'bytesRequested', 'liveBlocksAtExit', 'liveBytesAtExit', 'peakLiveBlocks', 'peakLiveBytes', 'temporary', 'temporaryWithin1'] as const) {
      assert.equal(r[key], want[key], key);
    }
    // The trace table counted the same blocks on its own.
    assert.equal(r.tableAllocations, want.allocations);
    assert.equal(r.tableFrees, want.frees);
    assert.deepEqual(r.sizeClasses.filter((c) => c.count > 0), want.sizeClasses);
    assert.deepEqual(
      r.lifetimes.filter((c) => c.count > 0),
      want.lifetimes.map((l) => ({ ...l })),
    );
    assert.deepEqual(
      r.temporarySites,
      want.temporarySites.map((t) => ({ where: lineOf(t.marker), count: t.count, bytes: t.bytes })),
    );
  });

  test(`bench ${build}: all growth of the memory is charged to the 1 MiB allocation, and adds up`, async () => {
    const { report: r } = await bench(join('fixtures', build), phases.runs[0]!.args);
    assert.ok(r.growth.length >= 1, 'the 1 MiB block must grow the memory');
    for (const g of r.growth) assert.equal(g.where[0], lineOf(expectedJson.bench.growthSite));
    assert.deepEqual(r.growthOutsideAllocator, { count: 0, bytes: 0 });
    assert.deepEqual(r.growthUnattributed, { count: 0, bytes: 0 });
    const grown = r.growth.reduce((n, g) => n + g.bytes, 0);
    assert.equal(grown, r.peakMemoryBytes - r.initialMemoryBytes);
    assert.ok(grown > 0 && grown % 65536 === 0, `grew by ${grown} bytes: whole pages`);
    assert.equal(r.tracerBytes, 32768);
    assert.equal(r.overheadBytes, r.peakMemoryBytes - r.peakLiveBytes - r.tracerBytes);
    // 616 = 314 allocations + 310 frees − 8 reallocs (one call, counted as both).
    assert.equal(r.allocatorCalls, 314 + 310 - 8);
    assert.ok(r.allocatorMs >= 0 && r.allocatorMs <= r.allocatorMsMeasured);
  });
}

test('bench churn 1000: the counts and peak equal the tally build\'s (every allocator call counted by a wrapped malloc)', async () => {
  const churn = loadExpected('fixtures/src/c/churn.expected.json');
  const runs: ExpectedRun[] = churn.runs;
  const run = runs.find((r) => r.args.length === 2 && r.args[1] === '1000');
  assert.ok(run?.tally);
  const tally = Object.fromEntries([...run.tally.matchAll(/(\w+)=(\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
  const { report: r, stdout } = await bench('fixtures/wasi/churn.wasm', run.args);
  assert.equal(stdout, run.stdout);
  assert.equal(r.allocations, tally['allocs']);
  assert.equal(r.frees, tally['frees']);
  assert.equal(r.liveBlocksAtExit, tally['live_blocks']);
  assert.equal(r.liveBytesAtExit, tally['live_bytes']);
  assert.equal(r.peakLiveBytes, tally['peak_bytes']);
  assert.equal(r.sizeClasses.reduce((n, c) => n + c.count, 0), r.allocations);
  assert.equal(r.lifetimes.reduce((n, c) => n + c.count, 0), r.frees);
});

for (const build of ['emscripten/churn.dlmalloc.wasm', 'emscripten/churn.emmalloc.wasm']) {
  test(`bench ${build} 1000: the program's own counts and peak (Emscripten's standalone libc allocates nothing for argv)`, async () => {
    const churn = loadExpected('fixtures/src/c/churn.expected.json');
    const runs: ExpectedRun[] = churn.runs;
    const run = runs.find((r) => r.args[1] === '1000')!;
    const { report: r, stdout } = await bench(join('fixtures', build), run.args);
    assert.equal(stdout, run.stdout);
    assert.equal(r.allocations, run.program.allocations);
    assert.equal(r.frees, run.program.frees);
    assert.equal(r.liveBlocksAtExit, 0);
    assert.equal(r.peakLiveBytes, run.program.peakBytes);
    assert.deepEqual(r.growthOutsideAllocator, { count: 0, bytes: 0 });
    assert.equal(r.growth.reduce((n, g) => n + g.bytes, 0), r.peakMemoryBytes - r.initialMemoryBytes);
  });
}

test('bench refuses a module that is already instrumented, in one line', async () => {
  // The smallest such module: the header and an empty `tracemalloc.sites` custom section.
  const name = [...'tracemalloc.sites'].map((c) => c.charCodeAt(0));
  const bytes = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0, name.length + 1, name.length, ...name]);
  await assert.rejects(benchWasi(bytes, { moduleName: 'x.wasm' }), (e: unknown) => {
    assert.ok(e instanceof TracingSetupError);
    assert.match(e.message, /^x\.wasm is already instrumented; .*give it the original$/);
    return true;
  });
});

// ---- the probe alone, driven through a real trace table as the target's wrapper would -------

async function probe(): Promise<{ p: AllocatorProbe; memory: WebAssembly.Memory; table: TraceTable }> {
  const table = await TraceTable.create();
  table.start(1);
  const p = new AllocatorProbe(table, () => 0);
  const memory = new WebAssembly.Memory({ initial: 1 });
  p.attach(memory, 1);
  return { p, memory, table };
}

test('probe: a realloc is the free of the old block and the allocation of the new one; the table agrees', async () => {
  const { p, table } = await probe();
  const i = p.imports;
  i.alloc1(0x100, 10, 1, 7); // A
  i.realloc1(0x100, 0x200, 30, 1, 8); // A → B (moved): A freed with lifetime 0
  i.alloc1(0x300, 5, 1, 9); // C
  i.realloc1(0x200, 0, 40, 1, 8); // failed: B stays
  i.realloc1(0, 0x400, 3, 1, 8); // realloc(NULL, 3): an allocation, nothing freed
  i.free(0x200); // B: one allocation (C)... two (C, D) after it
  i.free(0); // free(NULL): not counted
  i.free(0x999); // never allocated
  const r = p.record;
  assert.equal(r.allocations, 4);
  assert.equal(r.reallocs, 2);
  assert.equal(r.frees, 2);
  assert.equal(r.unknownFrees, 1);
  assert.equal(r.bytesRequested, 10 + 30 + 5 + 3);
  assert.equal(r.liveBlocks, 2);
  assert.equal(r.liveBytes, 8);
  assert.equal(r.peakLiveBytes, 30 + 5 + 3);
  assert.deepEqual(r.lifetimes.slice(0, 3), [1, 0, 1]); // A: 0; B: 2 (C and D after it)
  assert.deepEqual([...r.temporaryBySite.values()], [{ site: 7, count: 1, bytes: 10 }]);
  const counted = table.counters();
  assert.deepEqual([counted.allocations, counted.frees, counted.unknownFrees, counted.liveBlocks], [4, 2, 1, 2]);
  assert.deepEqual(table.getTracedMemory(), [8, 38]);
});

test('probe: growth inside an allocator call goes to the allocation it returns; growth between calls is the program\'s', async () => {
  const { p, memory } = await probe();
  const i = p.imports;
  i.enterAllocator();
  memory.grow(2);
  i.leaveAllocator();
  i.alloc1(0x100, 100000, 3, 5);
  memory.grow(1); // the program's own memory.grow
  i.enterAllocator();
  memory.grow(1);
  i.leaveAllocator(); // no block returned (a failed malloc): unattributed
  i.enterAllocator();
  i.leaveAllocator();
  i.alloc1(0x200, 8, 1, 6);
  p.finish();
  const r = p.record;
  assert.deepEqual([...r.growthBySites.values()], [{ sites: [5], count: 1, bytes: 2 * 65536 }]);
  assert.deepEqual(r.growthOutsideAllocator, { count: 1, bytes: 65536 });
  assert.deepEqual(r.growthUnattributed, { count: 1, bytes: 65536 });
  assert.equal(r.peakMemoryBytes, 5 * 65536);
  assert.equal(r.initialMemoryBytes, 65536);
  assert.equal(r.allocatorCalls, 3);
});

test('probe: classes are inclusive upper bounds, the last one open', () => {
  assert.equal(classOf(SIZE_CLASS_BOUNDS, 0), 0);
  assert.equal(classOf(SIZE_CLASS_BOUNDS, 8), 1);
  assert.equal(classOf(SIZE_CLASS_BOUNDS, 9), 2);
  assert.equal(classOf(SIZE_CLASS_BOUNDS, 1 << 20), SIZE_CLASS_BOUNDS.length - 1);
  assert.equal(classOf(SIZE_CLASS_BOUNDS, (1 << 20) + 1), SIZE_CLASS_BOUNDS.length);
  assert.equal(classOf(LIFETIME_BOUNDS, 0), 0);
  assert.equal(classOf(LIFETIME_BOUNDS, 2), 2);
  assert.equal(classOf(LIFETIME_BOUNDS, 10000), LIFETIME_BOUNDS.length);
});

// ---- instantiateProbed through a real Emscripten glue ----------------------------------------

test('instantiateProbed under sqlite-wasm\'s own glue: live blocks at the end = SQLite\'s MALLOC_COUNT + the 2 environment blocks', async () => {
  const { default: sqlite3InitModule } = await import('@sqlite.org/sqlite-wasm');
  const wasm = readFileSync(new URL(import.meta.resolve('@sqlite.org/sqlite-wasm/sqlite3.wasm')));
  let probed: ProbedInstance | undefined;
  const init = sqlite3InitModule as unknown as (arg: object) => Promise<Awaited<ReturnType<typeof sqlite3InitModule>>>;
  const sqlite3 = await init({
    print: () => {},
    printErr: () => {},
    instantiateWasm(imports: WebAssembly.Imports, success: (i: WebAssembly.Instance, m: WebAssembly.Module) => void) {
      void instantiateProbed(wasm, imports, { moduleName: 'sqlite3.wasm' }).then((p) => {
        probed = p;
        success(p.instance, p.module);
      });
      return {};
    },
  });
  const db = new sqlite3.oo1.DB(':memory:');
  db.exec('CREATE TABLE t(a INTEGER, b TEXT)');
  db.transaction(() => {
    for (let i = 0; i < 500; i++) db.exec({ sql: 'INSERT INTO t VALUES (?, ?)', bind: [i, `row ${i}`] });
  });
  assert.equal(db.selectValue('SELECT count(*) FROM t'), 500);
  // sqlite3_status64(SQLITE_STATUS_MALLOC_COUNT = 9): SQLite's own count of its live blocks.
  const { wasm: w, capi } = sqlite3;
  const mark = w.pstack.pointer;
  const [current, highwater] = w.pstack.allocChunks(2, 8) as [number, number];
  assert.equal(capi.sqlite3_status64(9, current, highwater, 0), 0);
  const mallocCount = Number(w.peek64(current));
  w.pstack.restore(mark);
  const r = probed!.report();
  // Emscripten's libc allocates the environment (strings, pointer array) once, when SQLite reads it.
  assert.equal(r.liveBlocksAtExit, mallocCount + 2);
  assert.equal(r.allocations - r.frees, r.liveBlocksAtExit);
  assert.equal(r.tableAllocations, r.allocations);
  assert.equal(r.unknownFrees, 0);
  assert.equal(r.growth.reduce((n, g) => n + g.bytes, 0) + r.growthOutsideAllocator.bytes + r.growthUnattributed.bytes, r.peakMemoryBytes - r.initialMemoryBytes);
  db.close();
});
