// A huge input module: 300,000 functions that allocate, one call chain 2,000 deep, ~2.6 MB,
// made by Binaryen's wasm-as from generated text. `instrument` must take it (Binaryen runs in a
// worker with a big stack), write a module that validates with a site for every call, and `run`
// must trace it like any other: the blocks the program keeps, at their known sites.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSnapshotSync } from '../../src/snapshot/file.js';
import { WASM_AS, cli, scratch } from './helpers.js';

const dir = scratch('huge-module');
const FUNCTIONS = 300_000;
const CHAIN = 2_000;

function build(): string {
  const parts: string[] = [
    '(module',
    '  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))',
    '  (memory (export "memory") 256)',
    '  (global $top (mut i32) (i32.const 65536))',
    '  (func $malloc (export "malloc") (param $n i32) (result i32) (local $p i32)',
    '    (local.set $p (global.get $top))',
    '    (global.set $top (i32.add (local.get $p) (i32.and (i32.add (local.get $n) (i32.const 15)) (i32.const -16))))',
    '    (local.get $p))',
    '  (func $free (export "free") (param $p i32))',
  ];
  // f0 … f299999 each allocate (k mod 97) + 1 bytes; c0 … c1999 call down the chain to one allocation.
  for (let k = 0; k < FUNCTIONS; k++) parts.push(`  (func $f${k} (result i32) (call $malloc (i32.const ${(k % 97) + 1})))`);
  for (let k = 0; k < CHAIN; k++) parts.push(`  (func $c${k} (result i32) ${k === CHAIN - 1 ? '(call $malloc (i32.const 4096))' : `(call $c${k + 1})`})`);
  // _start keeps 1,000 blocks from f0 … f999 and the one at the bottom of the chain.
  parts.push('  (func (export "_start")');
  for (let k = 0; k < 1000; k++) parts.push(`    (drop (call $f${k}))`);
  parts.push('    (drop (call $c0)))');
  parts.push(')');
  const source = join(dir, 'huge.wat');
  const out = join(dir, 'huge.wasm');
  writeFileSync(source, parts.join('\n'));
  const r = spawnSync(process.execPath, [WASM_AS, source, '-o', out], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  return out;
}

test(`a huge module (${FUNCTIONS.toLocaleString('en')} allocating functions, a ${CHAIN}-deep call chain): instrumented, valid, and traced`, () => {
  const module = build();
  assert.ok(statSync(module).size > 2_500_000, `only ${statSync(module).size} bytes`);
  const out = join(dir, 'huge.traced.wasm');
  const r = cli(['instrument', module, '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  // One site per call that can reach malloc: every f, every c, and _start's 1,001 calls; the
  // functions counted include malloc, free, _start and the proc_exit import.
  assert.match(r.stderr, new RegExp(`: ${FUNCTIONS + CHAIN + 1001} call sites in ${FUNCTIONS + CHAIN + 1} of ${FUNCTIONS + CHAIN + 4} functions`));
  assert.ok(WebAssembly.validate(readFileSync(out)), 'the instrumented module does not validate');

  const snap = join(dir, 'huge.tmsnap');
  const run = cli(['run', '-n', '16', '--limit', '3', '--snapshot', snap, module]);
  assert.equal(run.code, 0, run.stderr);
  // 1,000 blocks of (k mod 97) + 1 bytes each and the 4096-byte one at the bottom of the chain.
  const sizes = [...Array.from({ length: 1000 }, (_, k) => (k % 97) + 1), 4096];
  const snapshot = loadSnapshotSync(snap);
  assert.deepEqual(snapshot.traces.map((t) => t.size).sort((a, b) => a - b), sizes.sort((a, b) => a - b));
  // The chain's block: 16 frames kept of the CHAIN + 1 (c0 … c1999 and _start) it was made under.
  const bottom = snapshot.traces.find((t) => t.size === 4096)!;
  assert.equal(bottom.traceback.totalNframe, CHAIN + 1);
  assert.equal(bottom.traceback.length, 16);
  assert.match(run.stderr, new RegExp(`Total allocated size: ${(sizes.reduce((a, b) => a + b, 0) / 1024).toFixed(1)} KiB\n`));
});
