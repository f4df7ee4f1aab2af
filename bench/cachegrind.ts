/**
 * tree-sitter's tracing cost in simulated events, not seconds: bench/treeSitterChild.ts run
 * under valgrind's cachegrind, which counts instructions, cache misses and branch mispredictions
 * of a model machine. The counts do not depend on the machine's load or speed mode, so two
 * builds that differ by 1% in time (which this shared VM cannot see in a run of 15 rounds) can be
 * told apart by their counts. They are a model: the simulated caches are set to this machine's
 * L1 (32 KiB, 8-way) and its per-core L2 (1 MiB, 16-way), and cachegrind's branch predictor
 * is simpler than the CPU's.
 *
 *   npx tsx bench/cachegrind.ts [--parses N] [--variants untraced,off,one,sixteen]
 *
 * Each variant runs twice in fresh processes, with 0 and with N timed parses (after the child's
 * ten warm-up parses); the difference is N parses' work. `node --no-liftoff` compiles the Wasm
 * with TurboFan from the start: under valgrind, tier-up would otherwise come at different times
 * in different runs. Only events in JIT code (cachegrind's `???:???`: the Wasm and optimized JS)
 * are counted, because the JS builtins that a slower tier-up of the glue's JS leaves in use
 * differ from run to run. Takes ~1 minute a run. Figures: bench/RESULTS.md, "Session 10".
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const at = args.indexOf(name);
  return at === -1 ? fallback : args[at + 1]!;
};
const parses = Number(option('--parses', '10'));
const VARIANTS: Record<string, object> = {
  untraced: {},
  off: { traced: true, nframe: 0 },
  one: { traced: true, nframe: 1 },
  sixteen: { traced: true, nframe: 16 },
};
const chosen = option('--variants', 'untraced,off,one').split(',');
for (const v of chosen) if (!(v in VARIANTS)) throw new Error(`unknown variant "${v}": one of ${Object.keys(VARIANTS).join(', ')}`);
if (spawnSync('valgrind', ['--version']).error) throw new Error('valgrind is not installed: apt-get install valgrind');

/** cachegrind's event names, in the column order of cg_annotate. */
const EVENTS = ['Ir', 'I1mr', 'ILmr', 'Dr', 'D1mr', 'DLmr', 'Dw', 'D1mw', 'DLmw', 'Bc', 'Bcm', 'Bi', 'Bim'] as const;
type Counts = Record<(typeof EVENTS)[number], number>;

const scratch = mkdtempSync(path.join(tmpdir(), 'wtm-cachegrind-'));

/** The events of JIT code in one run of the child with `timed` parses, and the traces it added. */
function run(variant: object, timed: number): { counts: Counts; allocations: number } {
  const out = path.join(scratch, `cg.${process.pid}.${Date.now()}.out`);
  const child = spawnSync('valgrind', [
    '--tool=cachegrind', '--cache-sim=yes', '--branch-sim=yes', '--smc-check=all-non-file',
    '--I1=32768,8,64', '--D1=32768,8,64', '--LL=1048576,16,64', `--cachegrind-out-file=${out}`,
    process.execPath, '--no-liftoff', '--import', 'tsx', 'bench/treeSitterChild.ts', JSON.stringify(variant), String(timed),
  ], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (child.status !== 0) throw new Error(`the child under valgrind failed (${child.status}):\n${child.stderr.slice(-2000)}`);
  const annotated = execFileSync('cg_annotate', [out], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const line = annotated.split('\n').find((l) => l.trim().endsWith('???:???'));
  if (line === undefined) throw new Error('cg_annotate printed no line for JIT code (???:???)');
  const numbers = [...line.matchAll(/([\d,]+) \(/g)].map((m) => Number(m[1]!.replace(/,/g, '')));
  const counts = Object.fromEntries(EVENTS.map((e, i) => [e, numbers[i] ?? 0])) as Counts;
  const result = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { allocations: number };
  rmSync(out);
  return { counts, allocations: result.allocations };
}

// The first traced run of a fresh module cache instruments tree-sitter in the process, and that
// Binaryen work is JIT code too: run each variant once outside valgrind, so that both counted
// runs read the instrumented modules from the cache.
for (const name of chosen) {
  const warm = spawnSync(process.execPath, ['--import', 'tsx', 'bench/treeSitterChild.ts', JSON.stringify(VARIANTS[name]), '0'], { encoding: 'utf8' });
  if (warm.status !== 0) throw new Error(`the child failed (${warm.status}):\n${warm.stderr.slice(-2000)}`);
}

const perParse = new Map<string, Counts>();
let allocationsPerParse = 0;
try {
  for (const name of chosen) {
    const base = run(VARIANTS[name]!, 0);
    const timed = run(VARIANTS[name]!, parses);
    perParse.set(name, Object.fromEntries(EVENTS.map((e) => [e, (timed.counts[e] - base.counts[e]) / parses])) as Counts);
    if (timed.allocations > 0) allocationsPerParse = timed.allocations / parses;
    process.stderr.write(`cachegrind: ${name} done\n`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

const SHOWN = ['Ir', 'I1mr', 'D1mr', 'DLmr', 'Bcm', 'Bim'] as const;
const LABEL: Record<(typeof SHOWN)[number], string> = {
  Ir: 'instructions', I1mr: 'L1 instruction misses', D1mr: 'L1 data read misses', DLmr: 'L2 data read misses',
  Bcm: 'conditional mispredictions', Bim: 'indirect mispredictions',
};
console.log(`## tree-sitter under cachegrind: events in JIT code per parse (millions), ${parses} parses\n`);
console.log(`| event | ${chosen.join(' | ')} |`);
console.log(`|---|${chosen.map(() => '---:').join('|')}|`);
for (const e of SHOWN) console.log(`| ${LABEL[e]} | ${chosen.map((v) => (perParse.get(v)![e] / 1e6).toFixed(2)).join(' | ')} |`);
if (allocationsPerParse > 0 && perParse.has('off')) {
  console.log(`\nPer traced allocation (${Math.round(allocationsPerParse)} a parse; a free or realloc follows most), against "off" (instrumented, not tracing):\n`);
  const traced = chosen.filter((v) => v !== 'untraced' && v !== 'off');
  console.log(`| event | ${traced.join(' | ')} |`);
  console.log(`|---|${traced.map(() => '---:').join('|')}|`);
  for (const e of SHOWN) {
    console.log(`| ${LABEL[e]} | ${traced.map((v) => ((perParse.get(v)![e] - perParse.get('off')![e]) / allocationsPerParse).toFixed(2)).join(' | ')} |`);
  }
}
