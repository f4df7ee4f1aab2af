// The traced program misbehaving (docs/reliability.md): fixtures/wasi/misbehave*.wasm
// (fixtures/src/c/misbehave.c) run untraced under node:wasi and traced by `wasm-tracemalloc run`
// must print the same stdout and end with the same exit code (or the same trap), and the traced
// figures must be the program's own: its blocks (frames in misbehave.c) and, for the total,
// those plus wasi-libc's two argv blocks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { loadSnapshotSync } from '../../src/snapshot/file.js';
import { Filter, type Snapshot } from '../../src/snapshot/index.js';
import { MISBEHAVE, MISBEHAVE_MAX16M, cli, runOriginal, scratch } from './helpers.js';

const dir = scratch('misbehave');

/** Bytes wasi-libc allocates before main for argv: the strings, then calloc(argc + 1, 4). */
function argvBytes(args: string[]): number {
  return args.reduce((n, a) => n + Buffer.byteLength(a) + 1, 0) + (args.length + 1) * 4;
}

/** The program's own counters, from its line `misbehave MODE: live_blocks=N live_bytes=M`. */
function programCounters(stdout: string): { blocks: number; bytes: number } {
  const m = /misbehave \w+: live_blocks=(\d+) live_bytes=(\d+)/.exec(stdout);
  assert.ok(m, `no counters in ${JSON.stringify(stdout)}`);
  return { blocks: Number(m[1]), bytes: Number(m[2]) };
}

/** The program's own traced blocks: those whose most recent frame is in misbehave.c. */
function programTraces(snapshot: Snapshot): { blocks: number; bytes: number } {
  const own = snapshot.filterTraces([new Filter(true, '*misbehave.c')]);
  const stats = own.statistics('filename');
  return { blocks: stats.reduce((n, s) => n + s.count, 0), bytes: stats.reduce((n, s) => n + s.size, 0) };
}

interface Case {
  module: string;
  args: string[];
  /** Blocks the program really holds at exit when its counters cannot know (it misuses free). */
  live?: { blocks: number; bytes: number };
  why?: string;
  /**
   * Its stdout depends on heap addresses (a sum of their low bytes), which tracing shifts: the
   * shadow-stack block comes from the program's own allocator (docs/abi.md), so later blocks
   * land elsewhere. Those numbers are masked before comparing.
   */
  addresses?: boolean;
}

const CASES: Case[] = [
  { module: MISBEHAVE, args: ['ok'] },
  { module: MISBEHAVE, args: ['exit', '3'] },
  { module: MISBEHAVE, args: ['abort'] },
  // Its counters were printed before the two frees of the 32-byte block: 40 bytes stay.
  { module: MISBEHAVE, args: ['double_free'], live: { blocks: 1, bytes: 40 }, why: 'the 32-byte block is freed (twice)' },
  { module: MISBEHAVE, args: ['wild_free'] },
  // free(p) is not counted by the program; realloc(p, 128) of the freed p returns a new block.
  { module: MISBEHAVE, args: ['realloc_freed'], live: { blocks: 2, bytes: 56 + 128 }, why: '56 live + the 128 realloc returned' },
  { module: MISBEHAVE, args: ['huge'] },
  { module: MISBEHAVE, args: ['grow'] },
  { module: MISBEHAVE_MAX16M, args: ['grow'] },
  { module: MISBEHAVE_MAX16M, args: ['huge'] },
  { module: MISBEHAVE, args: ['deep', '10000'] },
  { module: MISBEHAVE, args: ['many', '100000'], addresses: true },
];

for (const c of CASES) {
  const name = `${basename(c.module)} ${c.args.join(' ')}`;
  test(`${name}: traced like the original (stdout, exit code, trap), traced figures = the program's`, () => {
    const argv0 = basename(c.module);
    const original = runOriginal(c.module, [argv0, ...c.args]);
    const snap = join(dir, `${name.replaceAll(' ', '_')}.tmsnap`);
    const traced = cli(['run', '-n', '4', '--snapshot', snap, c.module, ...c.args]);
    const mask = (s: string): string => (c.addresses ? s.replace(/sum=\d+/g, 'sum=…') : s);
    assert.equal(mask(traced.stdout), mask(original.stdout), `${name}: stdout`);
    assert.equal(traced.code, original.code, `${name}: exit code (traced stderr: ${traced.stderr.slice(0, 500)})`);
    if (original.trap !== null) assert.match(traced.stderr, new RegExp(`the program trapped: ${original.trap}`), `${name}: the trap`);
    else assert.doesNotMatch(traced.stderr, /trapped/);
    const snapshot = loadSnapshotSync(snap);
    const expected = c.live ?? programCounters(original.stdout);
    assert.deepEqual(programTraces(snapshot), expected, `${name}: the program's traced blocks${c.why ? ` (${c.why})` : ''}`);
    assert.equal(snapshot.meta.tracedCurrent, expected.bytes + argvBytes([argv0, ...c.args]), `${name}: traced total = program + argv`);
  });
}

test('recursion past the V8 stack (deep 100000 on the main thread): the traced run reports the trap as the original does', () => {
  const args = ['deep', '100000'];
  const original = runOriginal(MISBEHAVE, [basename(MISBEHAVE), ...args]);
  assert.equal(original.trap, 'Maximum call stack size exceeded');
  const traced = cli(['run', MISBEHAVE, ...args]);
  assert.equal(traced.stdout, original.stdout);
  assert.equal(traced.code, original.code);
  assert.match(traced.stderr, /the program trapped: Maximum call stack size exceeded/);
  assert.doesNotMatch(traced.stderr, /\n\s+at /);
});

/**
 * Runs misbehave `deep N` in a worker with a 256 MiB stack (the main thread's ~1 MB holds
 * ~15,000 of its frames): untraced, or traced by runWasi (dist/) with nframe 16.
 */
async function deepInWorker(depth: number, traced: boolean): Promise<{ stdout: string; exit: number | null; trap: string | null; totalNframe?: number; frames?: number; current?: number; objectTotal?: number }> {
  const out = join(dir, `deep-${depth}-${traced}.out`);
  const fd = openSync(out, 'w');
  const index = pathToFileURL(resolve('dist/index.js')).href;
  const code = `
    import { parentPort, workerData } from 'node:worker_threads';
    import { readFileSync } from 'node:fs';
    const { file, depth, traced, fd } = workerData;
    const args = ['misbehave.wasm', 'deep', String(depth)];
    if (traced) {
      const { runWasi } = await import(${JSON.stringify(index)});
      const r = await runWasi(readFileSync(file), { args, nframe: 16, stdout: fd, cache: false });
      const t = r.snapshot.traces.find((t) => t.size === 24);
      const tm = r.traced.tracemalloc;
      parentPort.postMessage({ exit: r.exitCode, trap: r.trap?.message ?? null, totalNframe: t?.traceback.totalNframe, frames: t?.traceback.length, current: tm.getTracedMemory()[0] });
    } else {
      const { WASI } = await import('node:wasi');
      const wasi = new WASI({ version: 'preview1', args, env: {}, returnOnExit: true, stdout: fd });
      const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(file)), wasi.getImportObject());
      try { parentPort.postMessage({ exit: wasi.start(instance), trap: null }); } catch (e) { parentPort.postMessage({ exit: null, trap: e.message }); }
    }`;
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`), {
    workerData: { file: resolve(MISBEHAVE), depth, traced, fd },
    resourceLimits: { stackSizeMb: 256 },
    stderr: true,
  });
  try {
    const reply = await new Promise<{ exit: number | null; trap: string | null }>((ok, fail) => {
      worker.once('message', ok);
      worker.once('error', fail);
    });
    return { ...reply, stdout: readFileSync(out, 'utf8') };
  } finally {
    await worker.terminate();
    closeSync(fd);
  }
}

test('deep 100000: the 4096-frame shadow-stack ring still counts every frame (totalNframe), the traceback keeps 16', async () => {
  const shallowOriginal = await deepInWorker(10, false);
  const deepOriginal = await deepInWorker(100000, false);
  const shallow = await deepInWorker(10, true);
  const deep = await deepInWorker(100000, true);
  assert.equal(deepOriginal.trap, null, 'the original overflowed even a 256 MiB stack');
  assert.equal(deep.stdout, deepOriginal.stdout);
  assert.equal(shallow.stdout, shallowOriginal.stdout);
  assert.equal(deep.exit, deepOriginal.exit);
  assert.equal(deep.trap, null);
  assert.equal(deep.frames, 16, 'frames kept per traceback');
  assert.equal(deep.totalNframe! - shallow.totalNframe!, 100000 - 10, `totalNframe: ${shallow.totalNframe} at depth 10, ${deep.totalNframe} at depth 100000`);
  const argv = argvBytes(['misbehave.wasm', 'deep', '100000']);
  assert.equal(deep.current, 24 + argv, 'getTracedMemory: the 24-byte block and argv');
});

test('run app.wasm -- args: the program gets its arguments without the "--" (README: `run [options] app.wasm [-- program args…]`, --help: "put them after --")', () => {
  const original = runOriginal(MISBEHAVE, ['misbehave.wasm', 'ok']);
  const traced = cli(['run', MISBEHAVE, '--', 'ok']);
  assert.equal(traced.stdout, original.stdout);
  assert.equal(traced.code, original.code);
});
