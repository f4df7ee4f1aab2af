/**
 * A disk cache of instrumented modules, so that running the same program twice skips Binaryen
 * (seconds on a large module; reading the cache takes milliseconds).
 *
 * Key: SHA-256 of the original module's hash, the instrumenter's fingerprint (its own code,
 * binaryen's version, the frame depth) and the instrument options. Anything that changes the
 * output changes the key, so an entry is never stale; old entries are simply never read again.
 *
 * Directory: `$WASM_TRACEMALLOC_CACHE`, else `node_modules/.cache/wasm-tracemalloc` of the
 * nearest node_modules above the current directory, else `<os tmpdir>/wasm-tracemalloc-cache`.
 *
 * One entry is one file, written to a temporary name and renamed (atomic on one file system),
 * so a reader sees a whole entry or none. An entry that fails its checks (magic, lengths, key,
 * trailing SHA-256) is ignored and rebuilt: a cache must never be the reason a run fails.
 *
 *   entry file  <key>.wtm
 *   ┌──────────────┬──────────────┬──────────────┬───────────────┬────────────────────┐
 *   │ magic "WTMC" │ version u32  │ json len u32 │ json (UTF-8)  │ instrumented wasm  │ sha256 (32 bytes)
 *   └──────────────┴──────────────┴──────────────┴───────────────┴────────────────────┘
 *   json = { key, report }; the checksum covers every byte before it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, parse } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_FRAMES } from '../instrument/abi.js';
import type { InstrumentOptions, InstrumentReport } from '../instrument/instrument.js';
import { instrumentInWorker, nodeSha256Hex } from '../instrument/worker.js';
import { cacheDirectoryFromEnvironment } from './environment.js';

const MAGIC = 0x434d5457; // "WTMC" little-endian
const FORMAT_VERSION = 1;
const HEADER_BYTES = 12;
const CHECKSUM_BYTES = 32;
const ENTRY_SUFFIX = '.wtm';

/** Where the cache lives: a directory, or `false` for no cache. Default: see the module comment. */
export type CacheSetting = string | boolean | undefined;

/** An instrumented module, from the instrumenter or from the cache. */
export interface CachedInstrumentation {
  /** The instrumented module's bytes. */
  bytes: Uint8Array;
  /** What the instrumenter did. */
  report: InstrumentReport;
  /** SHA-256 of the original module, lowercase hex. */
  originalHash: string;
  /** True when the bytes were read from the cache (Binaryen did not run). */
  fromCache: boolean;
  /** The entry file, or null when the cache is off or could not be written. */
  cacheFile: string | null;
}

/** The cache directory a setting resolves to, or null when caching is off. */
export function resolveCacheDirectory(setting: CacheSetting = undefined, cwd: string = process.cwd()): string | null {
  if (setting === false) return null;
  if (typeof setting === 'string') return setting;
  const fromEnv = cacheDirectoryFromEnvironment();
  if (fromEnv === false) return null;
  if (fromEnv !== undefined) return fromEnv;
  for (let dir = cwd; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules'))) return join(dir, 'node_modules', '.cache', 'wasm-tracemalloc');
    if (dir === parse(dir).root) break;
  }
  return join(tmpdir(), 'wasm-tracemalloc-cache');
}

let fingerprint: string | undefined;

/**
 * What identifies the instrumenter's output apart from its input: its code (every source or
 * compiled file of src/instrument and src/symbols, which it reads modules with), binaryen's
 * package.json, and the frame depth. Computed once per process (a few hundred KB hashed).
 */
export function instrumenterFingerprint(): string {
  if (fingerprint !== undefined) return fingerprint;
  const hash = createHash('sha256');
  hash.update(`frames=${MAX_FRAMES};format=${FORMAT_VERSION};`);
  const self = fileURLToPath(import.meta.url);
  const ext = self.endsWith('.ts') ? '.ts' : '.js';
  const hashDir = (dir: string): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    } catch {
      return;
    }
    for (const e of entries) {
      const path = join(dir, e.name);
      if (e.isDirectory()) hashDir(path);
      else if (e.name.endsWith(ext)) hash.update(e.name).update(readFileSync(path));
    }
  };
  hashDir(join(dirname(self), '..', 'instrument'));
  hashDir(join(dirname(self), '..', 'symbols'));
  try {
    const binaryenMain = fileURLToPath(import.meta.resolve('binaryen'));
    hash.update(readFileSync(join(dirname(binaryenMain), 'package.json')));
  } catch {
    hash.update('binaryen:unknown');
  }
  fingerprint = hash.digest('hex');
  return fingerprint;
}

/** Stable JSON (sorted keys) of the instrument options, part of the key. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The cache key of instrumenting a module with this hash and these options. */
export function cacheKey(originalHash: string, options: InstrumentOptions = {}): string {
  return createHash('sha256').update(`${originalHash}\0${instrumenterFingerprint()}\0${stableJson(options)}`).digest('hex');
}

/** Reads an entry; null if it is missing or fails any check (the caller rebuilds it). */
export function readCacheEntry(file: string, key: string): { bytes: Uint8Array; report: InstrumentReport } | null {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch {
    return null;
  }
  if (data.length < HEADER_BYTES + CHECKSUM_BYTES) return null;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (view.getUint32(0, true) !== MAGIC || view.getUint32(4, true) !== FORMAT_VERSION) return null;
  const jsonLength = view.getUint32(8, true);
  const bodyEnd = data.length - CHECKSUM_BYTES;
  if (HEADER_BYTES + jsonLength > bodyEnd) return null;
  const checksum = createHash('sha256').update(data.subarray(0, bodyEnd)).digest();
  if (!checksum.equals(data.subarray(bodyEnd))) return null;
  let meta: { key?: unknown; report?: unknown };
  try {
    meta = JSON.parse(data.subarray(HEADER_BYTES, HEADER_BYTES + jsonLength).toString('utf8')) as typeof meta;
  } catch {
    return null;
  }
  if (meta.key !== key || typeof meta.report !== 'object' || meta.report === null) return null;
  // A copy, not a view: the caller may transfer or keep it, and the file buffer can go.
  const bytes = new Uint8Array(data.subarray(HEADER_BYTES + jsonLength, bodyEnd));
  return { bytes, report: meta.report as InstrumentReport };
}

/** Writes an entry atomically (temporary file, then rename). Returns false if it could not. */
export function writeCacheEntry(file: string, key: string, bytes: Uint8Array, report: InstrumentReport): boolean {
  const json = Buffer.from(JSON.stringify({ key, report }), 'utf8');
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32LE(MAGIC, 0);
  header.writeUInt32LE(FORMAT_VERSION, 4);
  header.writeUInt32LE(json.length, 8);
  const body = Buffer.concat([header, json, bytes]);
  const checksum = createHash('sha256').update(body).digest();
  const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(temporary, Buffer.concat([body, checksum]));
    renameSync(temporary, file);
    return true;
  } catch {
    try {
      unlinkSync(temporary);
    } catch {
      // never written
    }
    return false;
  }
}

/** The entry file of a key in a cache directory. */
export function cacheEntryPath(directory: string, key: string): string {
  return join(directory, `${key}${ENTRY_SUFFIX}`);
}

/** Looks a module up in the cache without instrumenting; null on a miss (or with the cache off). */
export function lookupInstrumented(original: Uint8Array, options: InstrumentOptions = {}, cache: CacheSetting = undefined): CachedInstrumentation | null {
  const directory = resolveCacheDirectory(cache);
  if (directory === null) return null;
  const originalHash = nodeSha256Hex(original);
  const key = cacheKey(originalHash, options);
  const file = cacheEntryPath(directory, key);
  const hit = readCacheEntry(file, key);
  return hit === null ? null : { ...hit, originalHash, fromCache: true, cacheFile: file };
}

/** Stores an instrumented module; returns the entry file, or null if the cache is off or unwritable. */
export function storeInstrumented(
  originalHash: string,
  options: InstrumentOptions,
  bytes: Uint8Array,
  report: InstrumentReport,
  cache: CacheSetting = undefined,
): string | null {
  const directory = resolveCacheDirectory(cache);
  if (directory === null) return null;
  const key = cacheKey(originalHash, options);
  const file = cacheEntryPath(directory, key);
  if (writeCacheEntry(file, key, bytes, report)) return file;
  warnUnwritable(directory);
  return null;
}

let warnedUnwritable = false;

function warnUnwritable(directory: string): void {
  if (warnedUnwritable) return;
  warnedUnwritable = true;
  process.emitWarning(`wasm-tracemalloc: cannot write the module cache in ${directory}; modules will be instrumented on every run (set WASM_TRACEMALLOC_CACHE to a writable directory, or to "off")`);
}

/**
 * Instruments `original` in a worker, or reads the result from the cache. The worker runs only
 * on a miss; its result is then stored for the next run.
 */
export async function instrumentCached(original: Uint8Array, options: InstrumentOptions = {}, cache: CacheSetting = undefined): Promise<CachedInstrumentation> {
  const hit = lookupInstrumented(original, options, cache);
  if (hit !== null) return hit;
  const result = await instrumentInWorker(original, options);
  const cacheFile = storeInstrumented(result.originalHash, options, result.bytes, result.report, cache);
  return { bytes: result.bytes, report: result.report, originalHash: result.originalHash, fromCache: false, cacheFile };
}
