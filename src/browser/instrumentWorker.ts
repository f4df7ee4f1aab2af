/**
 * The instrumenter's Web Worker: Binaryen off the page's main thread, so a page stays
 * responsive while a module is rewritten (seconds for sqlite). One request at a time, in order;
 * errors go back with their class name, so the page can rethrow AllocatorNotFoundError as such.
 *
 * Built as `instrument-worker.js`; Binaryen stays a separate file (`binaryen.js`) beside it.
 * Binaryen's module finishes loading with a top-level await (seconds), and Chromium drops the
 * messages that reach a module worker before its code has run: the worker says "ready" first,
 * and the page sends nothing before that.
 */
import { instrument, type InstrumentOptions } from '../instrument/instrument.js';
import { WORKER_READY, type WorkerReply, type WorkerRequest } from './instrumenter.js';

interface WorkerScope {
  onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null;
  postMessage(message: WorkerReply | typeof WORKER_READY): void;
}

const scope = globalThis as unknown as WorkerScope;
scope.onmessage = (event) => {
  const { id, bytes, options, originalHash } = event.data;
  let reply: WorkerReply;
  try {
    const result = instrument(bytes, options as InstrumentOptions, originalHash);
    reply = { id, ok: true, result };
  } catch (e) {
    const error = e as Error;
    reply = { id, ok: false, name: error.name, message: error.message };
  }
  scope.postMessage(reply);
};

scope.postMessage(WORKER_READY);
