/**
 * `node --import wasm-tracemalloc/preload app.js`: traces every WebAssembly module
 * the program loads (through the global hook) and prints tracemalloc's top report of each to
 * stderr when the process exits. For glue that cannot be changed. Configured by environment:
 *
 *   WASM_TRACEMALLOC=N             frames per traceback (default 1; 0 installs nothing)
 *   WASM_TRACEMALLOC_GLUE=app.js   Emscripten glue, read for minified allocator exports
 *   WASM_TRACEMALLOC_ALLOCATORS=malloc=malloc,free=free,realloc=27
 *                                  name the allocator functions: shape=export name, symbol or
 *                                  function index (for stripped builds the detector misses)
 *   WASM_TRACEMALLOC_ROOT=dir      show source files relative to dir (default: the current dir)
 *   WASM_TRACEMALLOC_LIMIT=n       lines per report (default 10)
 *   WASM_TRACEMALLOC_SNAPSHOT=f    also dump each instance's snapshot at exit (f, f.1, f.2, …)
 *
 * Reports are written from the `exit` event, so they come after the program's own output even
 * when the glue calls process.exit(). Only the main thread is traced.
 *
 * It lives with the CLI, not in src/host: it prints reports, and the host stays below the report
 * layer (DESIGN.md: cli uses host and report; host uses snapshot and symbols).
 */
import { writeSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { formatTop } from '../report/top.js';
import { dumpSnapshotSync } from '../snapshot/file.js';
import { nframeFromEnvironment } from '../host/environment.js';
import { installWasmHook } from '../host/globalHook.js';
import type { AllocatorShape, AllocatorSpec } from '../instrument/allocators.js';
import { SHAPE_SIGNATURE } from '../instrument/allocators.js';
import { functionRef } from './allocatorOptions.js';

/** Parses WASM_TRACEMALLOC_ALLOCATORS: `shape=function,…`, a function being a name or an index. */
export function parseAllocatorList(text: string): AllocatorSpec[] {
  return text.split(',').filter((s) => s.trim() !== '').map((item) => {
    const [shape, fn] = item.split('=').map((s) => s.trim());
    if (!shape || !fn || !(shape in SHAPE_SIGNATURE)) {
      throw new Error(
        `WASM_TRACEMALLOC_ALLOCATORS: "${item}" is not shape=function (shapes: ${Object.keys(SHAPE_SIGNATURE).join(', ')}; ` +
          'a function is an export name, a symbol or a function index)',
      );
    }
    return { function: functionRef(fn), shape: shape as AllocatorShape };
  });
}

const env = process.env;
const nframe = nframeFromEnvironment() ?? 1;

// Main thread only: `--import` also runs in every worker thread, including the instrumenter's
// own, where a hook would try to instrument Binaryen's module (minified exports such as "f"
// can match glue names) and start workers of its own, without end.
if (nframe > 0 && isMainThread) {
  const limit = env.WASM_TRACEMALLOC_LIMIT ? Number(env.WASM_TRACEMALLOC_LIMIT) : 10;
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`WASM_TRACEMALLOC_LIMIT=${JSON.stringify(env.WASM_TRACEMALLOC_LIMIT)}: expected a positive integer`);
  const hook = await installWasmHook({
    nframe,
    glue: env.WASM_TRACEMALLOC_GLUE || undefined,
    instrument: env.WASM_TRACEMALLOC_ALLOCATORS ? { allocators: parseAllocatorList(env.WASM_TRACEMALLOC_ALLOCATORS) } : undefined,
    root: env.WASM_TRACEMALLOC_ROOT || process.cwd(),
  });
  process.on('exit', () => {
    const traced = hook.instances.filter((t) => t.tracemalloc.isTracing());
    traced.forEach((t, i) => {
      const snapshot = t.tracemalloc.takeSnapshot();
      const title = traced.length > 1 ? `wasm-tracemalloc: ${t.tracemalloc.module.name || `module ${i + 1}`}\n` : '';
      // Synchronous: the process is exiting, nothing asynchronous runs any more.
      writeSync(2, `${title}${formatTop(snapshot, { limit })}\n`);
      // What the instrumenter could not decide (e.g. no realloc found): after the report, as `run` prints it.
      for (const w of t.report?.warnings ?? []) writeSync(2, `wasm-tracemalloc: warning: ${w}\n`);
      const path = env.WASM_TRACEMALLOC_SNAPSHOT;
      if (path) dumpSnapshotSync(snapshot, i === 0 ? path : `${path}.${i}`, { force: true });
    });
  });
}
