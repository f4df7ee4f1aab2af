// Node's WASI crash (DESIGN.md, nodejs/node#46777): node:wasi imports run as V8 fast API calls,
// and a GC inside one (uvwasi allocating in fd_write after the memory grew) aborts the process
// (exit 134), segfaults (139), hangs or throws odd TypeErrors. wasiRunner turns fast API calls off
// before any WASI object exists. This test keeps that fixed: it instantiates and runs traced WASI
// programs 50 times in this one process, one after the other and several at once (asynchronous
// instantiation interleaved), and fails on any non-zero exit or wrong figure. Bounded: 30 s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WASI } from 'node:wasi';
import { runWasi } from '../../src/host/wasiRunner.js';
import { loadExpected, type ExpectedRun } from '../support/expected.js';

/**
 * DESIGN.md's reproducer as a traceable program: grow memory by 32 MiB, then 100 fd_write. Without
 * the fix, plain node:wasi crashes on it (SIGSEGV) within 30 runs every time on Node 20. Built
 * with binaryen.parseText from this text (bump malloc, free a no-op):
 *
 *   (memory (export "memory") 1) (global $heap (mut i32) (i32.const 4096)) (data (i32.const 16) "x\n")
 *   (func $malloc (export "malloc") (param $n i32) (result i32) … bump by (n + 15) & -16 …)
 *   (func $free (export "free") (param i32))
 *   (func $_start (export "_start") (local $i i32) (local $iov i32)
 *     (drop (memory.grow (i32.const 512)))
 *     (local.set $iov (call $malloc (i32.const 16)))  ;; iov = { buf 16, len 2 }, nwritten at iov + 8
 *     (loop $l (drop (call $fd_write (i32.const 1) (local.get $iov) (i32.const 1) (i32.add (local.get $iov) (i32.const 8))))
 *       … 100 times)
 *     (call $free (local.get $iov)))
 */
const GROW_THEN_WRITE = Uint8Array.from(Buffer.from(
  '0061736d0100000001150460047f7f7f7f017f60017f017f60017f0060000002230116776173695f736e617073686f74' +
  '5f70726576696577310866645f7772697465000003040301020305030100010607017f014180200b072304066d656d6f' +
  '72790200066d616c6c6f63000104667265650002065f737461727400030a5f031701017f2300210123002000410f6a41' +
  '70716a240020010b02000b4201027f41800440001a411010012101200141103602002001410236020403404101200141' +
  '01200141086a10001a200041016a2100200041e400490d000b200110020b0b08010041100b02780a',
  'hex',
));
const growThenWrite = {
  bytes: GROW_THEN_WRITE,
  run: { args: ['grow'], env: {}, stdout: 'x\n'.repeat(100), program: { allocations: 1, frees: 1, liveBlocks: 0, liveBytes: 0, sites: [] } } as unknown as ExpectedRun,
};

const scratch = mkdtempSync(join(tmpdir(), 'wtm-stress-'));
const basic = { bytes: readFileSync('fixtures/wasi/alloc_basic.wasm'), run: loadExpected('fixtures/src/c/alloc_basic.expected.json').runs[0]! as ExpectedRun };
const churnExpected = loadExpected('fixtures/src/c/churn.expected.json');
const churnRun = churnExpected.runs.find((r) => r.args?.length === 2)! as ExpectedRun;
const churn = { bytes: readFileSync('fixtures/wasi/churn.wasm'), run: churnRun };

async function once(program: { bytes: Uint8Array; run: ExpectedRun }, i: number): Promise<void> {
  const path = join(scratch, `run-${i}.out`);
  const fd = openSync(path, 'w');
  let result;
  try {
    result = await runWasi(program.bytes, { args: program.run.args, env: program.run.env, stdout: fd, nframe: 1 + (i % 4) });
  } finally {
    closeSync(fd);
  }
  assert.equal(result.trap, null, `run ${i} trapped`);
  assert.equal(result.exitCode, 0, `run ${i} exited with ${result.exitCode}`);
  assert.equal(readFileSync(path, 'utf8'), program.run.stdout, `run ${i}: stdout`);
  assert.equal(result.traced.tracemalloc.getTracebackLimit(), 1 + (i % 4));
  const stats = result.snapshot.statistics('filename');
  assert.equal(stats.reduce((n, s) => n + s.size, 0), result.traced.tracemalloc.getTracedMemory()[0], `run ${i}: snapshot adds up`);
}

test('50 traced WASI runs in one process, sequential and concurrent: every one exits 0 with the same output', { timeout: 30_000 }, async () => {
  await once(basic, 0); // the first one may instrument (cache miss); the rest read the cache
  const started = Date.now();
  for (let i = 1; i < 40; i++) await once(i % 5 === 0 ? churn : i % 2 === 0 ? growThenWrite : basic, i);
  // Asynchronous instantiations interleaved: ten programs in flight at once.
  await Promise.all(Array.from({ length: 10 }, (_, k) => 40 + k).map((i) => once([churn, basic, growThenWrite][i % 3]!, i)));
  assert.ok(Date.now() - started < 25_000, `49 cached runs took ${Date.now() - started} ms`);
});

test('the reproducer untraced, 30 times under plain node:wasi, after wasiRunner set the flag: every one exits 0', { timeout: 30_000 }, async () => {
  // Without --no-turbo-fast-api-calls this crashes the process (SIGSEGV) on Node 20 every time;
  // importing wasiRunner must have set it before any WASI object exists in this process.
  const fd = openSync(join(scratch, 'plain.out'), 'w');
  try {
    for (let i = 0; i < 30; i++) {
      const wasi = new WASI({ version: 'preview1', args: ['grow'], env: {}, returnOnExit: true, stdout: fd });
      const { instance } = await WebAssembly.instantiate(GROW_THEN_WRITE, wasi.getImportObject() as WebAssembly.Imports);
      assert.equal(wasi.start(instance), 0, `plain run ${i}`);
    }
  } finally {
    closeSync(fd);
  }
  assert.equal(readFileSync(join(scratch, 'plain.out'), 'utf8'), 'x\n'.repeat(3000));
});
