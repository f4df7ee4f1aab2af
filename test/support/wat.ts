// Test modules written in WebAssembly text and assembled by Binaryen's wasm-as (the binary of
// the binaryen npm package): hand-made allocators whose every instruction a test controls.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A bump `malloc` (8-byte aligned, from 1024 up, never reused) and its `$top` global, to splice
 * into a module; `then` runs after each bump, with the block in `$p` and the new top in `$top`.
 */
export function bumpMalloc(then = ''): string {
  return `(global $top (mut i32) (i32.const 1024))
  (func $malloc (export "malloc") (param $n i32) (result i32) (local $p i32)
    (local.set $p (global.get $top))
    (global.set $top (i32.add (local.get $p) (i32.and (i32.add (local.get $n) (i32.const 7)) (i32.const -8))))
    ${then}
    (local.get $p))`;
}

/** bumpMalloc() with nothing after the bump. */
export const BUMP_MALLOC = bumpMalloc();

/**
 * The bytes of the module in `text`, assembled in a fresh temporary directory; fails the test if
 * wasm-as refuses it. `flags`: more wasm-as options, e.g. `--enable-reference-types`.
 */
export function assembleWat(text: string, flags: string[] = []): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'wtm-wat-'));
  const source = join(dir, 'm.wat');
  const out = join(dir, 'm.wasm');
  writeFileSync(source, text);
  const r = spawnSync(process.execPath, ['node_modules/.bin/wasm-as', ...flags, source, '-o', out], { encoding: 'utf8' });
  assert.equal(r.status, 0, `wasm-as: ${r.stderr}`);
  return readFileSync(out);
}

/**
 * The trap tests' module (test/reliability/traps.test.ts, test/browser/traps.test.ts): a bump
 * allocator that calls env.hook on every allocation, so that JS can throw from inside it or
 * re-enter; `work` allocates three calls deep; `crash` allocates and then traps two calls deep.
 */
export const TRAPS_WAT = `(module
  (import "env" "hook" (func $hook (param i32)))
  (memory (export "memory") 1)
  ${bumpMalloc('(call $hook (local.get $n))')}
  (func $free (export "free") (param $p i32))
  (func $make (export "make") (param $n i32) (result i32) (call $malloc (local.get $n)))
  (func $inner (param $n i32) (result i32) (call $make (local.get $n)))
  (func $work (export "work") (param $n i32) (result i32) (call $inner (local.get $n)))
  (func $deep2 (param $n i32) (drop (call $make (local.get $n))) (unreachable))
  (func $deep1 (param $n i32) (call $deep2 (local.get $n)))
  (func $crash (export "crash") (param $n i32) (call $deep1 (local.get $n))))`;
