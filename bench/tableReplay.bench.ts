/**
 * The trace table on a real program's operations: tree-sitter's allocations, frees and reallocs,
 * recorded at the table's imports, then replayed Wasm → Wasm through one or more builds of the
 * table, side by side. Unlike the suite (bench/run.ts), a replay runs nothing but the table, so
 * it is steady enough to compare table builds that differ by a few percent, in seconds; unlike
 * bench/table.bench.ts, the pointers, sizes and sites are a real program's, not a ring.
 *
 *   npx tsx bench/tableReplay.bench.ts [--record] [--parses N] [--rounds N] [table.wasm ...]
 *
 * The first run records `--parses` (default 3) parses of bench/treeSitterChild.ts's source at
 * nframe=1 into node_modules/.cache/wasm-tracemalloc-bench/ (again with --record). Tables
 * default to build/tracetable.wasm. Figures: bench/RESULTS.md, session 8.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import binaryen from 'binaryen';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(name);
  return at === -1 ? fallback : Number(args[at + 1]);
};
const parses = option('--parses', 3);
const rounds = option('--rounds', 7);
const tables = args.filter((a, i) => a.endsWith('.wasm') && !['--parses', '--rounds'].includes(args[i - 1] ?? ''));
if (tables.length === 0) tables.push('build/tracetable.wasm');

/** A record: kind (1 alloc, 2 free, 3 realloc), a (ptr or old), b (new), size, total, f0. */
const RECORD_WORDS = 6;
const CACHE = 'node_modules/.cache/wasm-tracemalloc-bench';
const TRACE = path.join(CACHE, `tree-sitter-ops-${parses}.bin`);

// === Recording ===

/** Wraps the table's report imports in an import object so that each call is appended to `log`. */
function recording(imports: WebAssembly.Imports | undefined, log: number[]): WebAssembly.Imports | undefined {
  const tm = imports?.tracemalloc as Record<string, unknown> | undefined;
  if (tm === undefined || typeof tm.alloc1 !== 'function') return imports;
  const alloc1 = tm.alloc1 as (...a: number[]) => void;
  const free = tm.free as (p: number) => void;
  const realloc1 = tm.realloc1 as (...a: number[]) => void;
  const alloc = tm.alloc as (...a: number[]) => void;
  const realloc = tm.realloc as (...a: number[]) => void;
  return {
    ...imports,
    tracemalloc: {
      ...tm,
      alloc1: (p: number, size: number, total: number, f0: number) => { log.push(1, p, 0, size, total, f0); alloc1(p, size, total, f0); },
      free: (p: number) => { log.push(2, p, 0, 0, 0, 0); free(p); },
      realloc1: (old: number, p: number, size: number, total: number, f0: number) => { log.push(3, old, p, size, total, f0); realloc1(old, p, size, total, f0); },
      alloc: (p: number, size: number, total: number, f0: number, ...rest: number[]) => { log.push(1, p, 0, size, total, f0); alloc(p, size, total, f0, ...rest); },
      realloc: (old: number, p: number, size: number, total: number, f0: number, ...rest: number[]) => { log.push(3, old, p, size, total, f0); realloc(old, p, size, total, f0, ...rest); },
    },
  };
}

async function record(): Promise<void> {
  const log: number[] = [];
  // Before the host is loaded: it keeps the engine's entry points as it finds them (wasmApi.ts).
  const instantiate = WebAssembly.instantiate.bind(WebAssembly);
  WebAssembly.instantiate = ((source: never, imports?: WebAssembly.Imports) => instantiate(source, recording(imports, log))) as typeof WebAssembly.instantiate;
  const Instance = WebAssembly.Instance;
  WebAssembly.Instance = new Proxy(Instance, {
    construct: (target, [module, imports]: [WebAssembly.Module, WebAssembly.Imports | undefined], newTarget) =>
      Reflect.construct(target, [module, recording(imports, log)], newTarget) as object,
  });
  const { Language, Parser } = await import('web-tree-sitter');
  const { emscriptenDynamicTracing } = await import('../src/host/dynamicLinking.js');
  const { TREE_SITTER_MAIN, TREE_SITTER_GRAMMAR, treeSitterSource } = await import('./treeSitterWorkload.js');
  const tracing = emscriptenDynamicTracing({ wasm: TREE_SITTER_MAIN, nframe: 0 });
  const moduleObject = { instantiateWasm: tracing.instantiateWasm };
  await Parser.init(moduleObject);
  const traced = await tracing.traced;
  tracing.traceSideModules(moduleObject);
  traced.tracemalloc.start(1);
  const parser = new Parser();
  parser.setLanguage(await Language.load(readFileSync(TREE_SITTER_GRAMMAR)));
  const source = treeSitterSource();
  parser.parse(source)!.delete();
  log.length = 0;
  for (let k = 0; k < parses; k++) parser.parse(source)!.delete();
  WebAssembly.instantiate = instantiate;
  WebAssembly.Instance = Instance;
  if (log.length === 0) throw new Error('tableReplay: no report reached the table while recording; is tracing on?');
  mkdirSync(CACHE, { recursive: true });
  writeFileSync(TRACE, new Uint8Array(Int32Array.from(log).buffer));
}

// === Replay ===

/** A module that imports the table as an instrumented target does and replays `n` records from address 0. */
function driverModule(): WebAssembly.Module {
  const wat = `(module
  (import "tracemalloc" "alloc1" (func $alloc1 (param i32 i32 i32 i32)))
  (import "tracemalloc" "free" (func $free (param i32)))
  (import "tracemalloc" "realloc1" (func $realloc1 (param i32 i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (func (export "replay") (param $n i32)
    (local $p i32) (local $end i32) (local $kind i32)
    (local.set $end (i32.mul (local.get $n) (i32.const ${RECORD_WORDS * 4})))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $kind (i32.load (local.get $p)))
        (if (i32.eq (local.get $kind) (i32.const 1))
          (then (call $alloc1 (i32.load offset=4 (local.get $p)) (i32.load offset=12 (local.get $p))
            (i32.load offset=16 (local.get $p)) (i32.load offset=20 (local.get $p))))
          (else (if (i32.eq (local.get $kind) (i32.const 2))
            (then (call $free (i32.load offset=4 (local.get $p))))
            (else (call $realloc1 (i32.load offset=4 (local.get $p)) (i32.load offset=8 (local.get $p))
              (i32.load offset=12 (local.get $p)) (i32.load offset=16 (local.get $p)) (i32.load offset=20 (local.get $p)))))))
        (local.set $p (i32.add (local.get $p) (i32.const ${RECORD_WORDS * 4})))
        (br $next))))
)`;
  const module = binaryen.parseText(wat);
  try {
    return new WebAssembly.Module(module.emitBinary() as Uint8Array<ArrayBuffer>);
  } finally {
    module.dispose();
  }
}

type Mode = 'not tracing' | 'tracing, warm' | 'tracing, from empty';

/** Nanoseconds per operation: the median of `reps` replays of the whole trace through a fresh table instance. */
function measure(table: WebAssembly.Module, driver: WebAssembly.Module, ops: Uint8Array, mode: Mode): number {
  const t = new WebAssembly.Instance(table, {}).exports as Record<string, (...a: number[]) => number>;
  const d = new WebAssembly.Instance(driver, { tracemalloc: t }).exports as { memory: WebAssembly.Memory; replay(n: number): void };
  const pages = Math.ceil((ops.length - d.memory.buffer.byteLength) / 65536);
  if (pages > 0) d.memory.grow(pages);
  new Uint8Array(d.memory.buffer).set(ops);
  const n = ops.length / (RECORD_WORDS * 4);
  if (mode !== 'not tracing') t.start!(1);
  d.replay(n); // tiers the code up; grows the table to its peak
  const times: number[] = [];
  for (let r = 0; r < 5; r++) {
    if (mode === 'tracing, from empty') t.clearTraces!();
    const t0 = process.hrtime.bigint();
    d.replay(n);
    times.push(Number(process.hrtime.bigint() - t0) / n);
  }
  return median(times);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

if (args.includes('--record') || !existsSync(TRACE)) await record();
const ops = readFileSync(TRACE);
const words = new Int32Array(ops.buffer, ops.byteOffset, ops.length >> 2);
const counts = [0, 0, 0, 0];
for (let i = 0; i < words.length; i += RECORD_WORDS) counts[words[i]!]!++;
const driver = driverModule();
const modules = tables.map((t) => new WebAssembly.Module(readFileSync(t)));
const modes: Mode[] = ['not tracing', 'tracing, warm', 'tracing, from empty'];
const results = new Map<string, number[]>();
for (let r = 0; r < rounds; r++) {
  // Alternating builds and modes in every round, so that a change of machine speed hits them all.
  for (const [i, m] of modules.entries()) for (const mode of modes) {
    const key = `${i}\t${mode}`;
    results.set(key, [...(results.get(key) ?? []), measure(m, driver, ops, mode)]);
  }
}

console.log(`## tree-sitter's table operations replayed (${parses} parses: ${counts[1]} allocations, ${counts[2]} frees, ${counts[3]} reallocs; median of ${rounds} rounds)\n`);
console.log('| table | not tracing (ns / op) | tracing, warm | tracing, from empty | work (warm − not tracing) | work × first table |');
console.log('|---|---:|---:|---:|---:|---:|');
let firstWork = 0;
for (const [i, t] of tables.entries()) {
  const [off, warm, empty] = modes.map((mode) => median(results.get(`${i}\t${mode}`)!));
  const work = warm! - off!;
  if (i === 0) firstWork = work;
  console.log(`| ${t} | ${off!.toFixed(2)} | ${warm!.toFixed(2)} | ${empty!.toFixed(2)} | ${work.toFixed(2)} | ${(work / firstWork).toFixed(3)} |`);
}
