// Shared by the reliability tests (docs/reliability.md): the CLI in a child process, the
// original (untraced) run of a WASI program under node:wasi, seeded randomness.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import assert from 'node:assert/strict';
import { loadSnapshotSync } from '../../src/snapshot/file.js';
import type { Snapshot } from '../../src/snapshot/index.js';
import { xorshift32 } from '../support/random.js';

/** xorshift32: the same sequence on every machine for a given seed. */
export const rng = xorshift32;

export const CLI = 'dist/cli/main.js';
export const WASM_AS = 'node_modules/.bin/wasm-as';
export const ALLOC_BASIC = 'fixtures/wasi/alloc_basic.wasm';
export const MISBEHAVE = 'fixtures/wasi/misbehave.wasm';
export const MISBEHAVE_MAX16M = 'fixtures/wasi/misbehave.max16m.wasm';

export interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `wasm-tracemalloc …` as a user runs it (the built CLI, in a child process). */
export function cli(args: string[], options: { shell?: string; prefix?: string[] } = {}): Outcome {
  assert.ok(existsSync(CLI), `${CLI} is missing: run \`npx tsc -p tsconfig.json\` first`);
  const prefix = options.prefix ?? [];
  const r = options.shell !== undefined
    ? spawnSync('bash', ['-c', `${options.shell}; exec "$0" "$@"`, process.execPath, CLI, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 })
    : prefix.length > 0
      ? spawnSync(prefix[0]!, [...prefix.slice(1), process.execPath, CLI, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 })
      : spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.error, undefined, String(r.error));
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/**
 * The answer the CLI owes to bad input: exit code 2 and exactly one line on stderr,
 * `wasm-tracemalloc: error: …`, matching `message`; no stack trace; nothing on stdout.
 */
export function assertOneLineError(r: Outcome, message: RegExp, what: string): void {
  const where = `${what}: exit ${r.code} signal ${r.signal}, stderr:\n${r.stderr.slice(0, 2000)}`;
  assert.doesNotMatch(r.stderr, /\n\s+at /, `${where}\n(a stack trace was printed)`);
  assert.equal(r.code, 2, where);
  assert.match(r.stderr, /^wasm-tracemalloc: error: [^\n]+\n$/, `${where}\n(not one line)`);
  assert.match(r.stderr, message, where);
  assert.equal(r.stdout, '', `${what}: something was printed on stdout`);
}

/** A fresh scratch directory. */
export function scratch(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `wtm-rel-${prefix}-`));
}


/** `bytes` with `flips` random bits flipped (seeded). */
export function flipBits(bytes: Uint8Array, next: () => number, flips: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < flips; i++) {
    const bit = next() % (out.length * 8);
    out[bit >>> 3]! ^= 1 << (bit & 7);
  }
  return out;
}

/** The untraced run of a WASI command, as node:wasi runs it (a child process, like the CLI). */
export function runOriginal(module: string, args: string[], nodeFlags: string[] = []): Outcome & { trap: string | null } {
  const code = `
    import v8 from 'node:v8'; v8.setFlagsFromString('--no-turbo-fast-api-calls');
    import { WASI } from 'node:wasi'; import { readFileSync } from 'node:fs';
    process.removeAllListeners('warning');
    const [file, ...args] = process.argv.slice(1);
    const wasi = new WASI({ version: 'preview1', args, env: {}, returnOnExit: true });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(file)), wasi.getImportObject());
    let code;
    try { code = wasi.start(instance); } catch (e) { process.stderr.write('TRAP ' + e.message + '\\n'); code = 134; }
    process.exitCode = code;`;
  const r = spawnSync(process.execPath, [...nodeFlags, '--no-warnings', '--input-type=module', '-e', code, module, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  assert.equal(r.error, undefined, String(r.error));
  const trap = /^TRAP (.*)$/m.exec(r.stderr)?.[1] ?? null;
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, trap };
}

export function readBytes(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}

/** The 1-based line of `source` holding `text` (exactly one such line). */
export function sourceLineIn(source: string, text: string): number {
  const lines = readFileSync(source, 'utf8').split('\n');
  const at = lines.flatMap((l, i) => (l.includes(text) ? [i + 1] : []));
  assert.equal(at.length, 1, `${text} in ${source}`);
  return at[0]!;
}

/** Every traced block of a snapshot: count and bytes. */
export function tracedTotals(snapshot: Snapshot): { blocks: number; bytes: number } {
  return { blocks: snapshot.traces.length, bytes: snapshot.traces.reduce((n, t) => n + t.size, 0) };
}

/** One mode of a misbehaving program, run untraced and traced. */
export interface BothRuns {
  original: ReturnType<typeof runOriginal>;
  traced: Outcome;
  /** The snapshot the traced run wrote at exit. */
  snapshot: Snapshot;
}

/**
 * WASI command `module` with `args`, untraced then traced (`run -n 16 --snapshot` into `dir`),
 * the two compared: the same stdout and exit code, the same trap or none, and what the program
 * itself wrote to stderr (a panic or abort message) in the traced run's stderr too.
 */
export function runBothWays(module: string, dir: string, args: string[]): BothRuns {
  const name = `${basename(module, '.wasm')} ${args.join(' ')}`;
  const original = runOriginal(module, [basename(module), ...args]);
  const snap = join(dir, `${args.join('_')}.tmsnap`);
  const traced = cli(['run', '-n', '16', '--snapshot', snap, module, ...args]);
  assert.equal(traced.stdout, original.stdout, `${name}: stdout`);
  assert.equal(traced.code, original.code, `${name}: exit code (traced stderr: ${traced.stderr.slice(0, 500)})`);
  if (original.trap !== null) assert.ok(traced.stderr.includes(`the program trapped: ${original.trap}`), `${name}: the trap ${original.trap} in ${traced.stderr.slice(0, 500)}`);
  else assert.doesNotMatch(traced.stderr, /trapped/, `${name}: no trap`);
  const programStderr = original.stderr.replace(/^TRAP .*\n/m, '');
  assert.ok(traced.stderr.includes(programStderr), `${name}: the program's stderr ${JSON.stringify(programStderr)} in ${JSON.stringify(traced.stderr.slice(0, 800))}`);
  return { original, traced, snapshot: loadSnapshotSync(snap) };
}
