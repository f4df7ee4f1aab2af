/**
 * The browser's instrumenter: Binaryen in a module Web Worker (instrumentWorker.ts), behind two
 * caches keyed by the module's SHA-256 and the instrument options: one in the page (a module
 * loaded twice is instrumented once), and the origin's Cache Storage (moduleCache.ts: the next
 * page load does not run Binaryen, nor even fetch it).
 */
import { AllocatorNotFoundError } from '../instrument/allocators.js';
import { InstrumentError } from '../instrument/errors.js';
import type { InstrumentOptions, InstrumentResult } from '../instrument/instrument.js';
import { sha256Hex } from '../instrument/sha256.js';
import type { Instrumented, Instrumenter } from '../host/tracedModule.js';
import { assetUrl } from './assets.js';
import { lookupCached, storeCached } from './moduleCache.js';

/** A request to the worker. */
export interface WorkerRequest {
  id: number;
  bytes: Uint8Array;
  options: InstrumentOptions;
  /** SHA-256 of `bytes`, lowercase hex: the page has it already (its cache key). */
  originalHash?: string;
}

/** The worker's answer. */
export type WorkerReply = { id: number } & ({ ok: true; result: InstrumentResult } | { ok: false; name: string; message: string });

/** The worker's first message: Binaryen is loaded, requests may come. */
export const WORKER_READY = 'wasm-tracemalloc instrumenter ready';

let worker: Worker | null = null;
/** Resolves when the current worker said it is ready. */
let workerReady: Promise<void> = Promise.resolve();
const pending = new Map<number, { resolve(r: InstrumentResult): void; reject(e: Error): void }>();
let nextId = 1;
const cache = new Map<string, Promise<Instrumented>>();

function sharedWorker(): Worker {
  if (worker !== null) return worker;
  const url = assetUrl('instrument-worker.js');
  const w = new Worker(url, { type: 'module', name: 'wasm-tracemalloc instrumenter' });
  let ready!: () => void;
  workerReady = new Promise((resolve) => (ready = resolve));
  w.onmessage = (event: MessageEvent<WorkerReply | typeof WORKER_READY>) => {
    const reply = event.data;
    if (reply === WORKER_READY) return ready();
    const p = pending.get(reply.id);
    if (p === undefined) return;
    pending.delete(reply.id);
    if (reply.ok) p.resolve(reply.result);
    else p.reject(rebuildError(reply.name, reply.message));
    // An Emscripten abort leaves that Binaryen instance unusable: start afresh next time.
    if (!reply.ok && reply.message.startsWith('Aborted(')) dropWorker(w);
  };
  w.onerror = (event) => {
    event.preventDefault();
    failAll(w, new Error(`the instrumenter's worker (${url.href}) failed: ${event.message || 'it could not be loaded'}`));
  };
  worker = w;
  return w;
}

function dropWorker(w: Worker): void {
  if (worker === w) worker = null;
  w.terminate();
}

function failAll(w: Worker, error: Error): void {
  dropWorker(w);
  for (const p of pending.values()) p.reject(error);
  pending.clear();
}

function rebuildError(name: string, message: string): Error {
  if (name === 'AllocatorNotFoundError') return new AllocatorNotFoundError(message);
  if (name === 'InstrumentError') return new InstrumentError(message);
  const error = new Error(message);
  error.name = name;
  return error;
}

/** Instruments `bytes` (whose SHA-256 is `originalHash`, if known) in the worker; errors keep their class. */
export function instrumentInWebWorker(bytes: Uint8Array, options: InstrumentOptions = {}, originalHash?: string): Promise<InstrumentResult> {
  const w = sharedWorker();
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    void workerReady.then(() => w.postMessage({ id, bytes, options, originalHash } satisfies WorkerRequest));
  });
}

/** The Instrumenter of the browser build: the in-page cache, the origin's cache, else the worker. */
export const browserInstrumenter: Instrumenter = (bytes, options) => {
  const hash = sha256Hex(bytes);
  const instrumentOptions = options.instrument ?? {};
  const key = `${hash}/${JSON.stringify(instrumentOptions)}`;
  let entry = cache.get(key);
  if (entry === undefined) {
    entry = instrumentOrRead(bytes, hash, instrumentOptions, options.cache !== false);
    entry.catch(() => cache.delete(key));
    cache.set(key, entry);
    return entry;
  }
  return entry.then((r) => ({ ...r, fromCache: true }));
};

async function instrumentOrRead(bytes: Uint8Array, hash: string, options: InstrumentOptions, useCache: boolean): Promise<Instrumented> {
  const cached = useCache ? await lookupCached(hash, options) : null;
  if (cached !== null) return { bytes: cached.bytes, report: cached.report, originalHash: hash, fromCache: true };
  const result = await instrumentInWebWorker(bytes, options, hash);
  if (useCache) await storeCached(hash, options, { bytes: result.bytes, report: result.report });
  return { bytes: result.bytes, report: result.report, originalHash: result.originalHash, fromCache: false };
}
