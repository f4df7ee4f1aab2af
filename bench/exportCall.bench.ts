// What trap recovery costs a call from JS into an export (src/host/trapRecovery.ts): the
// wrapper reads the shadow stack's state before the call and restores it only if the call throws.
//
//   npx tsx bench/exportCall.bench.ts [--quick]
//
// A module built here with binaryen.js: a bump malloc, free, and exports of 0, 2 and 5 i32
// parameters that do not allocate (so the figure is the call's alone). Per round, interleaved:
//   plain      the original module's export
//   bare       the instrumented module's export as the engine made it
//   recovering the same export, wrapped, as instantiateTraced hands it out
// Prints ns a call (median of the rounds) and the ratio to plain.
import binaryen from 'binaryen';
import { instantiateTraced } from '../src/host/instantiate.js';
import { TraceTable } from '../src/host/traceTable.js';

const QUICK = process.argv.includes('--quick');
const ROUNDS = QUICK ? 5 : 15;
const CALLS = QUICK ? 2_000_000 : 10_000_000;

function buildModule(): Uint8Array {
  const m = new binaryen.Module();
  const i32 = binaryen.i32;
  m.setMemory(1, -1, 'memory');
  m.addGlobal('top', i32, true, m.i32.const(1024));
  m.addFunction('malloc', i32, i32, [i32], m.block(null, [
    m.local.set(1, m.global.get('top', i32)),
    m.global.set('top', m.i32.add(m.local.get(1, i32), m.i32.and(m.i32.add(m.local.get(0, i32), m.i32.const(7)), m.i32.const(-8)))),
    m.local.get(1, i32),
  ], i32));
  m.addFunction('free', i32, binaryen.none, [], m.nop());
  m.addFunction('zero', binaryen.none, i32, [], m.global.get('top', i32));
  m.addFunction('two', binaryen.createType([i32, i32]), i32, [], m.i32.add(m.local.get(0, i32), m.local.get(1, i32)));
  const five = [0, 1, 2, 3, 4].map((i) => m.local.get(i, i32)).reduce((a, b) => m.i32.add(a, b));
  m.addFunction('five', binaryen.createType([i32, i32, i32, i32, i32]), i32, [], five);
  for (const f of ['malloc', 'free', 'zero', 'two', 'five']) m.addFunctionExport(f, f);
  if (!m.validate()) throw new Error('bench module does not validate');
  const bytes = m.emitBinary();
  m.dispose();
  return bytes;
}

type Exports = { zero(): number; two(a: number, b: number): number; five(a: number, b: number, c: number, d: number, e: number): number };

const CASES: Record<string, (x: Exports, n: number) => number> = {
  '0 params': (x, n) => { let s = 0; for (let i = 0; i < n; i++) s += x.zero(); return s; },
  '2 params': (x, n) => { let s = 0; for (let i = 0; i < n; i++) s += x.two(i, 1); return s; },
  '5 params': (x, n) => { let s = 0; for (let i = 0; i < n; i++) s += x.five(i, 1, 2, 3, 4); return s; },
};

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

async function main(): Promise<void> {
  const bytes = buildModule();
  const plain = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>)).exports as unknown as Exports;
  const traced = await instantiateTraced(bytes, {}, { nframe: 1, cache: false });
  const recovering = traced.instance.exports as unknown as Exports;
  // The engine's instance of the instrumented module (with a table of its own), as a program
  // that bypassed the wrapper would call it.
  const table = await TraceTable.create();
  const bare = (await WebAssembly.instantiate(traced.module, { tracemalloc: table.imports as unknown as WebAssembly.ModuleImports })).exports as unknown as Exports;
  const variants: Record<string, Exports> = { plain, bare, recovering };

  console.log(`export calls from JS, ${CALLS.toLocaleString('en')} calls a measurement, median of ${ROUNDS} rounds`);
  console.log('case       plain ns  bare ns  recovering ns  recovering/plain');
  for (const [name, run] of Object.entries(CASES)) {
    const times: Record<string, number[]> = { plain: [], bare: [], recovering: [] };
    for (const x of Object.values(variants)) run(x, CALLS / 10); // warm up: every variant optimized
    for (let r = 0; r < ROUNDS; r++) {
      for (const [v, x] of Object.entries(variants)) {
        const t0 = performance.now();
        run(x, CALLS);
        times[v]!.push(((performance.now() - t0) * 1e6) / CALLS);
      }
    }
    const [p, b, w] = ['plain', 'bare', 'recovering'].map((v) => median(times[v]!)) as [number, number, number];
    console.log(`${name.padEnd(10)} ${p.toFixed(2).padStart(8)} ${b.toFixed(2).padStart(8)} ${w.toFixed(2).padStart(14)} ${(w / p).toFixed(2).padStart(17)}`);
  }
}

await main();
