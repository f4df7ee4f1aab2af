// Overhead of tracing, measured side by side in one process: the same WASI program run
// uninstrumented, instrumented but not tracing, traced exactly with nframe=1 and 16, and sampled
// (Poisson, 512 KiB mean). Runs alternate between variants so that machine noise hits them
// alike; the table shows the median ratio to the uninstrumented run and the spread (min-max),
// of wall-clock time and of this process's CPU time (user + system, from process.cpuUsage):
// on a shared, loaded machine the CPU-time ratio is the steadier one, since time spent
// descheduled does not count in it.
// Also: instrumentation time vs a plain Binaryen read + write of the same module.
//
//   npx tsx bench/overhead.bench.ts [--quick]
//
// Targets (issues 4 and 5): churn exact nframe=1 <= 2.0x, nframe=16 <= 3.0x, sampling <= 1.1x.
import v8 from 'node:v8';
v8.setFlagsFromString('--no-turbo-fast-api-calls');
import { openSync, readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { WASI } from 'node:wasi';
import { instantiateTraced } from '../src/host/instantiate.js';
import { instrumentInWorker } from '../src/instrument/worker.js';

const quick = process.argv.includes('--quick');
const runs = Number(process.env.BENCH_RUNS ?? (quick ? 5 : 9));
const devnull = openSync('/dev/null', 'w');

interface Workload {
  name: string;
  wasm: string;
  args: string[];
}

const WORKLOADS: Workload[] = [
  { name: `churn, ${quick ? '500k' : '2M'} malloc/free pairs`, wasm: 'fixtures/wasi/churn.wasm', args: ['churn', quick ? '500000' : '2000000'] },
];

type Variant = { label: string; traced: boolean; nframe?: number; sampling?: number };
const VARIANTS: Variant[] = [
  { label: 'uninstrumented', traced: false },
  { label: 'instrumented, not tracing', traced: true },
  { label: 'exact, nframe=1', traced: true, nframe: 1 },
  { label: 'exact, nframe=16', traced: true, nframe: 16 },
  { label: 'sampling 512 KiB, nframe=16', traced: true, nframe: 16, sampling: 512 * 1024 },
];

interface Timing {
  wall: number;
  cpu: number;
}

async function timeRun(bytes: Uint8Array, instrumented: Uint8Array, w: Workload, v: Variant): Promise<Timing> {
  const wasi = new WASI({ version: 'preview1', args: w.args, env: {}, returnOnExit: true, stdout: devnull });
  const imports = wasi.getImportObject() as WebAssembly.Imports;
  let instance: WebAssembly.Instance;
  if (v.traced) {
    const traced = await instantiateTraced(instrumented, imports, { original: bytes });
    if (v.sampling) traced.tracemalloc.setSampling(v.sampling, 1);
    if (v.nframe) traced.tracemalloc.start(v.nframe);
    instance = traced.instance;
  } else {
    instance = (await WebAssembly.instantiate(bytes as Uint8Array<ArrayBuffer>, imports)).instance;
  }
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const code = wasi.start(instance);
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  if (code !== 0) throw new Error(`${w.name} (${v.label}) exited with ${code}`);
  return { wall, cpu: (c.user + c.system) / 1000 };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

console.log(`# Tracing overhead (${runs} alternating runs per variant, Node ${process.version})\n`);
for (const w of WORKLOADS) {
  const bytes = readFileSync(w.wasm);
  const { bytes: instrumented } = await instrumentInWorker(bytes);
  const times = VARIANTS.map(() => [] as Timing[]);
  for (let r = 0; r < runs; r++) {
    for (let i = 0; i < VARIANTS.length; i++) times[i]!.push(await timeRun(bytes, instrumented, w, VARIANTS[i]!));
  }
  const base = times[0]!;
  const baseWall = median(base.map((t) => t.wall));
  const baseCpu = median(base.map((t) => t.cpu));
  console.log(`## ${w.name}: uninstrumented median ${baseWall.toFixed(1)} ms wall, ${baseCpu.toFixed(1)} ms CPU\n`);
  console.log('| variant | median ratio (wall) | spread (min-max) | median ratio (CPU) | spread (min-max) |');
  console.log('|---|---:|---:|---:|---:|');
  for (let i = 0; i < VARIANTS.length; i++) {
    // Ratios per round (run r of the variant over run r of the baseline): both saw the same noise.
    const wall = times[i]!.map((t, r) => t.wall / base[r]!.wall);
    const cpu = times[i]!.map((t, r) => t.cpu / base[r]!.cpu);
    const cell = (xs: number[]): string => `${median(xs).toFixed(2)}x | ${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)}`;
    console.log(`| ${VARIANTS[i]!.label} | ${cell(wall)} | ${cell(cpu)} |`);
  }
  console.log('');
}

// Instrumentation time vs a plain Binaryen read + write, each in a fresh worker (as the tool runs).
const PLAIN_READ_WRITE = `
  import { parentPort, workerData } from 'node:worker_threads';
  const binaryen = (await import(${JSON.stringify(import.meta.resolve('binaryen'))})).default;
  const t0 = performance.now();
  const m = binaryen.readBinary(workerData);
  m.emitBinary();
  parentPort.postMessage(performance.now() - t0);`;

function plainReadWrite(bytes: Uint8Array): Promise<number> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(PLAIN_READ_WRITE)}`), {
      workerData: bytes,
      resourceLimits: { stackSizeMb: 256 },
    });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

console.log('## Instrumentation time\n');
console.log('| module | size | instrument | plain Binaryen read+write | ratio |');
console.log('|---|---:|---:|---:|---:|');
for (const wasm of ['fixtures/wasi/alloc_basic.wasm', 'fixtures/emscripten/alloc_basic.g.wasm', 'fixtures/rust/alloc_rust.wasm']) {
  const bytes = readFileSync(wasm);
  const inst: number[] = [];
  const plain: number[] = [];
  for (let r = 0; r < (quick ? 1 : 3); r++) {
    inst.push((await instrumentInWorker(bytes)).report.elapsedMs);
    plain.push(await plainReadWrite(bytes));
  }
  console.log(`| ${wasm} | ${(bytes.length / 1024).toFixed(0)} KiB | ${median(inst).toFixed(0)} ms | ${median(plain).toFixed(0)} ms | ${(median(inst) / median(plain)).toFixed(1)}x |`);
}
