/**
 * Instrumenting synchronously, for `new WebAssembly.Module(bytes)` under the global hook.
 *
 * A synchronous constructor cannot await the instrumenter's worker, and binaryen.js cannot be
 * loaded synchronously (it is an ES module with top-level await). So the caller's thread starts
 * the worker and blocks in `Atomics.wait` until the worker has posted its result on a
 * MessagePort and notified; `receiveMessageOnPort` then reads the result without the event
 * loop. The caller's thread is blocked meanwhile (seconds on a large module, once: the result
 * goes to the cache). Node only: browsers forbid Atomics.wait on the main thread.
 */
import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AllocatorNotFoundError } from '../instrument/allocators.js';
import { InstrumentError } from '../instrument/errors.js';
import type { InstrumentOptions, InstrumentResult } from '../instrument/instrument.js';
import { workerEntry } from '../instrument/workerEntry.js';
import type { SyncReply, SyncRequest } from './instrumentSyncWorker.js';

/** The worker's module, beside this one (.ts when running from sources, .js compiled). */
const WORKER_MODULE = new URL(`./instrumentSyncWorker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);
const STACK_MB = 256;
/** Longest wait for the worker; a bigger module than any seen so far takes ~10 s. */
const TIMEOUT_MS = 5 * 60 * 1000;

/** Instruments `bytes` in a worker while this thread waits. Errors keep their class. */
export function instrumentSync(bytes: Uint8Array, options: InstrumentOptions = {}): InstrumentResult {
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(workerEntry(WORKER_MODULE), {
    workerData: { bytes, options, signal, port: port2 } satisfies SyncRequest,
    transferList: [port2],
    resourceLimits: { stackSizeMb: STACK_MB },
    // Not the caller's --import preloads: a tracing preload in the instrumenter's thread would hook Binaryen.
    execArgv: [],
  });
  try {
    if (Atomics.wait(signal, 0, 0, TIMEOUT_MS) === 'timed-out') {
      throw new Error(`the instrumenter's worker did not answer within ${TIMEOUT_MS / 1000} s`);
    }
    const message = receiveMessageOnPort(port1);
    if (message === undefined) throw new Error("the instrumenter's worker woke the caller without a result");
    const reply = message.message as SyncReply;
    if (reply.ok) return reply.result;
    if (reply.name === 'AllocatorNotFoundError') throw new AllocatorNotFoundError(reply.message);
    if (reply.name === 'InstrumentError') throw new InstrumentError(reply.message);
    throw new Error(reply.message);
  } finally {
    port1.close();
    void worker.terminate();
  }
}
