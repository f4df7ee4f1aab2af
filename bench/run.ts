// The benchmark suite: `npm run bench` (= npx tsx bench/run.ts --all), `--quick` for a CI smoke.
//
// Overhead of tracing, measured side by side in one process, on the 2,000,000 malloc/free
// microbenchmark (churn.wasm), the C++ fixture (containers.wasm, 1,000 fresh instances) and real
// programs (@sqlite.org/sqlite-wasm: 10,000-row insert + queries, 5 times; tiktoken and
// @jsquash/png, Rust through wasm-bindgen; web-tree-sitter parsing with a grammar side module,
// a process per measurement, not in --quick): uninstrumented, instrumented but not tracing,
// exact nframe=1 and 16, sampling, and the method other Wasm tools use (a JS hook capturing
// `new Error().stack` on every allocation, bench/jsHook.ts). Each variant first runs once
// unmeasured (V8 compiles lazily and tiers up); then runs alternate between variants so that
// machine noise hits them alike, each after a full GC. Each row shows the median ratio to the
// uninstrumented run of the same round and the spread (min-max) over the rounds, of wall-clock
// time, of this process's CPU time (steadier on a shared machine: time spent descheduled does
// not count) and of the main thread's CPU time (on Linux; V8's background threads, whose work
// tracing barely changes, do not count either: bench/threadCpu.ts).
// Then the memory of the traced run vs the untraced one (the program's linear memory, the trace
// table's own memory, or the JS hook's stack strings), and instrumentation time vs a plain
// Binaryen read + write. `--all` then runs the table, snapshot and symbol benchmarks.
//
//   npx tsx bench/run.ts [--quick] [--all] [--only churn,sqlite,exact,...]
//   BENCH_RUNS=n sets the rounds (default 7, quick 3; the JS hook runs at most 3: on churn it is ~400x slower)
//
// On a machine whose CPUs run at different speeds, pin the suite to one of them (`taskset -c 1
// npx tsx bench/run.ts ...`; the child processes inherit it): on this VM an unpinned run lands on
// a CPU ~1.8x slower for some processes and not others, which makes paired ratios meaningless
// (bench/RESULTS.md, session 8). The header says which CPUs the run was allowed.
//
// Targets (issues 4 and 5): churn exact nframe=1 <= 2.0x, nframe=16 <= 3.0x, sampling <= 1.1x; the
// real programs (sqlite, tree-sitter, tiktoken or @jsquash/png, containers) <= 1.3x and <= 1.6x.
import v8 from 'node:v8';
v8.setFlagsFromString('--no-turbo-fast-api-calls'); // Node's WASI crash (DESIGN.md); before any WASI object
v8.setFlagsFromString('--expose-gc');
import { spawnSync } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { WASI } from 'node:wasi';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import sqlite3InitModule from '@sqlite.org/sqlite-wasm';
import { compileTraced } from '../src/host/instantiate.js';
import { handedOutInstance } from '../src/host/trapRecovery.js';
import { TraceTable } from '../src/host/traceTable.js';
import { INIT_EXPORT } from '../src/instrument/abi.js';
import { instrumentInWorker } from '../src/instrument/worker.js';
import { jsHook } from './jsHook.js';
import { threadCpuMs } from './threadCpu.js';
import { median } from './median.js';

const QUICK = process.argv.includes('--quick');
const ALL = process.argv.includes('--all');
const RUNS = Number(process.env.BENCH_RUNS ?? (QUICK ? 3 : 7));
const devnull = openSync('/dev/null', 'w');
/** A full collection before each measurement, so that no run pays for the garbage of the runs before it. */
const collectGarbage = runInNewContext('gc') as () => void;

/** `--only a,b`: only the workloads and variants whose name contains one of these (the baseline always runs). */
const onlyArg = process.argv.indexOf('--only');
const ONLY = onlyArg >= 0 ? process.argv[onlyArg + 1]!.split(',') : null;
const selected = (name: string): boolean => ONLY === null || ONLY.some((o) => name.includes(o));

/** maxRounds: a variant far slower than the rest runs fewer rounds (its spread then covers those). */
type Variant = { label: string; kind: 'plain' | 'table' | 'hook'; nframe?: number; sampling?: number; maxRounds?: number };
const ALL_VARIANTS: Variant[] = [
  { label: 'uninstrumented', kind: 'plain' },
  { label: 'instrumented, not tracing', kind: 'table', nframe: 0 },
  { label: 'exact, nframe=1', kind: 'table', nframe: 1 },
  { label: 'exact, nframe=16', kind: 'table', nframe: 16 },
  { label: 'sampling 512 KiB, nframe=16', kind: 'table', nframe: 16, sampling: 512 * 1024 },
  { label: 'JS hook: new Error().stack per allocation', kind: 'hook', maxRounds: 3 },
];
const VARIANTS = ALL_VARIANTS.filter((v, i) => i === 0 || selected(v.label));

/** One run of one variant. */
interface Measure {
  wall: number;
  cpu: number;
  /** CPU time of the thread that ran the workload (bench/threadCpu.ts); null off Linux. */
  thread: number | null;
  /** The program's linear memory after the run (its peak: Wasm memory never shrinks). */
  programBytes: number;
  /** The tracer's own memory: the trace table's linear memory, or the JS hook's stack strings at their peak. */
  tracerBytes: number;
}

/** The tracer side of one run: the imports, what to do after `__tracemalloc_init`, its memory. */
interface Tracer {
  imports: WebAssembly.ModuleImports | null;
  start(): void;
  bytes(): number;
}

async function tracerFor(v: Variant): Promise<Tracer> {
  if (v.kind === 'plain') return { imports: null, start() {}, bytes: () => 0 };
  if (v.kind === 'hook') {
    const hook = jsHook();
    // Stack strings are ASCII (one byte a character in V8); the Map's own entries are not counted.
    return { imports: hook.imports, start() {}, bytes: () => hook.stats.peakStackChars };
  }
  const table = await TraceTable.create();
  return {
    imports: table.imports,
    start() {
      if (v.sampling) table.setSampling(v.sampling, 1);
      if (v.nframe) table.start(v.nframe);
    },
    bytes: () => table.exports.memory.buffer.byteLength,
  };
}

/** A workload's module, plain and instrumented. */
interface Modules {
  plain: WebAssembly.Module;
  instrumented: WebAssembly.Module;
}

async function modulesOf(bytes: Uint8Array, name: string): Promise<Modules> {
  const [plain, traced] = await Promise.all([WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>), compileTraced(bytes, { moduleName: name })]);
  return { plain, instrumented: traced.module };
}

/**
 * Instantiates the variant's module with `imports` (+ the tracer's) and starts tracing. A traced
 * instance is handed out as attachTracer hands it to programs: its exports wrapped for trap recovery.
 */
function instantiate(modules: Modules, imports: WebAssembly.Imports, tracer: Tracer): WebAssembly.Instance {
  if (tracer.imports === null) return new WebAssembly.Instance(modules.plain, imports);
  const instance = new WebAssembly.Instance(modules.instrumented, { ...imports, tracemalloc: tracer.imports });
  (instance.exports[INIT_EXPORT] as () => number)();
  tracer.start();
  return handedOutInstance(instance, modules.instrumented);
}

/** `fn`'s wall and CPU time; `withThread`: also the main thread's (null when not asked for or not on Linux). */
function timed<T>(fn: () => T, withThread = true): { value: T; wall: number; cpu: number; thread: number | null } {
  const s0 = withThread ? threadCpuMs() : null;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const s1 = s0 === null ? null : threadCpuMs();
  return { value, wall, cpu: (c.user + c.system) / 1000, thread: s0 === null || s1 === null ? null : s1 - s0 };
}

interface Workload {
  name: string;
  run(v: Variant): Promise<Measure>;
  /** Whether the variant can run on this workload (default: all). */
  supports?(v: Variant): boolean;
  /** False when the program's memory cannot be read (the memory table then leaves it out). */
  memory?: boolean;
}

/**
 * A WASI command, timed from _start to exit. A short program runs `repeat` times per
 * measurement, each in a fresh instance (instantiation and the tracer's set-up then count too).
 */
async function wasiWorkload(name: string, path: string, args: string[], repeat = 1): Promise<Workload> {
  const modules = await modulesOf(readFileSync(path), path);
  return {
    name,
    async run(v) {
      const total: Measure = { wall: 0, cpu: 0, thread: 0, programBytes: 0, tracerBytes: 0 };
      for (let k = 0; k < repeat; k++) {
        const wasi = new WASI({ version: 'preview1', args, env: {}, returnOnExit: true, stdout: devnull });
        const tracer = await tracerFor(v);
        // The thread's CPU time advances only at scheduler ticks and switches, and reading it costs
        // ~30 µs: over a thousand sub-millisecond runs it is noise, so it is taken for one run only.
        const { value: instance, wall: wi, cpu: ci } = timed(() => instantiate(modules, wasi.getImportObject() as WebAssembly.Imports, tracer), false);
        const { value: code, wall, cpu, thread } = timed(() => wasi.start(instance), repeat === 1);
        if (code !== 0) throw new Error(`${name} (${v.label}) exited with ${code}`);
        total.wall += wall + (repeat > 1 ? wi : 0);
        total.cpu += cpu + (repeat > 1 ? ci : 0);
        total.thread = thread;
        total.programBytes = (instance.exports['memory'] as WebAssembly.Memory).buffer.byteLength;
        total.tracerBytes = tracer.bytes();
      }
      return total;
    },
  };
}

type Sqlite3 = Awaited<ReturnType<typeof sqlite3InitModule>>;

/**
 * sqlite-wasm through its own glue; timed: `repeat` times create a database, insert `rows` rows
 * in a transaction, query (one pass, ~0.1 s, was too short to measure against GC pauses).
 */
async function sqliteWorkload(rows: number, repeat: number): Promise<Workload> {
  const url = new URL(import.meta.resolve('@sqlite.org/sqlite-wasm/sqlite3.wasm'));
  const modules = await modulesOf(readFileSync(url), 'sqlite3.wasm');
  const work = (sqlite3: Sqlite3): void => {
    const db = new sqlite3.oo1.DB(':memory:');
    db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT NOT NULL, v REAL); CREATE INDEX t_name ON t(name)');
    db.transaction(() => {
      const insert = db.prepare('INSERT INTO t(name, v) VALUES (?, ?)');
      for (let i = 0; i < rows; i++) insert.bind([`name-${(i * 7919) % rows}`, i * 1.5]).stepReset();
      insert.finalize();
    });
    if (db.selectValue('SELECT count(*) FROM t') !== rows) throw new Error('sqlite: wrong row count');
    db.selectArrays('SELECT id, name, v FROM t WHERE name LIKE ? ORDER BY name LIMIT 5', ['name-42%']);
    db.selectArrays('SELECT name, count(*) FROM t GROUP BY substr(name, 1, 6) ORDER BY 1');
    db.close();
  };
  return {
    name: `sqlite-wasm, ${rows} rows inserted + queried, ${repeat}x`,
    async run(v) {
      const tracer = await tracerFor(v);
      let memory: WebAssembly.Memory | undefined;
      const init = sqlite3InitModule as unknown as (arg: object) => Promise<Sqlite3>;
      const sqlite3 = await init({
        print: () => {},
        printErr: () => {},
        instantiateWasm(imports: WebAssembly.Imports, success: (i: WebAssembly.Instance, m: WebAssembly.Module) => void) {
          memory = (imports['env'] as Record<string, unknown>)['memory'] as WebAssembly.Memory;
          success(instantiate(modules, imports, tracer), tracer.imports === null ? modules.plain : modules.instrumented);
          return {};
        },
      });
      const { wall, cpu, thread } = timed(() => {
        for (let k = 0; k < repeat; k++) work(sqlite3);
      });
      return { wall, cpu, thread, programBytes: memory!.buffer.byteLength, tracerBytes: tracer.bytes() };
    },
  };
}

/**
 * tiktoken 1.0.22, a stripped Rust wasm-bindgen program, through its own glue (loaded afresh for
 * each instance); timed: build the gpt2 encoder (its BPE tables: many allocations), encode a
 * text, free the encoder.
 */
async function tiktokenWorkload(rounds: number): Promise<Workload> {
  const modules = await modulesOf(readFileSync('node_modules/tiktoken/tiktoken_bg.wasm'), 'tiktoken_bg.wasm');
  const require = createRequire(import.meta.url);
  // The package's exports map hides the glue file; it is a devDependency at a fixed place.
  const gluePath = resolve('node_modules/tiktoken/tiktoken_bg.cjs');
  const text = "wasm-tracemalloc traces every allocation of a WebAssembly module, like Python's tracemalloc. ".repeat(50);
  return {
    name: `tiktoken (Rust, wasm-bindgen), gpt2 encoder built + text encoded, ${rounds}x`,
    async run(v) {
      delete require.cache[gluePath];
      const glue = require(gluePath) as {
        __wbg_set_wasm(exports: WebAssembly.Exports): void;
        get_encoding(name: string): { encode(text: string): Uint32Array; free(): void };
      };
      const tracer = await tracerFor(v);
      const instance = instantiate(modules, { './tiktoken_bg.js': glue as unknown as WebAssembly.ModuleImports }, tracer);
      glue.__wbg_set_wasm(instance.exports);
      const { wall, cpu, thread } = timed(() => {
        for (let k = 0; k < rounds; k++) {
          const enc = glue.get_encoding('gpt2');
          if (enc.encode(text).length === 0) throw new Error('tiktoken: no tokens');
          enc.free();
        }
      });
      return { wall, cpu, thread, programBytes: (instance.exports['memory'] as WebAssembly.Memory).buffer.byteLength, tracerBytes: tracer.bytes() };
    },
  };
}

/** The part of @jsquash/png's glue (wasm-bindgen's "web" target) the benchmark uses. */
interface PngGlue {
  initSync(module: WebAssembly.Module): unknown;
  encode(data: Uint8Array, width: number, height: number, bitDepth: number): Uint8Array;
  decode(data: Uint8Array): { data: Uint8ClampedArray; width: number; height: number };
}

/**
 * @jsquash/png 3.1.1 (Squoosh's Rust PNG codec, a stripped wasm-bindgen module); timed: `rounds`
 * encodes and decodes of a 512×512 RGBA gradient with noise. The glue holds one instance per
 * copy of its ES module and builds its imports privately, so each measurement imports a fresh
 * copy (by query string) and its initSync gets the variant's instance through a stand-in for
 * WebAssembly.Instance, which initSync calls as `new WebAssembly.Instance(module, imports)`.
 */
async function pngWorkload(rounds: number): Promise<Workload> {
  const dir = resolve('node_modules/@jsquash/png/codec/pkg'); // no exports map: fixed places
  const modules = await modulesOf(readFileSync(`${dir}/squoosh_png_bg.wasm`), 'squoosh_png_bg.wasm');
  // Node has no ImageData; decode only constructs one and hands it back.
  (globalThis as { ImageData?: unknown }).ImageData ??= class ImageData {
    constructor(readonly data: Uint8ClampedArray, readonly width: number, readonly height: number) {}
  };
  const side = 512;
  let seed = 12345;
  const rgba = new Uint8Array(side * side * 4);
  for (let i = 0; i < rgba.length; i++) {
    seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
    rgba[i] = i % 4 === 3 ? 255 : ((((i >> 2) % side) >> 1) + (seed & 15)) & 0xff;
  }
  let copies = 0;
  return {
    name: `@jsquash/png (Rust, wasm-bindgen), ${side}x${side} RGBA encoded + decoded, ${rounds}x`,
    async run(v) {
      const glue = (await import(`${pathToFileURL(`${dir}/squoosh_png.js`).href}?copy=${copies++}`)) as PngGlue;
      const tracer = await tracerFor(v);
      let instance: WebAssembly.Instance | undefined;
      const RealInstance = WebAssembly.Instance;
      const standIn = function (_module: WebAssembly.Module, imports: WebAssembly.Imports) {
        (WebAssembly as { Instance: unknown }).Instance = RealInstance;
        instance = instantiate(modules, imports, tracer);
        return instance;
      };
      (WebAssembly as { Instance: unknown }).Instance = standIn;
      try {
        glue.initSync(modules.plain);
      } finally {
        (WebAssembly as { Instance: unknown }).Instance = RealInstance;
      }
      const { wall, cpu, thread } = timed(() => {
        for (let k = 0; k < rounds; k++) {
          const decoded = glue.decode(glue.encode(rgba, side, side, 8));
          if (decoded.data.length !== rgba.length || decoded.data[side * 4 + 1] !== rgba[side * 4 + 1]) throw new Error('png: the round trip changed the pixels');
        }
      });
      return { wall, cpu, thread, programBytes: (instance!.exports['memory'] as WebAssembly.Memory).buffer.byteLength, tracerBytes: tracer.bytes() };
    },
  };
}

/**
 * web-tree-sitter 0.25 (C, an Emscripten MAIN_MODULE) with @vscode/tree-sitter-wasm's python
 * grammar (a SIDE_MODULE whose scanner allocates through the main module): `parses` parses of a
 * 1,500-line file. Its runtime initializes once per process, so each measurement is a fresh
 * process (bench/treeSitterChild.ts), which times the parse loop alone. The JS hook does not
 * apply: the side modules are linked by the glue.
 */
function treeSitterWorkload(parses: number): Workload {
  return {
    name: `tree-sitter (web-tree-sitter + python grammar side module), ${parses} parses of 1,500 lines`,
    supports: (v) => v.kind !== 'hook',
    memory: false,
    async run(v) {
      const arg = JSON.stringify({ traced: v.kind === 'table', nframe: v.nframe ?? 0, sampling: v.sampling ?? 0 });
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/treeSitterChild.ts', arg, String(parses)], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`tree-sitter (${v.label}) failed: ${r.stderr}`);
      const { wall, cpu, thread } = JSON.parse(r.stdout.trim().split('\n').pop()!) as { wall: number; cpu: number; thread: number | null };
      return { wall, cpu, thread, programBytes: 0, tracerBytes: 0 };
    },
  };
}

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;

const workloads: Workload[] = [];
if (selected('churn')) workloads.push(await wasiWorkload(`churn, ${QUICK ? '20k' : '2M'} malloc/free pairs`, 'fixtures/wasi/churn.wasm', ['churn', QUICK ? '20000' : '2000000']));
if (selected('containers')) {
  workloads.push(await wasiWorkload(`containers (C++ new/delete, vector, map, string), ${QUICK ? 5 : 1000} fresh instances`, 'fixtures/wasi/containers.wasm', ['containers'], QUICK ? 5 : 1000));
}
if (selected('sqlite')) workloads.push(await sqliteWorkload(QUICK ? 500 : 10_000, QUICK ? 1 : 5));
if (selected('tiktoken')) workloads.push(await tiktokenWorkload(QUICK ? 1 : 3));
if (selected('png')) workloads.push(await pngWorkload(QUICK ? 1 : 10));
// A process per measurement: left out of --quick unless asked for by name.
if (selected('tree-sitter') && (!QUICK || ONLY !== null)) workloads.push(treeSitterWorkload(20));

/** ", CPUs 1" from Linux's affinity list (so a pinned run says so), else nothing. */
function allowedCpus(): string {
  try {
    const list = /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return list === undefined ? '' : `, CPUs ${list}`;
  } catch {
    return '';
  }
}

console.log(`# Tracing overhead (${RUNS} alternating rounds, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}${allowedCpus()})\n`);
const memoryRows: string[] = [];
for (const w of workloads) {
  const times = VARIANTS.map(() => [] as Measure[]);
  // One unmeasured run of each variant first: Node compiles Wasm lazily and tiers up the glue's
  // JS, so whichever variant ran first would otherwise pay for that (the JS hook, far slower
  // on churn, is left out).
  for (const v of VARIANTS) {
    if (w.supports?.(v) === false || v.maxRounds !== undefined) continue;
    collectGarbage();
    await w.run(v);
  }
  for (let r = 0; r < RUNS; r++) {
    // Each round starts with another variant, so that none always runs first (colder) or last.
    for (let k = 0; k < VARIANTS.length; k++) {
      const i = (r + k) % VARIANTS.length;
      if (w.supports?.(VARIANTS[i]!) === false) continue;
      if (r >= (VARIANTS[i]!.maxRounds ?? Infinity)) continue;
      collectGarbage();
      times[i]!.push(await w.run(VARIANTS[i]!));
    }
  }
  const base = times[0]!;
  const threads = times.every((ts) => ts.every((t) => t.thread !== null));
  console.log(
    `## ${w.name}: uninstrumented median ${median(base.map((t) => t.wall)).toFixed(1)} ms wall, ${median(base.map((t) => t.cpu)).toFixed(1)} ms CPU` +
      `${threads ? `, ${median(base.map((t) => t.thread!)).toFixed(1)} ms main-thread CPU` : ''}\n`,
  );
  console.log(`| variant | median ratio (wall) | spread (min-max) | median ratio (CPU) | spread (min-max) |${threads ? ' median ratio (main thread) | spread (min-max) |' : ''}`);
  console.log(`|---|---:|---:|---:|---:|${threads ? '---:|---:|' : ''}`);
  for (let i = 0; i < VARIANTS.length; i++) {
    if (times[i]!.length === 0) continue;
    // Ratios per round (run r of the variant over run r of the baseline): both saw the same noise.
    const wall = times[i]!.map((t, r) => t.wall / base[r]!.wall);
    const cpu = times[i]!.map((t, r) => t.cpu / base[r]!.cpu);
    const thread = times[i]!.map((t, r) => t.thread! / base[r]!.thread!);
    const cell = (xs: number[]): string => `${median(xs).toFixed(2)}x | ${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)}`;
    console.log(`| ${VARIANTS[i]!.label} | ${cell(wall)} | ${cell(cpu)} |${threads ? ` ${cell(thread)} |` : ''}`);
  }
  console.log('');
  const baseProgram = Math.max(...base.map((t) => t.programBytes));
  for (let i = 0; i < VARIANTS.length; i++) {
    if (w.memory === false || times[i]!.length === 0) continue;
    const program = Math.max(...times[i]!.map((t) => t.programBytes));
    const tracer = Math.max(...times[i]!.map((t) => t.tracerBytes));
    memoryRows.push(`| ${w.name} | ${VARIANTS[i]!.label} | ${kib(program)} | ${kib(tracer)} | ${((program + tracer) / baseProgram).toFixed(2)}x |`);
  }
}

console.log('## Memory: traced run vs untraced run\n');
console.log("Program: the program's linear memory after the run (its peak). Tracer: the trace table's");
console.log("linear memory (its peak), or for the JS hook the characters of the live blocks' stack strings at");
console.log('their peak (a lower bound: the Map and string headers are not counted).\n');
console.log('| workload | variant | program | tracer | (program + tracer) / untraced |');
console.log('|---|---|---:|---:|---:|');
for (const row of memoryRows) console.log(row);
console.log('');

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

const toInstrument = ONLY !== null && !selected('instrument') ? [] : QUICK
  ? ['fixtures/wasi/alloc_basic.wasm']
  : [
      'fixtures/wasi/alloc_basic.wasm',
      'fixtures/emscripten/alloc_basic.g.wasm',
      'fixtures/rust/alloc_rust.wasm', // 6 MB, nearly all DWARF
      'node_modules/@sqlite.org/sqlite-wasm/dist/sqlite3.wasm',
      // The issue's "5 MB module in at most 3 s and at most 2x a plain read+write": 5.6 MB, 1260
      // functions, 1100 of them instrumented (stripped wasm-bindgen).
      'node_modules/tiktoken/tiktoken_bg.wasm',
    ];
if (toInstrument.length > 0) {
  console.log('## Instrumentation time (Binaryen in a worker, not counting its load)\n');
  console.log('| module | size | instrument | plain Binaryen read+write | ratio |');
  console.log('|---|---:|---:|---:|---:|');
  for (const wasm of toInstrument) {
    const bytes = readFileSync(wasm);
    const inst: number[] = [];
    const plain: number[] = [];
    for (let r = 0; r < (QUICK ? 1 : 3); r++) {
      inst.push((await instrumentInWorker(bytes)).report.elapsedMs);
      plain.push(await plainReadWrite(bytes));
    }
    console.log(`| ${wasm} | ${(bytes.length / 1024).toFixed(0)} KiB | ${median(inst).toFixed(0)} ms | ${median(plain).toFixed(0)} ms | ${(median(inst) / median(plain)).toFixed(1)}x |`);
  }
  console.log('');
}

if (ALL) {
  for (const other of ['bench/table.bench.ts', 'bench/snapshot.bench.ts', 'bench/symbols.bench.ts']) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', other], { stdio: 'inherit' });
    if (r.status !== 0) process.exitCode = 1;
  }
}
