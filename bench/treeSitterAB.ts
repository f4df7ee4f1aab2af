/**
 * Two builds of wasm-tracemalloc side by side on the tree-sitter workload, in time: paired
 * ratios B/A from fresh processes, for changes too small for the suite's spread (1–5%).
 *
 *   taskset -c 1 npx tsx bench/treeSitterAB.ts <checkout A> <checkout B> [--rounds 15] [--variants off,one]
 *
 * A checkout is a directory with this repository's tree, its node_modules and a built dist/
 * and build/ (`git worktree add` a commit, link node_modules, `npm run build`). Each round runs,
 * each in a fresh process (bench/treeSitterChild.ts of that checkout, 20 parses): the
 * uninstrumented workload once, then every variant with A and with B, the order reversed every
 * other round. Each checkout gets its own module cache, warmed before the first round. Pin the
 * process to one CPU (`taskset`; the children inherit it): this VM's two CPUs run at different
 * speeds (bench/RESULTS.md, session 8). Prints, by main-thread CPU, the median over rounds of
 * B/A and of each against the same round's uninstrumented run, and the uninstrumented run's
 * range: a wide range means the host changed speed during the run, and the medians mean little.
 * Figures: bench/RESULTS.md, "Session 11".
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { median } from './median.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: 'string', default: '15' }, variants: { type: 'string', default: 'off,one' } },
});
if (positionals.length !== 2) {
  throw new Error('usage: npx tsx bench/treeSitterAB.ts <checkout A> <checkout B> [--rounds 15] [--variants off,one]');
}
const checkouts = { A: path.resolve(positionals[0]!), B: path.resolve(positionals[1]!) };
const rounds = Number(values.rounds);
const VARIANTS: Record<string, object> = {
  off: { traced: true, nframe: 0, sampling: 0 },
  one: { traced: true, nframe: 1, sampling: 0 },
  sixteen: { traced: true, nframe: 16, sampling: 0 },
};
const chosen = values.variants.split(',');
for (const v of chosen) if (!(v in VARIANTS)) throw new Error(`unknown variant "${v}": one of ${Object.keys(VARIANTS).join(', ')}`);

const scratch = mkdtempSync(path.join(tmpdir(), 'wtm-ab-'));
const cacheOf = (build: 'A' | 'B'): string => path.join(scratch, `cache-${build}`);

/** Main-thread CPU ms of one child's timed parses. */
function run(build: 'A' | 'B', variant: object, parses = 20): number {
  const child = spawnSync(process.execPath, ['--import', 'tsx', 'bench/treeSitterChild.ts', JSON.stringify(variant), String(parses)], {
    cwd: checkouts[build],
    env: { ...process.env, WASM_TRACEMALLOC_CACHE: cacheOf(build) },
    encoding: 'utf8',
  });
  if (child.status !== 0) throw new Error(`${checkouts[build]}: the child failed (${child.status}):\n${child.stderr.slice(-2000)}`);
  const result = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { thread: number | null; cpu: number };
  return result.thread ?? result.cpu;
}

/** ms[round][label]: labels "U", and "<variant>/A", "<variant>/B". */
const ms: Array<Record<string, number>> = [];
try {
  for (const build of ['A', 'B'] as const) for (const v of chosen) run(build, VARIANTS[v]!, 0);
  for (let r = 0; r < rounds; r++) {
    const order = ['U', ...chosen.flatMap((v) => [`${v}/A`, `${v}/B`])];
    if (r % 2 === 1) order.reverse();
    const round: Record<string, number> = {};
    for (const label of order) {
      const [v, build] = label.split('/') as [string, 'A' | 'B' | undefined];
      round[label] = build === undefined ? run('B', { traced: false }) : run(build, VARIANTS[v]!);
    }
    ms.push(round);
    process.stderr.write(`round ${r + 1}/${rounds}: uninstrumented ${round['U']!.toFixed(0)} ms\n`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

const uninstrumented = ms.map((r) => r['U']!);
console.log(`## tree-sitter, ${checkouts.B} (B) against ${checkouts.A} (A): ${rounds} rounds, main-thread CPU\n`);
console.log(`uninstrumented: median ${median(uninstrumented).toFixed(0)} ms, range ${Math.min(...uninstrumented).toFixed(0)}–${Math.max(...uninstrumented).toFixed(0)} ms\n`);
console.log('| variant | B/A | B faster in | A / uninstrumented | B / uninstrumented |');
console.log('|---|---:|---:|---:|---:|');
for (const v of chosen) {
  const ratios = ms.map((r) => r[`${v}/B`]! / r[`${v}/A`]!);
  const toU = (build: 'A' | 'B'): string => median(ms.map((r) => r[`${v}/${build}`]! / r['U']!)).toFixed(3);
  console.log(`| ${v} | ${median(ratios).toFixed(3)} | ${ratios.filter((x) => x < 1).length} of ${rounds} | ${toU('A')} | ${toU('B')} |`);
}
