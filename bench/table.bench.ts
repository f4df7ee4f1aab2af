/**
 * Trace table benchmark: alloc/free pairs per second through the table, called Wasm → Wasm by
 * a driver module that imports it as an instrumented target does (bench/tableDriver.ts), and the
 * table's bytes per live block.
 *
 *   npx tsx bench/table.bench.ts [--quick]
 *
 * Figures go to bench/RESULTS.md, section "Trace table".
 */
import { TraceTable } from '../src/host/traceTable.js';
import { loadTableModuleSync } from '../src/host/tableWasmNode.js';
import { Header, Region, REGION_SIZE } from '../src/host/tableLayout.js';
import { driverBytes, type Churn } from './tableDriver.js';

const quick = process.argv.includes('--quick');
const tableModule = loadTableModuleSync();
const driverModule = new WebAssembly.Module(driverBytes());

interface Variant {
  name: string;
  /** How the table is set up: not tracing, exact with nframe, or sampling. */
  mode: { tracing: false } | { tracing: true; nframe: number; sampling?: number };
  /** Distinct stacks the allocations come from (1: always a traceback-cache hit; 64 defeat a one-entry cache). */
  stacks: number;
  /** Live blocks in the ring (a power of two). */
  window: number;
}

/** A table set up for `v` and the driver's loop wired to it. */
function setup(v: Variant): { table: TraceTable; churn: Churn } {
  const table = TraceTable.fromModule(tableModule);
  if (v.mode.tracing) {
    if (v.mode.sampling) table.setSampling(v.mode.sampling, 1);
    table.start(v.mode.nframe);
  }
  const driver = new WebAssembly.Instance(driverModule, { tracemalloc: table.imports });
  return { table, churn: driver.exports.churn as Churn };
}

/** Nanoseconds per alloc/free pair, the best of `reps` runs of `n` pairs. */
function measure(v: Variant, n: number, reps: number): number {
  const { table, churn } = setup(v);
  const depth = 16; // the stack is 16 deep; nframe decides how much of it is kept
  churn(0, Math.min(n, v.window * 2 + 100_000), v.window - 1, v.stacks, depth); // warm up, fill the ring
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    if (v.mode.tracing) table.clearTraces();
    const t0 = performance.now();
    churn(0, n, v.window - 1, v.stacks, depth);
    best = Math.min(best, performance.now() - t0);
  }
  if (table.oomStopped) throw new Error(`${v.name}: the table ran out of memory`);
  return (best * 1e6) / n;
}

const n = quick ? 1_000_000 : 4_000_000;
const reps = quick ? 3 : 7;
const variants: Variant[] = [
  { name: 'not tracing (call + flag check)', mode: { tracing: false }, stacks: 64, window: 1024 },
  { name: 'exact, nframe=1, 1 stack', mode: { tracing: true, nframe: 1 }, stacks: 1, window: 1024 },
  { name: 'exact, nframe=1, 64 stacks', mode: { tracing: true, nframe: 1 }, stacks: 64, window: 1024 },
  { name: 'exact, nframe=16, 1 stack', mode: { tracing: true, nframe: 16 }, stacks: 1, window: 1024 },
  { name: 'exact, nframe=16, 64 stacks', mode: { tracing: true, nframe: 16 }, stacks: 64, window: 1024 },
  { name: 'exact, nframe=16, 64 stacks, 256k live', mode: { tracing: true, nframe: 16 }, stacks: 64, window: 1 << 18 },
  { name: 'sampling 512 KiB, nframe=16, 64 stacks', mode: { tracing: true, nframe: 16, sampling: 512 * 1024 }, stacks: 64, window: 1024 },
  { name: 'sampling 512 KiB, nframe=16, 64 stacks, 256k live', mode: { tracing: true, nframe: 16, sampling: 512 * 1024 }, stacks: 64, window: 1 << 18 },
];

console.log(`## Alloc/free pairs through the table (Wasm → Wasm), ${n} pairs, best of ${reps}\n`);
console.log('| variant | live blocks | ns / pair | M pairs / s | × not tracing | × exact nframe=1, 64 stacks |');
console.log('|---|---:|---:|---:|---:|---:|');
const results = variants.map((v) => ({ v, ns: measure(v, n, reps) }));
const base = results[0]!.ns;
const exact1 = results[2]!.ns;
for (const { v, ns } of results) {
  console.log(`| ${v.name} | ${v.window} | ${ns.toFixed(1)} | ${(1e3 / ns).toFixed(1)} | ${(ns / base).toFixed(2)} | ${(ns / exact1).toFixed(2)} |`);
}

// === Bytes per live block ===

/** Region sizes of a table, from its header. */
function regions(t: TraceTable): { blocks: number; tracebacks: number } {
  const w = new Uint32Array(t.exports.memory.buffer);
  const root = t.exports.layout() >>> 0;
  const bytes = (r: number): number => w[(root + Header.regions + r * REGION_SIZE + 4) >>> 2]!;
  return { blocks: bytes(Region.blocks) + bytes(Region.wide), tracebacks: bytes(Region.index) + bytes(Region.offsets) + bytes(Region.arena) };
}

console.log('\n## Table bytes per live block (exact, nframe=16, 64 stacks of 16 frames)\n');
console.log('| live blocks | blocks table bytes / block | all structures bytes / block | traceback structures (bytes) | getTracemallocMemory() | linear memory |');
console.log('|---:|---:|---:|---:|---:|---:|');
{
  const { table, churn } = setup({ name: 'fill', mode: { tracing: true, nframe: 16 }, stacks: 64, window: 1 });
  const noFrees = 0x7fffffff;
  let filled = 0;
  let lo = Infinity;
  let hi = 0;
  const report = new Set([10_000, 100_000, 1_000_000, 2_000_000]);
  const target = quick ? 1_000_000 : 2_000_000;
  while (filled < target) {
    const step = 10_000;
    churn(filled, filled + step, noFrees, 64, 16);
    filled += step;
    const live = table.counters().liveBlocks;
    const r = regions(table);
    if (live >= 1000) {
      lo = Math.min(lo, r.blocks / live);
      hi = Math.max(hi, r.blocks / live);
    }
    if (report.has(filled)) {
      const used = table.getTracemallocMemory();
      console.log(`| ${live} | ${(r.blocks / live).toFixed(1)} | ${(used / live).toFixed(1)} | ${r.tracebacks} | ${used} | ${table.tableMemory().linearMemory} |`);
    }
  }
  console.log(`\nBlocks table bytes per live block over every 10k step from 1k to ${target} live: ${lo.toFixed(1)} .. ${hi.toFixed(1)}`);
}
