// Fuzzing the instrumenter with the original module as the oracle (docs/reliability.md):
// random valid modules from Binaryen's `wasm-opt -ttf` (fixed seed), given an exported malloc
// that every function calls, are instrumented; the original and the instrumented module then
// run side by side with the same "fuzzing-support" imports (every call logged), every exported
// function called once with no arguments, in export order. The logs, the results, the traps,
// the exported globals and the linear memory at the end (exported for the test; all of it but
// the page that holds the shadow-stack block) must be identical.
//
// The instrumented module runs as it would be traced: `tracemalloc` imports from a real
// TraceTable, `__tracemalloc_init` first, tracing on (16 frames). Its shadow-stack block comes
// from the added malloc, which returns 0xF0000 (983,040): in the last 64 KiB of the 16 initial
// pages of a -ttf module, away from the 16 low bytes the fuzzer's loads and stores are masked
// to (Binaryen's USABLE_MEMORY), so that the tracer's stores do not change what the module reads.
// Longer runs: RELIABILITY_FUZZ_RUNS=200 RELIABILITY_FUZZ_SEED=3 node scripts/run-tests.mjs test/reliability/fuzzOracle
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { instrumentInWorker } from '../../src/instrument/worker.js';
import { TraceTable } from '../../src/host/traceTable.js';
import { rng, scratch } from './helpers.js';
import { addMalloc } from '../support/fuzzModules.js';

const RUNS = Number(process.env.RELIABILITY_FUZZ_RUNS ?? 10);
const SEED = Number(process.env.RELIABILITY_FUZZ_SEED ?? 20261127);
const WASM_OPT = 'node_modules/.bin/wasm-opt';
const SLOT_REGION = 0xf0000;
/** Features V8 in Node 20 runs without flags (no bottom reference types, no legacy EH). */
const FEATURES = ['--enable-bulk-memory', '--enable-sign-ext', '--enable-nontrapping-float-to-int', '--enable-mutable-globals', '--enable-multivalue', '--enable-simd'];

/** How each fuzz module is given its malloc (see test/support/fuzzModules.ts). */
const PREPARE = {
  mallocReturns: SLOT_REGION,
  exportMemory: true,
  features: ['MutableGlobals', 'NontrappingFPToInt', 'SIMD128', 'BulkMemory', 'BulkMemoryOpt', 'SignExt', 'Multivalue'],
};

function show(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (Array.isArray(value)) return `[${value.map(show).join(',')}]`;
  return String(value);
}

/** Runs every exported function of `module` (names from the original, in its order) and records everything observable. */
async function observe(module: WebAssembly.Module, exportNames: string[], traced: boolean): Promise<string[]> {
  const log: string[] = [];
  let exportsOf: WebAssembly.Exports = {};
  const callExport = (index: number): void => {
    const f = exportsOf[exportNames[index] ?? ''];
    if (typeof f === 'function') (f as () => unknown)();
  };
  const support = new Proxy({}, {
    get: (_t, name: string) => (...args: unknown[]) => {
      log.push(`${name}(${args.map(show).join(',')})`);
      if (name === 'call-export') callExport(Number(args[0]));
      if (name === 'call-export-catch') {
        try {
          callExport(Number(args[0]));
          return 0;
        } catch {
          return 1;
        }
      }
      return undefined;
    },
  });
  const imports: WebAssembly.Imports = { 'fuzzing-support': support as WebAssembly.ModuleImports };
  let table: TraceTable | null = null;
  if (traced) {
    table = await TraceTable.create();
    imports.tracemalloc = table.imports as unknown as WebAssembly.ModuleImports;
  }
  let instance: WebAssembly.Instance;
  try {
    instance = await WebAssembly.instantiate(module, imports);
  } catch (e) {
    return [...log, `instantiate: ${(e as Error).constructor.name}: ${(e as Error).message}`];
  }
  exportsOf = instance.exports;
  if (traced) {
    assert.equal((instance.exports.__tracemalloc_init as () => number)(), 1, '__tracemalloc_init failed');
    table!.start(16);
  }
  for (const name of exportNames) {
    const value = instance.exports[name];
    if (typeof value === 'function') {
      try {
        log.push(`${name} → ${show((value as () => unknown)())}`);
      } catch (e) {
        log.push(`${name} threw ${(e as Error).constructor.name}: ${(e as Error).message}`);
      }
    } else if (value instanceof WebAssembly.Global) {
      try {
        log.push(`${name} = ${show(value.value)}`);
      } catch (e) {
        log.push(`${name} unreadable: ${(e as Error).message}`);
      }
    }
  }
  const memory = instance.exports.fuzz_memory;
  if (memory instanceof WebAssembly.Memory) {
    // All of it but the last 64 KiB of the 16 initial pages, where the shadow-stack block is.
    const bytes = new Uint8Array(memory.buffer);
    const hash = createHash('sha256').update(bytes.subarray(0, SLOT_REGION)).update(bytes.subarray(SLOT_REGION + 0x10000)).digest('hex');
    log.push(`memory: ${bytes.length} bytes, sha256 ${hash}`);
  }
  return log;
}

const dir = scratch('fuzz-oracle');

test(`${RUNS} random modules (wasm-opt -ttf, seed ${SEED}): the instrumented module behaves exactly as the original`, async (t) => {
  const next = rng(SEED);
  let compared = 0;
  let calls = 0;
  for (let run = 0; run < RUNS; run++) {
    const random = new Uint8Array(2000 + (next() % 4000)).map(() => next() & 0xff);
    const input = join(dir, `r${run}.bin`);
    const output = join(dir, `r${run}.wasm`);
    writeFileSync(input, random);
    const gen = spawnSync(process.execPath, [WASM_OPT, input, '-ttf', ...FEATURES, '-o', output], { encoding: 'utf8' });
    assert.equal(gen.status, 0, `wasm-opt -ttf failed: ${gen.stderr}`);
    const prepared = await addMalloc(new Uint8Array(readFileSync(output)), PREPARE);
    if (prepared === null || !WebAssembly.validate(prepared as Uint8Array<ArrayBuffer>)) continue;
    writeFileSync(join(dir, `r${run}.malloc.wasm`), prepared);
    const original = new WebAssembly.Module(prepared as Uint8Array<ArrayBuffer>);
    if (WebAssembly.Module.imports(original).some((i) => i.module !== 'fuzzing-support')) continue;
    const names = WebAssembly.Module.exports(original).map((e) => e.name);
    const result = await instrumentInWorker(prepared);
    writeFileSync(join(dir, `r${run}.traced.wasm`), result.bytes);
    const instrumented = new WebAssembly.Module(result.bytes as Uint8Array<ArrayBuffer>);
    const expected = await observe(original, names, false);
    const actual = await observe(instrumented, names, true);
    assert.deepEqual(actual, expected, `run ${run}: the instrumented module behaved differently (modules kept in ${dir}: r${run}.malloc.wasm, r${run}.traced.wasm)`);
    compared++;
    calls += expected.length;
  }
  t.diagnostic(`${compared} of ${RUNS} modules compared, ${calls} observations each side`);
  assert.ok(compared >= RUNS / 2, `only ${compared} of ${RUNS} fuzz modules could be compared`);
});
