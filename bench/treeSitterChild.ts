// One measurement of the tree-sitter workload of bench/run.ts, in its own process: web-tree-sitter
// initializes its (Emscripten MAIN_MODULE) runtime once per process, so each variant needs a
// fresh one. Prints one line of JSON: { wall, cpu, thread } of the parse loop alone (thread: the
// main thread's CPU time, bench/threadCpu.ts).
//
//   npx tsx bench/treeSitterChild.ts '{"traced":true,"nframe":1,"sampling":0}' <parses>
import { readFileSync } from 'node:fs';
import { Language, Parser } from 'web-tree-sitter';
import { emscriptenDynamicTracing } from '../src/host/dynamicLinking.js';
import { threadCpuMs } from './threadCpu.js';

const MAIN = 'node_modules/web-tree-sitter/tree-sitter.wasm';
const GRAMMAR = 'node_modules/@vscode/tree-sitter-wasm/wasm/tree-sitter-python.wasm';

const variant = JSON.parse(process.argv[2] ?? '{}') as { traced?: boolean; nframe?: number; sampling?: number };
const parses = Number(process.argv[3] ?? 20);

// A Python source of ~1,500 lines: classes, comprehensions, f-strings, nested blocks.
const unit = (i: number): string =>
  `class Item${i}(Base):\n    """Item ${i}."""\n    def __init__(self, x, *args, **kw):\n        self.x = [v * ${i} for v in range(x) if v % 3]\n` +
  `        self.d = {k: f"{k}-{v!r}" for k, v in kw.items()}\n\n    def run(self, n):\n        while n > 0:\n` +
  `            try:\n                n -= self.step(n)\n            except ValueError as e:\n                raise RuntimeError(str(e)) from e\n` +
  `        return sorted(self.x, key=lambda v: (-v, v))\n\n`;
const source = Array.from({ length: 100 }, (_, i) => unit(i)).join('');

if (variant.traced) {
  const tracing = emscriptenDynamicTracing({ wasm: MAIN, nframe: 0 });
  const moduleObject = { instantiateWasm: tracing.instantiateWasm };
  await Parser.init(moduleObject);
  const traced = await tracing.traced;
  tracing.traceSideModules(moduleObject);
  if (variant.sampling) traced.tracemalloc.setSampling(variant.sampling, 1);
  if (variant.nframe) traced.tracemalloc.start(variant.nframe);
} else {
  await Parser.init();
}
const parser = new Parser();
parser.setLanguage(await Language.load(readFileSync(GRAMMAR)));
// Ten parses to warm up (V8 tiers the hot functions up to optimized code meanwhile), then the timed ones.
for (let k = 0; k < 10; k++) parser.parse(source)!.delete();
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
if (nodes === 0) throw new Error('tree-sitter: empty trees');
process.stdout.write(`${JSON.stringify({ wall, cpu: (c.user + c.system) / 1000, thread: s0 === null || s1 === null ? null : s1 - s0 })}\n`);
