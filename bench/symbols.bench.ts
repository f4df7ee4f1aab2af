// Symbolization cost on a large module with full DWARF.
//
//   npx tsx bench/symbols.bench.ts [--quick] [--module path.wasm]...
//
// Default module: a generated C program (FILES files × FUNCS functions, each with loops, a
// switch, and an allocating static inline helper that -O2 inlines), compiled by clang
// --target=wasm32-wasi -g -O2 into a module of ≥ 5 MB, cached in the OS temp directory. The
// shared fixture fixtures/rust/alloc_rust.wasm (6 MB, mostly Rust std DWARF) is measured too
// when it exists, and any --module given.
//
// Per module it times the first run (a fresh process: cold JIT, what a one-shot report pays) and
// the median of RUNS:
//   load        Symbolizer.fromModule (section walk, name section, demangler) — the line
//               tables are lazy and not read here
//   line table  LineTable.parse of all .debug_line units + .debug_info unit headers (what the
//               first lookup pays), through describe()
//   10k sites   framesForSite on 10,000 call instructions, cold (each site's first lookup: line
//               row, scope tree of its unit on first touch, names, demangling)
//   10k cached  the same 10,000 sites again (cache hits)
//   10k rows    lineAt (bare line-table binary search) on the same 10,000 offsets

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Symbolizer } from '../src/symbols/index.js';
import { findCalls } from '../test/symbols/support/wasmCalls.js';

const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
const RUNS = QUICK ? 3 : 7;
const FILES = 8;
const FUNCS = QUICK ? 300 : 900;
const SITES = 10_000;

/** Writes one generated C file: FUNCS functions, each calling the previous one and an inline allocator. */
function generateC(file: number): string {
  const out: string[] = ['#include <stdlib.h>', '#include <string.h>', 'extern void *volatile bench_sink;'];
  for (let f = 0; f < FUNCS; f++) {
    const id = `${file}_${f}`;
    out.push(
      `static inline void *grab_${id}(size_t n, int seed) {`,
      `  void *p = malloc(n + ${(f % 13) + 1});`,
      `  if (p) memset(p, seed & 0xff, n);`,
      `  return p;`,
      `}`,
      `__attribute__((noinline)) int work_${id}(int x, void **slots) {`,
      `  int acc = ${f};`,
      `  for (int i = 0; i < x; i++) {`,
      `    acc += i * ${(f % 7) + 3};`,
      `    if ((acc & 7) == ${f % 8}) slots[i & 7] = grab_${id}((size_t)(acc & 63), acc);`,
      `  }`,
      `  switch ((x + acc) & 3) {`,
      `  case 0: slots[0] = calloc(1, ${(f % 50) + 8}); break;`,
      `  case 1: slots[1] = realloc(slots[1], (size_t)x + ${f % 90}); break;`,
      `  case 2: free(slots[2]); slots[2] = grab_${id}(16, x); break;`,
      `  default: acc ^= ${f * 31};`,
      `  }`,
      f > 0 ? `  if (x > 1) acc += work_${file}_${f - 1}(x - 1, slots);` : '',
      `  bench_sink = slots[acc & 7];`,
      `  return acc;`,
      `}`,
    );
  }
  out.push(`int entry_${file}(int x, void **slots) { return work_${file}_${FUNCS - 1}(x, slots); }`);
  return out.join('\n');
}

/** Builds (or reuses) the generated module; returns its path. */
function buildGenerated(): string {
  const dir = join(tmpdir(), `wasm-tracemalloc-bench-symbols-v1-${FILES}x${FUNCS}`);
  const wasm = join(dir, 'big.wasm');
  if (existsSync(wasm)) return wasm;
  mkdirSync(dir, { recursive: true });
  const main = ['void *volatile bench_sink;'];
  const objs: string[] = [];
  for (let i = 0; i < FILES; i++) main.push(`int entry_${i}(int, void **);`);
  main.push('int main(void) { void *s[8] = {0}; int a = 0;');
  for (let i = 0; i < FILES; i++) main.push(`  a += entry_${i}(3, s);`);
  main.push('  return a & 1; }');
  writeFileSync(join(dir, 'main.c'), main.join('\n'));
  const jobs: [string, string][] = [['main.c', 'main.o']];
  for (let i = 0; i < FILES; i++) {
    writeFileSync(join(dir, `gen${i}.c`), generateC(i));
    jobs.push([`gen${i}.c`, `gen${i}.o`]);
  }
  console.log(`building ${wasm} (${FILES} files × ${FUNCS} functions, clang -g -O2)…`);
  // two compilers at a time (the machine has 2 cores)
  for (let i = 0; i < jobs.length; i += 2) {
    const batch = jobs.slice(i, i + 2).map(([c, o]) =>
      `clang --target=wasm32-wasi -g -O2 -c ${c} -o ${o}`);
    const r = spawnSync('bash', ['-c', batch.map((b) => `(${b}) &`).join(' ') + ' wait'], { cwd: dir, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('clang failed');
    objs.push(...jobs.slice(i, i + 2).map(([, o]) => o));
  }
  const r = spawnSync('clang', ['--target=wasm32-wasi', ...objs, '-o', 'big.wasm'], { cwd: dir, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('link failed');
  return wasm;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function time<T>(fn: () => Promise<T> | T): Promise<[number, T]> {
  const t0 = performance.now();
  const v = await fn();
  return [performance.now() - t0, v];
}

async function measure(path: string): Promise<void> {
  const bytes = new Uint8Array(readFileSync(path));
  const calls = findCalls(bytes);
  const sites: typeof calls = [];
  for (let i = 0; sites.length < SITES && calls.length > 0; i++) sites.push(calls[(i * 7919) % calls.length]!);
  const distinct = new Set(sites.map((c) => c.codeOffset)).size;
  const load: number[] = [];
  const lines: number[] = [];
  const cold: number[] = [];
  const warm: number[] = [];
  const rows: number[] = [];
  let summary = '';
  let withLines = 0;
  for (let run = 0; run < RUNS; run++) {
    const [tLoad, sym] = await time(() => Symbolizer.fromModule(bytes));
    const [tLines, d] = await time(() => sym.describe());
    summary = d.summary;
    const [tCold] = await time(() => {
      for (const c of sites) sym.framesForSite(c.funcIndex, c.codeOffset);
    });
    const [tWarm] = await time(() => {
      for (const c of sites) sym.framesForSite(c.funcIndex, c.codeOffset);
    });
    const [tRows] = await time(() => {
      for (const c of sites) sym.lineAt(c.codeOffset);
    });
    withLines = sites.filter((c) => sym.framesForSite(c.funcIndex, c.codeOffset)[0]!.origin === 'dwarf').length;
    load.push(tLoad);
    lines.push(tLines);
    cold.push(tCold);
    warm.push(tWarm);
    rows.push(tRows);
  }
  const mb = (statSync(path).size / 1e6).toFixed(1);
  console.log(`\n${path} — ${mb} MB, ${calls.length} call instructions (${distinct} distinct among the ${sites.length} timed)`);
  console.log(`  ${summary}`);
  console.log(`  ${withLines} of ${sites.length} timed sites have DWARF lines`);
  const row = (name: string, ms: number[], per?: number): void => {
    const first = ms[0]!;
    const m = median(ms);
    const perSite = (x: number): string => (per ? `${((x * 1000) / per).toFixed(2)} µs/site` : '').padStart(16);
    console.log(`  ${name.padEnd(12)} ${first.toFixed(1).padStart(8)} ms${perSite(first)}   ${m.toFixed(1).padStart(8)} ms${perSite(m)}`.trimEnd());
  };
  console.log(`  ${''.padEnd(12)} ${'first run'.padStart(11)}${''.padStart(16)}   ${'median'.padStart(11)}`);
  row('load', load);
  row('line table', lines);
  row('10k sites', cold, sites.length);
  row('10k cached', warm, sites.length);
  row('10k rows', rows, sites.length);
}

const modules = [buildGenerated()];
const rust = join(import.meta.dirname ?? '.', '..', 'fixtures', 'rust', 'alloc_rust.wasm');
if (existsSync(rust)) modules.push(rust);
for (let i = 0; i < args.length; i++) if (args[i] === '--module') modules.push(args[++i]!);
console.log(`Node ${process.version}, ${RUNS} runs per module (the first one in a fresh process is shown apart)`);
for (const m of modules) await measure(m);
