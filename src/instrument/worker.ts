/**
 * Runs `instrument` in a worker thread with a large stack.
 *
 * Binaryen's recursive C++ (the validator, `emitBinary`) overflows the default thread stack on
 * big modules (DESIGN.md); a worker gets its own stack size, and the caller's event loop stays
 * free meanwhile.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { InstrumentOptions, InstrumentResult } from './instrument.js';
import { InstrumentError } from './errors.js';
import { AllocatorNotFoundError } from './allocators.js';

const STACK_MB = 256;

interface WorkerRequest {
  bytes: Uint8Array;
  options: InstrumentOptions;
}

type WorkerReply = { ok: true; result: InstrumentResult } | { ok: false; name: string; message: string };

/** Instruments `bytes` in a worker thread; errors keep their class (InstrumentError, AllocatorNotFoundError). */
export function instrumentInWorker(bytes: Uint8Array, options: InstrumentOptions = {}): Promise<InstrumentResult> {
  const self = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerEntry(self), {
      workerData: { bytes, options } satisfies WorkerRequest,
      resourceLimits: { stackSizeMb: STACK_MB },
    });
    worker.once('message', (reply: WorkerReply) => {
      if (reply.ok) resolve(reply.result);
      else if (reply.name === 'AllocatorNotFoundError') reject(new AllocatorNotFoundError(reply.message));
      else if (reply.name === 'InstrumentError') reject(new InstrumentError(reply.message));
      else reject(new Error(reply.message));
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the instrumenter's worker stopped with exit code ${code}`));
    });
  });
}

/**
 * The worker's entry: this file. When running from TypeScript sources (tests, `tsx`), the
 * compiled copy in dist/ if it is newer than every source it is built from (tsx's loader takes
 * ~30 s to load binaryen.js's 15 MB), else a bootstrap that registers tsx first (Node 20 workers
 * do not inherit it).
 */
function workerEntry(self: string): URL | string {
  if (!self.endsWith('.ts')) return self;
  const src = dirname(dirname(self));
  const compiled = join(dirname(src), 'dist', 'instrument', 'worker.js');
  if (isNewerThanSources(compiled, [join(src, 'instrument'), join(src, 'symbols')])) return compiled;
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(import.meta.url)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}

function isNewerThanSources(file: string, sourceDirs: string[]): boolean {
  let built: number;
  try {
    built = statSync(file).mtimeMs;
  } catch {
    return false;
  }
  const newest = (dir: string): number =>
    Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((e) =>
      e.isDirectory() ? newest(join(dir, e.name)) : e.name.endsWith('.ts') ? statSync(join(dir, e.name)).mtimeMs : 0));
  return sourceDirs.every((d) => newest(d) <= built);
}

if (!isMainThread && parentPort !== null && (workerData as WorkerRequest | undefined)?.bytes !== undefined) {
  const request = workerData as WorkerRequest;
  let reply: WorkerReply;
  try {
    // Loaded only here: binaryen.js is large, and the caller's thread never needs it.
    const { instrument } = await import('./instrument.js');
    reply = { ok: true, result: instrument(request.bytes, request.options) };
  } catch (e) {
    const error = e as Error;
    reply = { ok: false, name: error.name, message: error.message };
  }
  parentPort.postMessage(reply);
}
