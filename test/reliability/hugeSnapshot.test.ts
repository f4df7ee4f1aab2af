// The snapshot commands on a snapshot of a million traces (10,000 tracebacks of 16 frames), run
// as a user runs them, in a child process held to a 384 MB heap: they must finish with the
// right figures, not run out of memory. The expected figures are summed here straight from the
// generated traces with a plain Map, not through the snapshot code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { dumpSnapshotSync } from '../../src/snapshot/file.js';
import { Snapshot, Traceback } from '../../src/snapshot/index.js';
import { xorshift32 } from '../support/random.js';
import { scratch } from './helpers.js';

const CLI = 'dist/cli/main.js';
const dir = scratch('huge');
const TRACES = 1_000_000;
const TRACEBACKS = 10_000;
const DEPTH = 16;

/** Traceback k: its most recent frame is one of 2,000 allocation sites, then library frames. */
function frames(k: number, next: () => number): [string, number][] {
  const out: [string, number][] = [[`src/site${k % 200}.c`, 1 + (k % 2000)]];
  for (let d = 1; d < DEPTH; d++) out.push([`lib/l${next() % 50}.c`, 1 + (next() % 500)]);
  return out;
}

function build(seed: number, traces: number): { snapshot: Snapshot; byLine: Map<string, { size: number; count: number }> } {
  const next = xorshift32(seed);
  const tracebacks = Array.from({ length: TRACEBACKS }, (_, k) => new Traceback(frames(k, xorshift32(k + 1)), DEPTH + (k % 3)));
  const ids = new Uint32Array(traces);
  const sizes = new Float64Array(traces);
  const byLine = new Map<string, { size: number; count: number }>();
  for (let i = 0; i < traces; i++) {
    // Skewed towards low ids, as real programs allocate at a few hot sites.
    const r = next() % TRACEBACKS;
    const id = next() & 1 ? r : r % 100;
    const size = 1 + (next() % 4096);
    ids[i] = id;
    sizes[i] = size;
    const top = tracebacks[id]!.frames[0]!;
    const key = `${top.filename}:${top.lineno}`;
    const e = byLine.get(key) ?? { size: 0, count: 0 };
    e.size += size;
    e.count += 1;
    byLine.set(key, e);
  }
  const snapshot = Snapshot.fromInterned({ tracebacks, traceTracebackIds: ids, traceSizes: sizes, tracebackLimit: DEPTH });
  return { snapshot, byLine };
}

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--max-old-space-size=384', CLI, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

const OLD = join(dir, 'old.tmsnap');
const NEW = join(dir, 'new.tmsnap');
const old = build(1, TRACES);
const now = build(2, TRACES + 50_000);
dumpSnapshotSync(old.snapshot, OLD);
dumpSnapshotSync(now.snapshot, NEW);

function top(byLine: Map<string, { size: number; count: number }>, n: number) {
  return [...byLine].sort((a, b) => b[1].size - a[1].size || b[1].count - a[1].count).slice(0, n);
}

test(`stats on a ${TRACES.toLocaleString('en')}-trace snapshot in a 384 MB heap: the top lines and the total are the traces' sums`, () => {
  const r = cli('stats', OLD, '--json', '-l', '10');
  assert.equal(r.code, 0, `exit ${r.code} ${r.signal}: ${r.stderr.slice(0, 2000)}`);
  const j = JSON.parse(r.stdout);
  assert.equal(j.snapshot.traces, TRACES);
  const want = top(old.byLine, 10);
  assert.deepEqual(
    j.statistics.map((s: { size: number; count: number; traceback: { filename: string; lineno: number }[] }) => [`${s.traceback[0]!.filename}:${s.traceback[0]!.lineno}`, s.size, s.count]),
    want.map(([k, v]) => [k, v.size, v.count]),
  );
  const total = [...old.byLine.values()].reduce((n, v) => n + v.size, 0);
  assert.deepEqual(j.total, { size: total, count: TRACES });
  assert.ok(statSync(OLD).size > 1_000_000, 'the dump is not the size of a million traces');
});

test('compare of two million-trace snapshots in a 384 MB heap: the total difference is the traces\' sums', () => {
  const r = cli('compare', OLD, NEW, '--json', '-l', '5');
  assert.equal(r.code, 0, `exit ${r.code} ${r.signal}: ${r.stderr.slice(0, 2000)}`);
  const j = JSON.parse(r.stdout);
  const sum = (m: Map<string, { size: number }>) => [...m.values()].reduce((n, v) => n + v.size, 0);
  assert.deepEqual(j.total, { size: sum(now.byLine), sizeDiff: sum(now.byLine) - sum(old.byLine), count: TRACES + 50_000, countDiff: 50_000 });
  // The biggest growth, computed per line from the two Maps.
  const diffs = [...new Set([...old.byLine.keys(), ...now.byLine.keys()])].map((k) => [k, (now.byLine.get(k)?.size ?? 0) - (old.byLine.get(k)?.size ?? 0)] as const);
  const growth = Math.max(...diffs.map(([, d]) => Math.abs(d)));
  assert.equal(Math.abs(j.differences[0].sizeDiff), growth);
});
