// The misbehaving program in Rust (docs/reliability.md): fixtures/rust/misbehave_rust.wasm
// (fixtures/src/rust/misbehave_rust/) run untraced under node:wasi and traced by
// `wasm-tracemalloc run` must print the same stdout and end with the same exit code (or the
// same trap), and the traced figures must be the program's own. Its counters come from its
// #[global_allocator], which sees every block of the process that Rust allocates (std's too:
// the main thread's name and Arc, stdout's buffer); wasi-libc allocates nothing on its own for a
// Rust program run with no environment (std reads argv itself). So the traced totals must equal
// the counters, with one hand-worked difference: when main returns, and in process::exit, std's
// runtime cleanup (rt::cleanup) frees stdout's 1024-byte LineWriter buffer after the program
// printed its counters; an abort (panic, alloc error) skips it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type BothRuns, runBothWays, scratch, sourceLineIn, tracedTotals } from './helpers.js';

const MODULE = 'fixtures/rust/misbehave_rust.wasm';
const SOURCE = 'fixtures/src/rust/misbehave_rust/src/main.rs';
const dir = scratch('misbehave-rust');

/** std's stdout buffer: `LineWriter::new` takes 1024 bytes; std's cleanup frees it after main returns. */
const STDOUT_BUFFER = 1024;
/** usize::MAX / 2 on wasm32: what try_reserve and oom ask of the allocator (past dlmalloc's limit). */
const IMPOSSIBLE = 2 ** 31 - 1;
/** The block `deep` leaves at the bottom of its recursion. */
const DEEP_BLOCK = 77;

/** The program's own counters, from its line `misbehave_rust MODE: live_blocks=N live_bytes=M failed_allocs=F`. */
function programCounters(stdout: string): { blocks: number; bytes: number; failed: number } {
  const m = /^misbehave_rust \w+: live_blocks=(\d+) live_bytes=(\d+) failed_allocs=(\d+)$/m.exec(stdout);
  assert.ok(m, `no counters in ${JSON.stringify(stdout)}`);
  return { blocks: Number(m[1]), bytes: Number(m[2]), failed: Number(m[3]) };
}

/** The 1-based line of the program's source holding `text` (exactly one such line). */
const sourceLine = (text: string): number => sourceLineIn(SOURCE, text);

/** misbehave_rust with `args`, untraced then traced, the two compared (helpers.ts). */
const runBoth = (args: string[]): BothRuns => runBothWays(MODULE, dir, args);

/** The traced totals equal the counters (less stdout's buffer when std's cleanup ran). */
function assertCounters(name: string, r: BothRuns, cleanedUp: boolean): void {
  const counters = programCounters(r.original.stdout);
  const expected = cleanedUp ? { blocks: counters.blocks - 1, bytes: counters.bytes - STDOUT_BUFFER } : { blocks: counters.blocks, bytes: counters.bytes };
  const why = cleanedUp ? ' (less stdout\'s 1024-byte buffer, freed by std\'s cleanup after the counters were printed)' : '';
  assert.deepEqual(tracedTotals(r.snapshot), expected, `${name}: traced blocks = the program's counters${why}`);
  assert.equal(r.snapshot.meta.tracedCurrent, expected.bytes, `${name}: tracedCurrent`);
}

test('ok: traced like the original; traced blocks = the counters less stdout\'s buffer freed after main', () => {
  const r = runBoth(['ok']);
  assert.equal(r.original.code, 0);
  assert.equal(r.original.trap, null);
  // Hand-worked: std's 5-byte thread name, 32-byte Arc and 1024-byte stdout buffer, then the
  // program's leaks: [u64; 4] (32), a Vec of 100 u32 shrunk to fit (400), a String of 29 bytes
  // grown once from 17 (capacity 34), one 64-byte over-aligned box.
  assert.deepEqual(programCounters(r.original.stdout), { blocks: 7, bytes: 5 + 32 + 1024 + 32 + 400 + 34 + 64, failed: 0 });
  assertCounters('ok', r, true);
});

test('exit 3: same exit code; process::exit runs std\'s cleanup too, which frees stdout\'s buffer', () => {
  const r = runBoth(['exit', '3']);
  assert.equal(r.original.code, 3);
  assert.equal(r.original.trap, null);
  assertCounters('exit 3', r, true);
});

test('panic (panic = "abort"): the same unreachable trap and stdout; blocks live at the panic stay traced', () => {
  const r = runBoth(['panic']);
  assert.equal(r.original.trap, 'unreachable');
  assert.match(r.original.stderr, /thread 'main' panicked at 'misbehave_rust: a panic with blocks live'/);
  assertCounters('panic', r, false);
  assert.equal(r.snapshot.traces.filter((t) => t.size === 72).length, 1, 'the 72-byte block held at the panic');
});

test('try_reserve: the allocator says no twice, nothing is traced for it, the refused realloc leaves its block traced', () => {
  const r = runBoth(['try_reserve']);
  assert.equal(r.original.code, 0);
  assert.equal(r.original.trap, null);
  const out = r.original.stdout;
  // The program's own account: both requests of usize::MAX / 2 bytes reached the allocator and
  // failed (failed_allocs=2), the 3 GiB one was refused before it (capacity overflow).
  assert.match(out, /empty Vec: Err: memory allocation failed because the memory allocator returned a error/);
  assert.match(out, /Vec of 10: Err: memory allocation failed because the memory allocator returned a error/);
  assert.match(out, /3 GiB\): Err: memory allocation failed because the computed capacity exceeded/);
  assert.match(out, /after: len=11 cap=100/);
  assert.equal(programCounters(out).failed, 2);
  assertCounters('try_reserve', r, true);
  const sizes = r.snapshot.traces.map((t) => t.size);
  for (const failed of [IMPOSSIBLE, 3 * 2 ** 30]) assert.ok(!sizes.includes(failed), `a block of ${failed} bytes is traced: ${sizes.join(', ')}`);
  assert.ok(sizes.includes(100), 'the 100-byte block whose realloc failed is still traced (once)');
  assert.ok(sizes.includes(40), 'the block taken after the failures');
  assert.ok((r.snapshot.meta.tracedPeak ?? 0) < 2 ** 20, `traced peak ${r.snapshot.meta.tracedPeak}: a failed request was counted`);
});

test('oom: an infallible allocation fails, the alloc error handler aborts: the same trap, the failed block untraced', () => {
  const r = runBoth(['oom']);
  assert.equal(r.original.trap, 'unreachable');
  assert.match(r.original.stderr, new RegExp(`memory allocation of ${IMPOSSIBLE} bytes failed`));
  assertCounters('oom', r, false);
  assert.ok(!r.snapshot.traces.some((t) => t.size === IMPOSSIBLE), 'the failed request is traced');
  assert.ok((r.snapshot.meta.tracedPeak ?? 0) < 2 ** 20, `traced peak ${r.snapshot.meta.tracedPeak}`);
});

test('deep N: the 77-byte block\'s traceback keeps 16 frames of the recursion and counts all N of them', () => {
  const allocLine = sourceLine('*out = Some(Box::new([7; 77]));');
  const callLine = sourceLine('let r = deep(n - 1, out);');
  const mainLine = sourceLine('let r = deep(number, &mut out);');
  const depth: Record<number, number> = {};
  for (const n of [10, 10000]) {
    const r = runBoth(['deep', String(n)]);
    assert.match(r.original.stdout, new RegExp(`^deep ${n}: a block r=\\d+$`, 'm'));
    assertCounters(`deep ${n}`, r, true);
    const deepest = r.snapshot.traces.filter((t) => t.size === DEEP_BLOCK);
    assert.equal(deepest.length, 1, `deep ${n}: one ${DEEP_BLOCK}-byte block`);
    const tb = deepest[0]!.traceback;
    assert.equal(tb.length, 16, `deep ${n}: frames kept`);
    // Most recent first: deep(0) at the allocation, deep(1..n) at the recursive call, then main
    // at its call of deep (at depth 10, inside the 16 frames kept).
    const frames = tb.frames.map((f) => `${f.filename}:${f.lineno}`);
    const inMain = (line: number): string => `rust/misbehave_rust/src/main.rs:${line}`;
    const expected = [inMain(allocLine), ...Array<string>(Math.min(n, 15)).fill(inMain(callLine)), ...(n < 15 ? [inMain(mainLine)] : [])];
    assert.deepEqual(frames.slice(0, expected.length), expected, `deep ${n}: the allocation, then the recursive calls`);
    assert.ok(tb.totalNframe !== undefined && tb.totalNframe > n, `deep ${n}: totalNframe ${tb.totalNframe}`);
    depth[n] = tb.totalNframe;
  }
  // The frames above the recursion (main, std's start) are the same at both depths.
  assert.equal(depth[10000]! - depth[10]!, 10000 - 10, `totalNframe ${depth[10]} at depth 10, ${depth[10000]} at depth 10000`);
});

test('many 100000: 100,000 boxes of 16 bytes live at exit, all traced', () => {
  const r = runBoth(['many', '100000']);
  // Hand-worked: the boxes, the Vec of 100,000 pointers, and std's three blocks (5 + 32 + 1024).
  assert.deepEqual(programCounters(r.original.stdout), { blocks: 100000 + 1 + 3, bytes: 100000 * 16 + 100000 * 4 + 5 + 32 + 1024, failed: 0 });
  assertCounters('many 100000', r, true);
  assert.equal(r.snapshot.traces.filter((t) => t.size === 16).length, 100000);
});

test('an unknown mode: the program\'s own error and exit code 2, traced or not', () => {
  const r = runBoth(['bogus']);
  assert.equal(r.original.code, 2);
  assert.equal(r.original.stderr, 'misbehave_rust: unknown mode bogus\n');
});
