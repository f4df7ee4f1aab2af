// Test helpers: CPython's tracemalloc as an oracle (cpython_oracle.py), a seeded PRNG, and
// random traces that exercise the corners of grouping, ordering and formatting.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Snapshot, type TraceInput } from '../../src/snapshot/index.js';

const ORACLE = join(dirname(fileURLToPath(import.meta.url)), 'cpython_oracle.py');

/** A raw trace as CPython takes it, minus the domain: [size, frames most recent first, total]. */
export type RawTrace = [size: number, frames: [string, number][], total: number | null];

export interface PythonOracle {
  readonly command: string;
  readonly env: NodeJS.ProcessEnv;
  readonly version: string;
}

let cached: PythonOracle | null | undefined;

/**
 * The interpreter to compare against: $TRACEMALLOC_PYTHON, else python3.12 (the version we
 * follow; PYENV_VERSION=3.12 selects it under pyenv), else python3 (3.11 and 3.13 have the
 * same Lib/tracemalloc.py and fnmatch). Undefined when none runs.
 */
export function findPython(): PythonOracle | undefined {
  if (cached !== undefined) return cached ?? undefined;
  const candidates: [string, NodeJS.ProcessEnv][] = [];
  if (process.env.TRACEMALLOC_PYTHON) candidates.push([process.env.TRACEMALLOC_PYTHON, process.env]);
  candidates.push(['python3.12', { ...process.env, PYENV_VERSION: process.env.PYENV_VERSION ?? '3.12' }]);
  candidates.push(['python3', process.env]);
  for (const [command, env] of candidates) {
    const r = spawnSync(command, ['-c', 'import sys, tracemalloc; print(sys.executable); print("%d.%d.%d" % sys.version_info[:3])'], {
      env,
      encoding: 'utf8',
    });
    if (r.status === 0) {
      // call the interpreter itself from now on, not a (slow) pyenv shim
      const [executable, version] = r.stdout.trim().split('\n');
      cached = { command: executable || command, env, version: version ?? '' };
      return cached;
    }
  }
  cached = null;
  return undefined;
}

/** Runs the oracle on one request (see cpython_oracle.py) and returns its results. */
export function askPython(request: unknown): unknown[] {
  const py = findPython();
  if (!py) throw new Error('no python3 to compare against');
  const r = spawnSync(py.command, [ORACLE], {
    env: { ...py.env, PYTHONIOENCODING: 'utf-8' },
    input: JSON.stringify(request),
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (r.status !== 0) throw new Error(`oracle failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as unknown[];
}

/** Skip reason for tests that need the oracle. */
export function pythonSkip(): string | false {
  return findPython() ? false : 'python3 with tracemalloc is not available';
}

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * File names chosen to trip ordering: code point vs UTF-16 order (U+FF21 vs astral U+1F600),
 * prefixes, case, spaces, brackets and a path with a slash.
 */
export const FILES = ['a.c', 'b.c', 'a.c ', 'A.c', 'lib/x.rs', 'é.c', '\uFF21.c', '😀.c', '\u{10000}', 'z[1].c', '<unknown>', 'a'];

export interface RandomOptions {
  readonly traces?: number;
  readonly tracebacks?: number;
  readonly maxDepth?: number;
}

/** Random raw traces: shared tracebacks, recursion, small sizes (ties) and huge ones (units). */
export function randomTraces(seed: number, options: RandomOptions = {}): RawTrace[] {
  const r = rng(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const ntb = options.tracebacks ?? 40;
  const maxDepth = options.maxDepth ?? 5;
  const tbs: [[string, number][], number | null][] = [];
  for (let t = 0; t < ntb; t++) {
    const depth = 1 + Math.floor(r() * maxDepth);
    const frames: [string, number][] = [];
    for (let d = 0; d < depth; d++) {
      if (d > 0 && r() < 0.15) frames.push([...frames[Math.floor(r() * frames.length)]!]); // recursion
      else frames.push([pick(FILES), Math.floor(r() * 6)]);
    }
    const u = r();
    tbs.push([frames, u < 0.2 ? null : u < 0.6 ? depth : depth + Math.floor(r() * 30)]);
  }
  const out: RawTrace[] = [];
  const n = options.traces ?? 300;
  for (let i = 0; i < n; i++) {
    const [frames, total] = pick(tbs);
    const u = r();
    const size =
      u < 0.05 ? 0 : u < 0.6 ? 1 + Math.floor(r() * 20) : u < 0.9 ? Math.floor(r() * 20000) : Math.floor(2 ** (10 + r() * 36));
    out.push([size, frames, total]);
  }
  return out;
}

/** Our Snapshot from the same raw traces. */
export function snapshotOf(traces: readonly RawTrace[], limit = 5): Snapshot {
  return new Snapshot(
    traces.map(([size, traceback, total]): TraceInput => ({ size, traceback, totalNframe: total ?? undefined })),
    limit,
  );
}
