// A real dynamically linked program from npm: web-tree-sitter 0.25.10 (an Emscripten
// MAIN_MODULE) with grammar SIDE_MODULEs from @vscode/tree-sitter-wasm 0.3.1 (stripped; their
// external scanners import env.malloc/calloc/realloc/free from the main module). The main module
// is traced through the glue's instantiateWasm, the grammars through its loadWebAssemblyModule,
// into the same table, with their own call sites.
//
// Oracles: the untraced program, in a child process (web-tree-sitter is one module per process),
// gives the parse trees, and a spy on the grammars' env allocator imports gives the blocks the
// grammars hold at the first input callback of each parse; tree-sitter's own invariant (after
// tree.delete() the heap is back to the same bytes and blocks) holds every time.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Language, Parser } from 'web-tree-sitter';
import { emscriptenDynamicTracing, type EmscriptenDynamicTracing } from '../../src/host/dynamicLinking.js';
import type { TracedInstance } from '../../src/host/instantiate.js';

const MAIN = 'node_modules/web-tree-sitter/tree-sitter.wasm';
const GRAMMAR = (name: string): string => `node_modules/@vscode/tree-sitter-wasm/wasm/tree-sitter-${name}.wasm`;
const SOURCES: Record<string, string> = {
  python: 'class A:\n    def f(self, x):\n        if x:\n            return [1, 2]\n        while x:\n            x -= 1\n    y = f"{1}"\n\ndef g():\n    pass\n',
  bash: 'cat <<EOF\nhello $x\nEOF\nfor i in 1 2; do echo "$i"; done\ncat <<-END\n\tindented\n\tEND\n',
  // No allocating scanner: loaded untraced, parsed all the same.
  javascript: 'function f(x) { return [x, { a: 1 }]; }\n',
};
const ROUNDS = 5;

interface Untraced {
  trees: Record<string, string>;
  /** Sizes (sorted) of the blocks the grammar's own code holds at the parse's first input callback. */
  grammarBlocks: Record<string, number[]>;
}

// The untraced program, with a spy on each side module's env allocators (ptr → size).
const UNTRACED = `
import { readFileSync } from 'node:fs';
import { Parser, Language } from 'web-tree-sitter';
const sources = ${JSON.stringify(SOURCES)};
const live = new Map();
const spy = {
  malloc: (f) => (n) => { const p = f(n); if (p) live.set(p, n); return p; },
  calloc: (f) => (n, m) => { const p = f(n, m); if (p) live.set(p, n * m); return p; },
  realloc: (f) => (q, n) => { const p = f(q, n); if (p || n === 0) live.delete(q); if (p) live.set(p, n); return p; },
  free: (f) => (q) => { live.delete(q); return f(q); },
};
const spied = (imports) => ({ ...imports, env: new Proxy(imports.env, { get: (t, p) => (p in spy ? spy[p](Reflect.get(t, p)) : Reflect.get(t, p)) }) });
// The glue instantiates side modules from bytes with WebAssembly.instantiate; the main module came first.
let sideModules = false;
const instantiate = WebAssembly.instantiate;
WebAssembly.instantiate = (source, imports) => instantiate(source, sideModules ? spied(imports) : imports);
await Parser.init();
sideModules = true;
const out = { trees: {}, grammarBlocks: {} };
for (const [name, source] of Object.entries(sources)) {
  const parser = new Parser();
  parser.setLanguage(await Language.load(readFileSync(${JSON.stringify(GRAMMAR('NAME'))}.replace('NAME', name))));
  let first = true;
  const tree = parser.parse((i) => {
    if (first) { first = false; out.grammarBlocks[name] = [...live.values()].sort((a, b) => a - b); }
    return source.slice(i);
  });
  out.trees[name] = tree.rootNode.toString();
  tree.delete();
  parser.delete();
}
console.log(JSON.stringify(out));
`;

let untraced: Untraced;
let tracing: EmscriptenDynamicTracing;
let traced: TracedInstance;

before(async () => {
  untraced = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', UNTRACED], { encoding: 'utf8', timeout: 120_000 })) as Untraced;
  tracing = emscriptenDynamicTracing({ wasm: MAIN, nframe: 8 });
  const moduleObject = { instantiateWasm: tracing.instantiateWasm };
  await Parser.init(moduleObject);
  traced = await tracing.traced;
  tracing.traceSideModules(moduleObject);
});

/** Live blocks, by the table and by a snapshot (they must agree). */
function liveBlocks(): number {
  const fromSnapshot = traced.tracemalloc.takeSnapshot().statistics('filename').reduce((n, s) => n + s.count, 0);
  assert.equal(traced.tracemalloc.counters().liveBlocks, fromSnapshot);
  return fromSnapshot;
}

for (const name of Object.keys(SOURCES)) {
  test(`web-tree-sitter + ${name} grammar: same tree as untraced, grammar blocks traced with its own frames then the main module's, heap back to baseline after every tree.delete()`, async (t) => {
    const language = await Language.load(readFileSync(GRAMMAR(name)));
    const parser = new Parser();
    parser.setLanguage(language);
    const side = tracing.sideModules.find((s) => s.name === `tree_sitter_${name}`);
    const expectedBlocks = untraced.grammarBlocks[name]!;
    if (expectedBlocks.length === 0) {
      assert.equal(side, undefined, `${name} allocates nothing itself, yet was linked`);
      assert.ok(tracing.untracedSideModules.some((u) => u.name === `tree_sitter_${name}` && /imports no allocator/.test(u.reason)));
    } else {
      assert.ok(side !== undefined && side.sites > 0, `${name} was not linked: ${JSON.stringify(tracing.untracedSideModules)}`);
    }

    let baseline: [number, number] | null = null;
    let t0Diagnostic: string | undefined;
    for (let round = 0; round <= ROUNDS; round++) {
      let first = true;
      const source = SOURCES[name]!;
      const tree = parser.parse((i: number) => {
        if (first) {
          first = false;
          // Mid-parse: the grammar's scanner exists. Its blocks are traced once, under its own frames.
          const grammarTraces = traced.tracemalloc.takeSnapshot().traces.filter((t) => t.traceback.frames.some((f) => f.filename.startsWith(`tree_sitter_${name}!`)));
          assert.deepEqual(grammarTraces.map((t) => t.size).sort((a, b) => a - b), expectedBlocks, `round ${round}: the grammar's live blocks`);
          // Most recent first: the grammar's own frames, then the main module's calls that led into it.
          for (const t of grammarTraces) {
            const frames = t.traceback.frames;
            const fromMain = frames.findIndex((f) => !f.filename.startsWith(`tree_sitter_${name}!`));
            assert.ok(fromMain > 0, `no main-module frame after the grammar's: ${t.traceback.format().join(' | ')}`);
            assert.ok(frames.slice(fromMain).every((f) => !f.filename.includes('!')), t.traceback.format().join(' | '));
            // The depth counts both modules' frames; the kept ones are the nframe most recent.
            const total = t.traceback.totalNframe!;
            assert.ok(total > fromMain, `total ${total} counts no main-module frame`);
            assert.equal(t.traceback.length, Math.min(total, 8), `kept frames of a ${total}-deep stack with nframe 8`);
            if (round === 1) t0Diagnostic ??= t.traceback.format().join(' | ');
          }
        }
        return source.slice(i);
      })!;
      assert.equal(tree.rootNode.toString(), untraced.trees[name], `round ${round}: the tree differs from the untraced program's`);
      const [during] = traced.tracemalloc.getTracedMemory();
      tree.delete();
      // Round 0 warms the parser up (its stacks and caches stay); from then on, the same heap every time.
      const after: [number, number] = [traced.tracemalloc.getTracedMemory()[0], liveBlocks()];
      if (round === 0) {
        baseline = after;
        continue;
      }
      assert.ok(during > baseline![0], `round ${round}: the tree held no traced memory (${during} vs ${baseline![0]})`);
      assert.deepEqual(after, baseline, `round ${round}: [bytes, blocks] after tree.delete() differ from the baseline`);
    }
    if (t0Diagnostic) t.diagnostic(`${name}: a grammar block's traceback: ${t0Diagnostic}`);
    t.diagnostic(`${name}: grammar blocks mid-parse ${JSON.stringify(expectedBlocks)}; after each tree.delete() ${baseline![0]} B in ${baseline![1]} blocks`);
    parser.delete();
    // No block counted twice (the main module's wrapper and the grammar's), none freed unseen.
    const counters = traced.tracemalloc.counters();
    assert.equal(counters.replaced, 0, 'blocks traced twice');
    assert.equal(counters.unknownFrees, 0, 'frees of blocks never traced');
    // The scanner is gone with the parser: no grammar block is left.
    const left = traced.tracemalloc.takeSnapshot().traces.filter((t) => t.traceback.frames.some((f) => f.filename.includes('!')));
    assert.deepEqual(left.map((t) => String(t.traceback)), []);
  });
}

test('traceSideModules on an object that is not a MAIN_MODULE\'s Module: one clear line', () => {
  const t = emscriptenDynamicTracing({ wasm: MAIN });
  assert.throws(() => t.traceSideModules({}), {
    name: 'TracingSetupError',
    message: 'this Module object has no loadWebAssemblyModule: the program is not an Emscripten MAIN_MODULE build, or its factory has not run yet (call traceSideModules after it resolved, on the object the glue was given)',
  });
});
