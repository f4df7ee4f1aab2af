/**
 * Runs `instrument` in a worker thread with a large stack.
 *
 * Binaryen's recursive C++ (the validator, `emitBinary`) overflows the default thread stack on
 * big modules (DESIGN.md); a worker gets its own stack size, and the caller's event loop stays
 * free meanwhile. One worker serves every request of the process (loading binaryen.js costs
 * ~1.5 s); it is unref'd, so it never keeps the process alive, and a crashed one is replaced.
 */
import { createHash } from 'node:crypto';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { InstrumentOptions, InstrumentResult } from './instrument.js';
import { InstrumentError } from './errors.js';
import { AllocatorNotFoundError } from './allocators.js';
import { workerEntry } from './workerEntry.js';

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
  const worker = new Worker(workerEntry(new URL(import.meta.url)), {
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
 * SHA-256 of `bytes`, lowercase hex, by Node's native crypto: ~25× the speed of sha256.ts (pure
 * JS, for browsers) on a 5 MB module. For the Node-only code: these workers, the module cache.
 */
export function nodeSha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
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
      reply = { id: request.id, ok: true, result: instrument(request.bytes, request.options, nodeSha256Hex(request.bytes)) };
    } catch (e) {
      const error = e as Error;
      reply = { id: request.id, ok: false, name: error.name, message: error.message };
    }
    port.postMessage(reply);
  });
}
