// Bounded fuzzing of the instrumenter: Binaryen's own fuzzer (`wasm-opt -ttf`, translate-to-fuzz)
// turns random bytes (fixed seed) into valid modules using every expression kind of the features
// we accept: control flow, SIMD, exceptions, tail calls, multivalue, reference types (each module
// gets a `malloc` that every function calls, see test/support/fuzzModules.ts). With
// reference types Binaryen emits bottom types (noexternref) that Node 20 only takes with Wasm GC:
// then Binaryen's validator (run inside instrument) is the judge; otherwise V8's too. A function
// The instrumented module must still validate, and the instrumenter must have found call sites. Longer runs:
//   FUZZ_RUNS=500 FUZZ_SEED=7 node scripts/run-tests.mjs test/instrument/fuzz
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { instrumentInWorker } from '../../src/instrument/worker.js';
import { addMalloc } from '../support/fuzzModules.js';
import { randomBytes } from '../support/random.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 12);
const SEED = Number(process.env.FUZZ_SEED ?? 20261127);
const WASM_OPT = 'node_modules/.bin/wasm-opt';
const FEATURES = [
  '--enable-bulk-memory', '--enable-sign-ext', '--enable-nontrapping-float-to-int', '--enable-mutable-globals',
  '--enable-simd', '--enable-multivalue', '--enable-reference-types', '--enable-exception-handling', '--enable-tail-call',
];


/** How each fuzz module is given its malloc (see test/support/fuzzModules.ts). */
const PREPARE = {
  mallocReturns: 1024,
  exportMemory: false,
  features: ['MutableGlobals', 'NontrappingFPToInt', 'SIMD128', 'BulkMemory', 'BulkMemoryOpt', 'CallIndirectOverlong', 'SignExt', 'ExceptionHandling', 'TailCall', 'ReferenceTypes', 'Multivalue'],
};

const dir = mkdtempSync(join(tmpdir(), 'wtm-fuzz-'));

test(`instrumenting ${RUNS} random valid modules (wasm-opt -ttf, seed ${SEED}) gives valid modules`, async (t) => {
  let instrumented = 0;
  let sites = 0;
  for (let run = 0; run < RUNS; run++) {
    const input = join(dir, `r${run}.bin`);
    const output = join(dir, `r${run}.wasm`);
    writeFileSync(input, randomBytes(SEED + run * 7919, 3000 + ((SEED + run) % 5) * 1500));
    const gen = spawnSync(process.execPath, [WASM_OPT, input, '-ttf', ...FEATURES, '-o', output], { encoding: 'utf8' });
    assert.equal(gen.status, 0, `wasm-opt -ttf failed: ${gen.stderr}`);
    const wasm = new Uint8Array(readFileSync(output));
    const engineAccepts = WebAssembly.validate(wasm);
    const withMalloc = await addMalloc(wasm, PREPARE);
    if (withMalloc === null) continue;
    const result = await instrumentInWorker(withMalloc);
    if (engineAccepts) {
      assert.ok(WebAssembly.validate(result.bytes as Uint8Array<ArrayBuffer>), `run ${run}: V8 rejects the instrumented module (input kept at ${output})`);
    }
    instrumented++;
    sites += result.report.sites;
  }
  t.diagnostic(`${instrumented} of ${RUNS} modules instrumented; ${sites} call sites rewritten`);
  assert.ok(instrumented >= RUNS / 2, `only ${instrumented} of ${RUNS} fuzz modules could be prepared and instrumented: the fuzz test is not testing much`);
  assert.ok(sites > 0, 'no call site was rewritten in any fuzz module');
});
