/**
 * Runs `instrument` in a worker thread with a large stack.
 *
 * Binaryen's recursive C++ (the validator, `emitBinary`) overflows the default thread stack on
 * big modules (DESIGN.md); a worker gets its own stack size, and the caller's event loop stays
 * free meanwhile. One worker serves every request of the process (loading binaryen.js costs
 * ~1.5 s); it is unref'd, so it never keeps the process alive, and a crashed one is replaced.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { InstrumentOptions, InstrumentResult } from './instrument.js';
import { InstrumentError } from './errors.js';
import { AllocatorNotFoundError } from './allocators.js';

const STACK_MB = 256;
/** Marks this worker's messages, so the entry code never answers a worker of someone else's. */
const CHANNEL = 'wasm-tracemalloc/instrument';

interface WorkerRequest {
  channel: typeof CHANNEL;
  id: number;
  bytes: Uint8Array;
  options: InstrumentOptions;
}

type WorkerReply = { id: number } & ({ ok: true; result: InstrumentResult } | { ok: false; name: string; message: string });

interface Pending {
  resolve(result: InstrumentResult): void;
  reject(error: Error): void;
}

let shared: { worker: Worker; pending: Map<number, Pending> } | null = null;
let nextId = 1;

function sharedWorker(): { worker: Worker; pending: Map<number, Pending> } {
  if (shared !== null) return shared;
  const worker = new Worker(workerEntry(fileURLToPath(import.meta.url)), {
    workerData: CHANNEL,
    resourceLimits: { stackSizeMb: STACK_MB },
    // Not the parent's --import preloads (a tracing hook would instrument Binaryen itself).
    execArgv: [],
  });
  const pending = new Map<number, Pending>();
  const current = { worker, pending };
  const failAll = (error: Error): void => {
    if (shared === current) shared = null;
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  worker.on('message', (reply: WorkerReply) => {
    const p = pending.get(reply.id);
    if (p === undefined) return;
    pending.delete(reply.id);
    if (pending.size === 0) worker.unref();
    // An Emscripten abort inside binaryen.js leaves that instance unusable: start afresh next time.
    if (!reply.ok && reply.message.startsWith('Aborted(')) {
      if (shared === current) shared = null;
      void worker.terminate();
    }
    if (reply.ok) p.resolve(reply.result);
    else if (reply.name === 'AllocatorNotFoundError') p.reject(new AllocatorNotFoundError(reply.message));
    else if (reply.name === 'InstrumentError') p.reject(new InstrumentError(reply.message));
    else p.reject(new Error(reply.message));
  });
  worker.on('error', failAll);
  worker.on('exit', (code) => failAll(new Error(`the instrumenter's worker stopped with exit code ${code}`)));
  shared = current;
  return current;
}

/** Instruments `bytes` in the worker thread; errors keep their class (InstrumentError, AllocatorNotFoundError). */
export function instrumentInWorker(bytes: Uint8Array, options: InstrumentOptions = {}): Promise<InstrumentResult> {
  const { worker, pending } = sharedWorker();
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    worker.ref(); // keep the process alive until the answer comes
    worker.postMessage({ channel: CHANNEL, id, bytes, options } satisfies WorkerRequest);
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

// Only in the worker started above: a user's own worker importing this library is left alone.
if (!isMainThread && parentPort !== null && workerData === CHANNEL) {
  const port = parentPort;
  port.on('message', async (request: WorkerRequest) => {
    if (request?.channel !== CHANNEL) return;
    let reply: WorkerReply;
    try {
      // Loaded only here: binaryen.js is large, and the caller's thread never needs it.
      const { instrument } = await import('./instrument.js');
      reply = { id: request.id, ok: true, result: instrument(request.bytes, request.options) };
    } catch (e) {
      const error = e as Error;
      reply = { id: request.id, ok: false, name: error.name, message: error.message };
    }
    port.postMessage(reply);
  });
}
