// One measurement of the tree-sitter workload of bench/run.ts, in its own process: web-tree-sitter
// initializes its (Emscripten MAIN_MODULE) runtime once per process, so each variant needs a
// fresh one. Prints one line of JSON: { wall, cpu, thread } of the parse loop alone (thread: the
// main thread's CPU time, bench/threadCpu.ts), and when traced, `allocations`: the traces the
// loop added (bench/cachegrind.ts counts per allocation).
//
//   npx tsx bench/treeSitterChild.ts '{"traced":true,"nframe":1,"sampling":0}' <parses>
import { readFileSync } from 'node:fs';
import { Language, Parser } from 'web-tree-sitter';
import { emscriptenDynamicTracing } from '../src/host/dynamicLinking.js';
import { threadCpuMs } from './threadCpu.js';
import { TREE_SITTER_GRAMMAR, TREE_SITTER_MAIN, treeSitterSource } from './treeSitterWorkload.js';

const variant = JSON.parse(process.argv[2] ?? '{}') as { traced?: boolean; nframe?: number; sampling?: number };
const parses = Number(process.argv[3] ?? 20);

const source = treeSitterSource();

let tracedCounters: (() => number) | null = null;
if (variant.traced) {
  const tracing = emscriptenDynamicTracing({ wasm: TREE_SITTER_MAIN, nframe: 0 });
  const moduleObject = { instantiateWasm: tracing.instantiateWasm };
  await Parser.init(moduleObject);
  const traced = await tracing.traced;
  tracing.traceSideModules(moduleObject);
  if (variant.sampling) traced.tracemalloc.setSampling(variant.sampling, 1);
  if (variant.nframe) traced.tracemalloc.start(variant.nframe);
  tracedCounters = () => traced.tracemalloc.counters().allocations;
} else {
  await Parser.init();
}
const parser = new Parser();
parser.setLanguage(await Language.load(readFileSync(TREE_SITTER_GRAMMAR)));
// Ten parses to warm up (V8 tiers the hot functions up to optimized code meanwhile), then the timed ones.
for (let k = 0; k < 10; k++) parser.parse(source)!.delete();
const a0 = tracedCounters?.() ?? 0;
const s0 = threadCpuMs();
const c0 = process.cpuUsage();
const t0 = performance.now();
let nodes = 0;
for (let k = 0; k < parses; k++) {
  const tree = parser.parse(source)!;
  nodes += tree.rootNode.descendantCount;
  tree.delete();
}
const wall = performance.now() - t0;
const c = process.cpuUsage(c0);
const s1 = threadCpuMs();
const allocations = (tracedCounters?.() ?? 0) - a0;
if (nodes === 0 && parses > 0) throw new Error('tree-sitter: empty trees');
process.stdout.write(`${JSON.stringify({ wall, cpu: (c.user + c.system) / 1000, thread: s0 === null || s1 === null ? null : s1 - s0, allocations })}\n`);
