// Hostile input modules to `run` and `instrument` (docs/reliability.md): each is refused with
// one line that names the problem, exit code 2, no stack trace, nothing written.
//
// The CLI is run in a child process for one representative of every kind of bad input; the
// bulk cases (a cut at every 997th byte, random bit flips) go through instrumentInWorker, the
// function both commands call, in this process (a child process per case would take minutes):
// there the answer must be an error of a class the CLI prints as one line (InstrumentError,
// AllocatorNotFoundError) with a one-line message, or a module that validates.
// More flips: RELIABILITY_FLIPS=2000 RELIABILITY_SEED=7 node scripts/run-tests.mjs test/reliability/inputs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { instrumentInWorker } from '../../src/instrument/worker.js';
import { InstrumentError } from '../../src/instrument/errors.js';
import { AllocatorNotFoundError } from '../../src/instrument/allocators.js';
import { ALLOC_BASIC, WASM_AS, assertOneLineError, cli, flipBits, readBytes, rng, scratch } from './helpers.js';

const FLIPS = Number(process.env.RELIABILITY_FLIPS ?? 60);
const SEED = Number(process.env.RELIABILITY_SEED ?? 20261127);
const dir = scratch('inputs');
const original = readBytes(ALLOC_BASIC);

function file(name: string, bytes: Uint8Array | string): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** A module from WebAssembly text, by Binaryen's wasm-as (all features on). */
function wat(name: string, text: string): string {
  const source = file(`${name}.wat`, text);
  const out = join(dir, `${name}.wasm`);
  const r = spawnSync(process.execPath, [WASM_AS, '--all-features', source, '-o', out], { encoding: 'utf8' });
  assert.equal(r.status, 0, `wasm-as ${name}: ${r.stderr}`);
  return out;
}

const ALLOCATOR = `
  (func $malloc (export "malloc") (param $n PTR) (result PTR) (PTR.const 1024))
  (func $free (export "free") (param $p PTR))
  (func (export "_start") (drop (call $malloc (PTR.const 8))))`;
const i32 = (s: string): string => s.replaceAll('PTR', 'i32');

/** Each kind of bad module, and what the message must say, for both commands. */
const CASES: { name: string; make: () => string; message: RegExp; todo?: string }[] = [
  { name: 'a text file', make: () => file('text.wasm', 'hello, world\n'), message: /not a WebAssembly module: the file does not start with the bytes "\\0asm"/ },
  { name: 'an empty file', make: () => file('empty.wasm', new Uint8Array(0)), message: /not a WebAssembly module/ },
  { name: 'a PNG header', make: () => file('png.wasm', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52])), message: /not a WebAssembly module/ },
  {
    name: 'the magic alone (4 bytes)',
    make: () => file('magic.wasm', new Uint8Array([0, 0x61, 0x73, 0x6d])),
    message: /truncated|too short|no version|ends/i,
  },
  { name: 'version 2 of the binary format', make: () => file('v2.wasm', new Uint8Array([0, 0x61, 0x73, 0x6d, 2, 0, 0, 0])), message: /version|not (a )?(valid )?WebAssembly/ },
  { name: 'a component (layer 1)', make: () => file('component.wasm', new Uint8Array([0, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00])), message: /this is a WebAssembly component, not a core module/ },
  { name: 'a module cut at byte 5000', make: () => file('cut5000.wasm', original.subarray(0, 5000)), message: /not valid WebAssembly \(truncated or corrupt\?\)/ },
  { name: 'a memory64 module', make: () => wat('memory64', `(module (memory i64 1) ${ALLOCATOR.replaceAll('PTR', 'i64')})`), message: /memory64 modules are not supported/ },
  {
    name: 'a module with a shared memory (threads)',
    make: () => wat('shared', `(module (memory 1 1 shared) ${i32(ALLOCATOR)})`),
    message: /shared memory|threads/i,
  },
  {
    name: 'a module with two memories (multi-memory)',
    make: () => wat('multimemory', `(module (memory $a 1) (memory $b 1) ${i32(ALLOCATOR)})`),
    message: /memories|multi-memory/i,
  },
  { name: 'a module without memory', make: () => wat('nomemory', `(module ${i32(ALLOCATOR)})`), message: /the module has no linear memory, so it has no allocator to trace/ },
  { name: 'a module without allocator', make: () => wat('noalloc', '(module (memory (export "memory") 1) (func (export "_start")))'), message: /no allocator found: the module has no function named, exported or imported as malloc/ },
];

for (const c of CASES) {
  test(`instrument: ${c.name} is refused with one line naming the file and the problem`, c.todo ? { todo: c.todo } : {}, () => {
    const out = join(dir, `${c.name.replaceAll(' ', '_')}.out.wasm`);
    const input = c.make();
    const r = cli(['instrument', input, '-o', out]);
    assertOneLineError(r, c.message, `instrument ${c.name}`);
    assert.ok(r.stderr.startsWith(`wasm-tracemalloc: error: ${input}: `), `the line does not start with the file: ${r.stderr}`);
    assert.equal(existsSync(out), false, 'an output was written');
  });
  test(`run: ${c.name} is refused with one line naming the file and the problem`, c.todo ? { todo: c.todo } : {}, () => {
    const input = c.make();
    const r = cli(['run', input]);
    assertOneLineError(r, c.message, `run ${c.name}`);
    assert.ok(r.stderr.startsWith(`wasm-tracemalloc: error: ${input}: `), `the line does not start with the file: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /From JavaScript|original: <bytes>/, 'a hint for library callers on the command line');
  });
}

test('instrument: an already instrumented module is refused with one line', () => {
  const traced = join(dir, 'traced.wasm');
  assert.equal(cli(['instrument', ALLOC_BASIC, '-o', traced]).code, 0);
  assertOneLineError(cli(['instrument', traced, '-o', join(dir, 'twice.wasm')]), /already instrumented by wasm-tracemalloc .*instrument the original instead/, 'instrument twice');
});

test('run: an already instrumented module gets one line, not a stack trace', () => {
  const traced = join(dir, 'traced-run.wasm');
  assert.equal(cli(['instrument', ALLOC_BASIC, '-o', traced]).code, 0);
  assertOneLineError(cli(['run', traced]), /traced-run\.wasm is already instrumented by wasm-tracemalloc: run the original module/, 'run an instrumented module');
});

/** What instrumentInWorker answers: null when it instruments (the result must validate), else the error. */
async function instrumentAnswer(bytes: Uint8Array): Promise<Error | null> {
  try {
    const result = await instrumentInWorker(bytes);
    assert.ok(WebAssembly.validate(result.bytes as Uint8Array<ArrayBuffer>), 'the instrumented module does not validate');
    return null;
  } catch (e) {
    return e as Error;
  }
}

function assertUserError(e: Error, what: string): void {
  assert.ok(e instanceof InstrumentError || e instanceof AllocatorNotFoundError, `${what}: ${e.name}: ${e.message} (the CLI would print a stack trace)`);
  assert.doesNotMatch(e.message, /\n/, `${what}: a message of several lines`);
}

test('instrument: alloc_basic.wasm cut at every 997th byte is refused as truncated', async () => {
  let cases = 0;
  for (let cut = 0; cut < original.length; cut += 997) {
    const e = await instrumentAnswer(original.subarray(0, cut));
    assert.ok(e !== null, `cut at ${cut}: instrumented`);
    assertUserError(e, `cut at ${cut}`);
    assert.match(e.message, cut < 4 ? /not a WebAssembly module/ : /not (a )?(valid )?WebAssembly|truncated|unexpected end/i, `cut at ${cut}`);
    cases++;
  }
  assert.ok(cases > 150);
});

test(`instrument: ${FLIPS} copies of alloc_basic.wasm with 1-8 random bits flipped (seed ${SEED}) are instrumented or refused, never a crash`, async (t) => {
  const next = rng(SEED);
  let refused = 0;
  for (let i = 0; i < FLIPS; i++) {
    const bytes = flipBits(original, next, 1 + (next() % 8));
    const e = await instrumentAnswer(bytes);
    if (e === null) continue;
    refused++;
    assertUserError(e, `flip case ${i}`);
  }
  t.diagnostic(`${refused} of ${FLIPS} refused, the rest instrumented (a flip in a custom section or a constant leaves a valid module)`);
});

test('command-line mistakes (bad option value, missing argument, unknown command) get the same one line and exit code 2', () => {
  assertOneLineError(cli(['run', '-n', '0', ALLOC_BASIC]), /nframe/, 'run -n 0');
  assertOneLineError(cli(['stats']), /snapshot/, 'stats without a file');
  assertOneLineError(cli(['frobnicate']), /frobnicate/, 'an unknown command');
});
