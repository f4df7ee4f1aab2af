// Stripped Emscripten builds: realloc, calloc, posix_memalign and aligned_alloc found by their
// call-graph shape once malloc and free are known. The independent check is the -g build: the
// same libc with a name section, which names every function the shapes pick once it is stripped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { instrumentInWorker } from '../../src/instrument/worker.js';
import { customSection, readNameSection, readWasmModule } from '../../src/symbols/index.js';
import { withoutCustomSections } from '../support/wasmSections.js';

const namesOf = (wasm: Uint8Array): Map<number, string> => readNameSection(customSection(readWasmModule(wasm), 'name')!, []).functionNames;
const stripNames = (wasm: Uint8Array): Uint8Array => withoutCustomSections(wasm, (name) => name === 'name');
const byShape = (allocators: Array<{ shape: string; index: number }>): Record<string, number> =>
  Object.fromEntries(allocators.map((a) => [a.shape, a.index]));

test('-g build stripped of its names, malloc and free named: the shapes pick exactly dlrealloc, dlcalloc, dlposix_memalign, aligned_alloc', async () => {
  const g = readFileSync('fixtures/emscripten/alloc_basic.g.wasm');
  const names = namesOf(g);
  const stripped = stripNames(g);
  assert.equal(customSection(readWasmModule(stripped), 'name'), undefined);
  const result = await instrumentInWorker(stripped, {
    allocators: [{ function: 'malloc', shape: 'malloc' }, { function: 'free', shape: 'free' }],
  });
  const found = Object.fromEntries(result.report.allocators.map((a) => [a.shape, names.get(a.index)]));
  assert.deepEqual(found, {
    malloc: 'dlmalloc',
    free: 'dlfree',
    realloc: 'dlrealloc',
    calloc: 'dlcalloc',
    posix_memalign: 'dlposix_memalign',
    aligned_alloc: 'aligned_alloc',
  });
  assert.deepEqual(result.report.warnings, []);
});

test('-O2 (exports malloc/free only): realloc 27, calloc 30, posix_memalign 28, each with the evidence --explain prints', async () => {
  const result = await instrumentInWorker(readFileSync('fixtures/emscripten/alloc_basic.O2.wasm'));
  // 27, 30, 28: the indices the -O2 hook test names by hand (read off the call graph).
  assert.deepEqual(byShape(result.report.allocators), { malloc: 25, free: 26, realloc: 27, calloc: 30, posix_memalign: 28 });
  const reasons = Object.fromEntries(result.report.allocators.map((a) => [a.shape, a.reason]));
  assert.match(reasons.realloc!, /^its shape: \(ptr, size\) → ptr calling malloc \(function 25\) with size, free \(function 26\) with ptr, and copies from it with function \d+$/);
  assert.match(reasons.calloc!, /multiplying count by size, calling malloc \(function 25\) and zero-filling its block, never free/);
  assert.match(reasons.posix_memalign!, /storing the block at \*out, with EINVAL \(28\)/);
  assert.deepEqual(result.report.warnings, []);
});

test('-O3 (minified, malloc/free from the glue): the same three functions by shape', async () => {
  const glue = { source: readFileSync('fixtures/emscripten/alloc_basic.O3.js', 'utf8'), name: 'alloc_basic.O3.js' };
  const result = await instrumentInWorker(readFileSync('fixtures/emscripten/alloc_basic.O3.wasm'), { glue });
  const shapes = result.report.allocators.map((a) => a.shape).sort();
  assert.deepEqual(shapes, ['calloc', 'free', 'malloc', 'posix_memalign', 'realloc']);
  for (const a of result.report.allocators.filter((x) => !['malloc', 'free'].includes(x.shape))) assert.match(a.reason, /^its shape: /);
});

test('wasi-libc, Rust and Emscripten dlmalloc/emmalloc builds stripped of their names: the shapes pick what the name section calls realloc, calloc, posix_memalign, aligned_alloc', async () => {
  // wasi-libc's malloc/free only call dlmalloc/dlfree, which its realloc and calloc call directly.
  for (const [wasm, want] of [
    ['fixtures/wasi/alloc_basic.wasm', ['realloc', 'calloc', 'posix_memalign', 'aligned_alloc']],
    ['fixtures/wasi/alloc_basic.O0.wasm', ['realloc', 'calloc', 'posix_memalign', 'aligned_alloc']],
    // libc++abi's aligned operator new calls posix_memalign; nothing in it calls realloc or calloc.
    ['fixtures/wasi/containers.wasm', ['posix_memalign']],
    ['fixtures/rust/alloc_rust.wasm', ['realloc', 'calloc']],
    // Emscripten's two allocators (-O2 -g, standalone): dlmalloc (malloc is dlmalloc itself) and
    // emmalloc (malloc(n) is emmalloc_memalign(8, n), realloc(p, n) emmalloc_aligned_realloc(p, 8, n)).
    ['fixtures/emscripten/heap_phases.dlmalloc.wasm', ['realloc', 'calloc']],
    ['fixtures/emscripten/heap_phases.emmalloc.wasm', ['realloc', 'calloc']],
  ] as const) {
    const bytes = readFileSync(wasm);
    const names = namesOf(bytes);
    const index = (...candidates: string[]): number => [...names].find(([, n]) => n === candidates.find((c) => [...names.values()].includes(c)))![0];
    const result = await instrumentInWorker(stripNames(bytes), {
      allocators: [{ function: index('malloc', 'dlmalloc'), shape: 'malloc' }, { function: index('free', 'dlfree'), shape: 'free' }],
    });
    const inferred = result.report.allocators.filter((a) => a.reason.startsWith('its shape: '));
    // dlmalloc's entry points are named dl*, exported as malloc/free/realloc/calloc.
    assert.deepEqual(Object.fromEntries(inferred.map((a) => [a.shape, names.get(a.index)?.replace(/^dl/, '')])), Object.fromEntries(want.map((w) => [w, w])), wasm);
  }
});

test('a stripped module whose realloc cannot be found: a warning that says what is missed and how to name it', async () => {
  // churn.c calls only malloc and free (and main(argc, argv) makes wasi-libc calloc argv): no realloc is linked.
  const churn = readFileSync('fixtures/wasi/churn.wasm');
  const index = (name: string): number => [...namesOf(churn)].find(([, n]) => n === name)![0];
  const result = await instrumentInWorker(stripNames(churn), {
    allocators: [{ function: index('malloc'), shape: 'malloc' }, { function: index('free'), shape: 'free' }],
  });
  const names = namesOf(churn);
  assert.deepEqual(result.report.allocators.map((a) => `${a.shape}:${names.get(a.index)}`), ['malloc:malloc', 'free:free', 'calloc:calloc']);
  assert.equal(result.report.warnings.length, 1);
  assert.match(result.report.warnings[0]!, /^no realloc found \(the module names only malloc, free\): if the program calls realloc, blocks it grows or shrinks in place keep their old size in the trace; name it with --realloc N$/);
});

test('a module with a name section is left to its names: no shape guessing, no warning (containers.wasm has no realloc)', async () => {
  const result = await instrumentInWorker(readFileSync('fixtures/wasi/containers.wasm'));
  assert.ok(!result.report.allocators.some((a) => a.reason.startsWith('its shape')));
  assert.deepEqual(result.report.warnings, []);
});
