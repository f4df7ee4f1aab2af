// Emscripten's glue prints "still waiting on run dependencies" to stderr every 10 s while the
// module's instantiation is pending. Under the global hook a cache miss on a loaded machine can
// take that long (Binaryen instruments the module first): the glue's own progress message, not
// the program's output nor ours, so the tests that compare stderr leave it out.
import { spawnSync } from 'node:child_process';

/** `stderr` without the glue's "still waiting on run dependencies" blocks. */
export function withoutGlueProgress(stderr: string): string {
  return stderr.replace(/^still waiting on run dependencies:\n(dependency: .*\n)*\(end of list\)\n/gm, '');
}

/**
 * Runs `node --no-experimental-fetch …args` (how Emscripten 3.1.6's Node glue must run) with
 * `env` added, as a user would: exit code, signal, stdout, and stderr without the glue's progress.
 */
export function runGlue(args: string[], env: Record<string, string> = {}): { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--no-experimental-fetch', ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 120_000,
    maxBuffer: 64 << 20,
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: withoutGlueProgress(r.stderr) };
}

/** The preload hook (`wasm-tracemalloc run`'s, built by `npm run build`) that traces a glue run. */
export const PRELOAD = 'dist/cli/preload.js';

/**
 * Runs `glue` traced through the preload hook with `nframe` frames, sources under fixtures/src:
 * the snapshot taken at exit goes to `snapshotPath`, instrumented modules are cached in `cacheDir`.
 */
export function runGlueTraced(glue: string, nframe: number, snapshotPath: string, cacheDir: string): ReturnType<typeof runGlue> {
  return runGlue(['--import', `./${PRELOAD}`, glue], {
    WASM_TRACEMALLOC: String(nframe),
    WASM_TRACEMALLOC_ROOT: 'fixtures/src',
    WASM_TRACEMALLOC_SNAPSHOT: snapshotPath,
    WASM_TRACEMALLOC_CACHE: cacheDir,
  });
}
