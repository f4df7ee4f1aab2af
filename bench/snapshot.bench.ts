// Snapshot operations, ours vs CPython's tracemalloc.Snapshot, on the same traces.
//
//   npx tsx bench/snapshot.bench.ts [--quick] [--runs N]
//
// Builds 1,000,000 traces (--quick: 100,000) over 10,000 distinct tracebacks of depth 16
// (fixed seed), twice (a "new" and an "old" snapshot sharing the traceback pool), and times
// statistics('lineno'), statistics('traceback'), statistics('filename', cumulative),
// statistics('lineno', cumulative), compareTo(old, 'lineno') and dump+load through a file.
// CPython gets the same traces through a temporary JSON file; only the operations are timed,
// not the loading. Each side runs several times; the table shows medians and the speed ratio.
// The first lines of every result are compared between the two sides as a sanity check.
// Then the memory a snapshot keeps: the JS heap (and array buffers) a 1,000,000-trace snapshot
// holds after a full GC, built from interned tracebacks and loaded from its file, against what
// CPython's tracemalloc counts for its Snapshot of the same traces (tracemalloc measuring itself).

import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Snapshot, Traceback } from '../src/snapshot/index.js';
import { dumpSnapshotSync, loadSnapshotSync } from '../src/snapshot/file.js';
// The same interpreter the snapshot tests use as their oracle.
import { findPython } from '../test/snapshot/helpers.js';
import { median } from './median.js';

const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
const runsArg = args.indexOf('--runs');
const N = QUICK ? 100_000 : 1_000_000;
const NTB = 10_000;
const DEPTH = 16;
const RUNS_OURS = runsArg >= 0 ? Number(args[runsArg + 1]) : QUICK ? 5 : 7;
const RUNS_PY = runsArg >= 0 ? Number(args[runsArg + 1]) : 3;
v8.setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Bytes the JS heap and array buffers hold after a full GC. */
function heldBytes(): number {
  collectGarbage();
  collectGarbage();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** mulberry32, uniform in [0, 1). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ── the traces ─────────────────────────────────────────────────────────────────────────────

/**
 * Tracebacks shaped like a program's: the oldest frames come from a few entry points, the
 * middle from a larger set of library functions, the most recent from many allocation sites.
 */
function makeTracebacks(): { frames: [string, number][][]; totals: number[] } {
  const r = rng(20261127);
  const site = (pool: number, files: number): [string, number] => {
    const k = Math.floor(r() * pool);
    return [`src/module_${k % files}.c`, 1 + ((k * 7919) % 4000)];
  };
  const frames: [string, number][][] = [];
  const totals: number[] = [];
  for (let t = 0; t < NTB; t++) {
    const tb: [string, number][] = [];
    for (let d = 0; d < DEPTH; d++) {
      if (d < 6) tb.push(site(5000, 200)); // most recent: allocation sites
      else if (d < 12) tb.push(site(500, 60)); // library
      else tb.push(site(20, 5)); // entry points
    }
    frames.push(tb);
    totals.push(DEPTH + Math.floor(r() * 20));
  }
  return { frames, totals };
}

function makeTraces(seed: number): { tb: Uint32Array; size: Float64Array } {
  const r = rng(seed);
  const tb = new Uint32Array(N);
  const size = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    // a skewed choice: some tracebacks hold many blocks
    tb[i] = Math.floor(NTB * r() ** 2);
    size[i] = Math.floor(2 ** (r() * 16)); // 1 B .. 64 KiB, log-uniform
  }
  return { tb, size };
}

// ── timing ─────────────────────────────────────────────────────────────────────────────────

/** Wall-clock and CPU milliseconds of each run (CPU time is steadier on a busy machine). */
function time(runs: number, fn: () => void): { wall: number[]; cpu: number[] } {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let k = 0; k < runs; k++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wall, cpu };
}

// ── CPython ────────────────────────────────────────────────────────────────────────────────

const PY_SCRIPT = String.raw`
import json, sys, time, os, statistics as st, tracemalloc
data = json.load(open(sys.argv[1]))
runs = int(sys.argv[2]); dump_path = sys.argv[3]
tbs = [tuple(tuple(f) for f in tb) for tb in data["tracebacks"]]
totals = data["totals"]
def snap(part):
    return tracemalloc.Snapshot([(0, s, tbs[t], totals[t]) for t, s in zip(part["tb"], part["size"])], data["limit"])
tracemalloc.start()
new = snap(data["new"])
snapshot_bytes = tracemalloc.get_traced_memory()[0]
tracemalloc.stop()
old = snap(data["old"])
def dump_load():
    if os.path.exists(dump_path): os.unlink(dump_path)
    new.dump(dump_path)
    return tracemalloc.Snapshot.load(dump_path)
ops = {
    "statistics('lineno')": lambda: new.statistics('lineno'),
    "statistics('traceback')": lambda: new.statistics('traceback'),
    "statistics('filename', cumulative)": lambda: new.statistics('filename', True),
    "statistics('lineno', cumulative)": lambda: new.statistics('lineno', True),
    "compareTo(old, 'lineno')": lambda: new.compare_to(old, 'lineno'),
    "dump+load": dump_load,
}
out = {"times": {}, "cpu": {}, "head": {}}
for name, fn in ops.items():
    times = []; cpu = []
    for _ in range(runs):
        c0 = time.process_time(); t0 = time.perf_counter(); res = fn()
        times.append((time.perf_counter() - t0) * 1000); cpu.append((time.process_time() - c0) * 1000)
    out["times"][name] = times
    out["cpu"][name] = cpu
    out["head"][name] = [str(s) for s in res[:5]] if isinstance(res, list) else [str(s) for s in res.statistics('lineno')[:5]]
out["dump_bytes"] = os.path.getsize(dump_path)
out["snapshot_bytes"] = snapshot_bytes
json.dump(out, sys.stdout)
`;

// ── main ───────────────────────────────────────────────────────────────────────────────────

function main(): void {
  console.log(`snapshot bench: ${N.toLocaleString('en')} traces, ${NTB.toLocaleString('en')} tracebacks of depth ${DEPTH}`);
  const { frames, totals } = makeTracebacks();
  const newT = makeTraces(1);
  const oldT = makeTraces(2);
  const tracebacks = frames.map((f, k) => new Traceback(f, totals[k]));

  const before = heldBytes();
  let t0 = performance.now();
  const snap = Snapshot.fromInterned({ tracebacks, traceTracebackIds: newT.tb, traceSizes: newT.size, tracebackLimit: DEPTH });
  const buildMs = performance.now() - t0;
  const snapshotBytes = heldBytes() - before;
  const old = Snapshot.fromInterned({ tracebacks, traceTracebackIds: oldT.tb, traceSizes: oldT.size, tracebackLimit: DEPTH });

  const dir = mkdtempSync(join(tmpdir(), 'tm-bench-'));
  try {
    const ourDump = join(dir, 'ours.snap');
    let dumpBytes = 0;
    const ops: [string, () => unknown][] = [
      ["statistics('lineno')", () => snap.statistics('lineno')],
      ["statistics('traceback')", () => snap.statistics('traceback')],
      ["statistics('filename', cumulative)", () => snap.statistics('filename', true)],
      ["statistics('lineno', cumulative)", () => snap.statistics('lineno', true)],
      ["compareTo(old, 'lineno')", () => snap.compareTo(old, 'lineno')],
      [
        'dump+load',
        () => {
          dumpSnapshotSync(snap, ourDump, { force: true });
          dumpBytes = statSync(ourDump).size;
          return loadSnapshotSync(ourDump);
        },
      ],
    ];
    const ours = new Map<string, { times: { wall: number[]; cpu: number[] }; head: string[] }>();
    for (const [name, fn] of ops) {
      fn(); // warm-up
      let res: unknown;
      const times = time(RUNS_OURS, () => {
        res = fn();
      });
      const list = res instanceof Snapshot ? res.statistics('lineno') : (res as unknown[]); // not timed
      ours.set(name, { times, head: list.slice(0, 5).map(String) });
    }

    const py = findPython();
    let pyOut:
      | { times: Record<string, number[]>; cpu: Record<string, number[]>; head: Record<string, string[]>; dump_bytes: number; snapshot_bytes: number }
      | undefined;
    if (py) {
      const dataPath = join(dir, 'traces.json');
      writeFileSync(
        dataPath,
        JSON.stringify({
          limit: DEPTH,
          tracebacks: frames,
          totals,
          new: { tb: Array.from(newT.tb), size: Array.from(newT.size) },
          old: { tb: Array.from(oldT.tb), size: Array.from(oldT.size) },
        }),
      );
      const scriptPath = join(dir, 'bench.py');
      writeFileSync(scriptPath, PY_SCRIPT);
      t0 = performance.now();
      const r = spawnSync(py.command, [scriptPath, dataPath, String(RUNS_PY), join(dir, 'cpython.pickle')], {
        env: py.env,
        encoding: 'utf8',
        maxBuffer: 1 << 26,
      });
      if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
      pyOut = JSON.parse(r.stdout) as typeof pyOut;
      console.log(`CPython ${py.version} (${py.command}) took ${((performance.now() - t0) / 1000).toFixed(1)} s in all`);
    } else {
      console.log('no python3 found: CPython columns left empty');
    }

    const rows: string[][] = [
      ['operation', 'ours (ms)', 'CPython (ms)', 'speed-up', 'ours CPU (ms)', 'CPython CPU (ms)', 'CPU speed-up', 'same top 5'],
    ];
    for (const [name] of ops) {
      const o = ours.get(name)!;
      const mo = median(o.times.wall);
      const co = median(o.times.cpu);
      const p = pyOut?.times[name];
      const pc = pyOut?.cpu[name];
      const mp = p ? median(p) : NaN;
      const cp = pc ? median(pc) : NaN;
      const same = pyOut ? (JSON.stringify(pyOut.head[name]) === JSON.stringify(o.head) ? 'yes' : 'NO') : '-';
      rows.push([
        name,
        mo.toFixed(1),
        p ? mp.toFixed(0) : '-',
        p ? `${(mp / mo).toFixed(1)}×` : '-',
        co.toFixed(1),
        pc ? cp.toFixed(0) : '-',
        pc ? `${(cp / co).toFixed(1)}×` : '-',
        same,
      ]);
    }
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
    const line = (row: string[]): string => `| ${row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join(' | ')} |`;
    console.log();
    console.log(line(rows[0]!));
    console.log(`|${widths.map((w, c) => (c === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
    for (const row of rows.slice(1)) console.log(line(row));
    console.log();
    console.log(`runs: ours ${RUNS_OURS} (median, after one warm-up), CPython ${RUNS_PY} (median); load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
    console.log(`fromInterned (not in the table): ${buildMs.toFixed(1)} ms`);
    console.log(`dump size: ours ${dumpBytes.toLocaleString('en')} B = ${(dumpBytes / N).toFixed(2)} B/trace` +
      (pyOut ? `; CPython pickle ${pyOut.dump_bytes.toLocaleString('en')} B = ${(pyOut.dump_bytes / N).toFixed(2)} B/trace` : ''));
    // A loaded snapshot brings its own tracebacks: the whole cost of holding one.
    const beforeLoad = heldBytes();
    const loaded = loadSnapshotSync(ourDump);
    const loadedBytes = heldBytes() - beforeLoad;
    const perTrace = (bytes: number): string => `${bytes.toLocaleString('en')} B = ${(bytes / N).toFixed(1)} B/trace`;
    console.log(`memory held by a snapshot (after a full GC): ours ${perTrace(snapshotBytes)} (fromInterned, tracebacks shared), ` +
      `${perTrace(loadedBytes)} (loaded from its file, ${loaded.traces.length.toLocaleString('en')} traces, tracebacks included)` +
      (pyOut ? `; CPython tracemalloc.Snapshot ${perTrace(pyOut.snapshot_bytes)} (tracebacks shared, as tracemalloc counts it)` : ''));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
