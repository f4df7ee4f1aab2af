/**
 * The worker behind instrumentSync: instruments the module it is given, posts the result on
 * the port it was given, then wakes the caller, which is blocked in Atomics.wait.
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import type { InstrumentOptions, InstrumentResult } from '../instrument/instrument.js';
import { nodeSha256Hex } from '../instrument/worker.js';

/** What the caller sends. */
export interface SyncRequest {
  bytes: Uint8Array;
  options: InstrumentOptions;
  /** Int32Array over a SharedArrayBuffer: set to 1 when the reply is on the port. */
  signal: Int32Array;
  port: MessagePort;
}

/** What the worker replies. */
export type SyncReply = { ok: true; result: InstrumentResult } | { ok: false; name: string; message: string };

const request = workerData as SyncRequest | undefined;
if (request?.signal !== undefined) {
  let reply: SyncReply;
  try {
    // Loaded only here: binaryen.js is large, and the caller's thread never needs it.
    const { instrument } = await import('../instrument/instrument.js');
    reply = { ok: true, result: instrument(request.bytes, request.options, nodeSha256Hex(request.bytes)) };
  } catch (e) {
    const error = e as Error;
    reply = { ok: false, name: error.name, message: error.message };
  }
  request.port.postMessage(reply);
  Atomics.store(request.signal, 0, 1);
  Atomics.notify(request.signal, 0);
}
