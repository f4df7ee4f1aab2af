/**
 * The environment variables wasm-tracemalloc reads, parsed in one place.
 *
 * `WASM_TRACEMALLOC=N` is Python's `PYTHONTRACEMALLOC=N`: start tracing at startup, storing
 * N frames per traceback; 0 means "do not start". It applies wherever the caller did not say
 * (`instantiateTraced` without `nframe`, `wasm-tracemalloc run` without `--nframe`, the
 * global hook). A bad value is an error, never ignored: a user who set it wants tracing.
 *
 * `WASM_TRACEMALLOC_CACHE=dir` moves the cache of instrumented modules (moduleCache.ts);
 * `off` (or `0`, `false`) turns it off.
 */
import { MAX_FRAMES } from '../instrument/abi.js';

/** Name of the variable holding the frame count to trace with from startup. */
export const NFRAME_VARIABLE = 'WASM_TRACEMALLOC';
/** Name of the variable holding the cache directory of instrumented modules. */
export const CACHE_VARIABLE = 'WASM_TRACEMALLOC_CACHE';

/** Thrown when a wasm-tracemalloc environment variable holds a value it cannot use. */
export class EnvironmentError extends Error {
  override name = 'EnvironmentError';
}

/** The variables of this process, or an empty set where there is no `process` (browsers). */
export function processEnvironment(): Record<string, string | undefined> {
  return typeof process !== 'undefined' && process.env ? process.env : {};
}

/**
 * The frame count `WASM_TRACEMALLOC` asks for: undefined when unset or empty, 0 for "do not
 * start", 1..16 to start with that many frames. Anything else throws an EnvironmentError.
 */
export function nframeFromEnvironment(env: Record<string, string | undefined> = processEnvironment()): number | undefined {
  const raw = env[NFRAME_VARIABLE];
  if (raw === undefined || raw.trim() === '') return undefined;
  const text = raw.trim();
  const n = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n > MAX_FRAMES) {
    throw new EnvironmentError(
      `${NFRAME_VARIABLE}=${JSON.stringify(raw)}: invalid number of frames; expected an integer from 0 (do not trace) ` +
        `to ${MAX_FRAMES}, as PYTHONTRACEMALLOC takes`,
    );
  }
  return n;
}

/** What `WASM_TRACEMALLOC_CACHE` says: a directory, `false` (turned off), or undefined (unset). */
export function cacheDirectoryFromEnvironment(env: Record<string, string | undefined> = processEnvironment()): string | false | undefined {
  const raw = env[CACHE_VARIABLE];
  if (raw === undefined || raw === '') return undefined;
  if (/^(off|0|false|no)$/i.test(raw.trim())) return false;
  return raw;
}
