/**
 * The page's cache of instrumented modules, in the browser's Cache Storage (per origin, kept
 * across page loads): a second load of the same module skips Binaryen entirely — the worker and
 * binaryen.js are not even fetched.
 *
 * Key: the instrumenter's build id (a hash of src/instrument, src/symbols and binaryen's
 * version, baked in by scripts/build-browser.mjs), the original module's SHA-256, and the
 * instrument options: anything that changes the output changes the key. An entry is
 *   "WTMC" | u32 length of the JSON report | the report (UTF-8) | the instrumented module,
 * and is checked on the way out (it must be instrumented, from this original); a bad one is a
 * miss. Where there is no Cache Storage (pages not served over https or from localhost), or it
 * fails, there is no cache and nothing else changes.
 */
import type { InstrumentOptions, InstrumentReport } from '../instrument/instrument.js';
import { sha256Hex } from '../instrument/sha256.js';
import { SITE_TABLE_SECTION, decodeSiteTable } from '../instrument/siteTable.js';
import { customSection, readWasmModule } from '../symbols/index.js';

declare const __WTM_INSTRUMENTER_ID__: string | undefined;

/** The instrumenter's build id; 'dev' when not built by scripts/build-browser.mjs (then set no cache). */
const INSTRUMENTER_ID = typeof __WTM_INSTRUMENTER_ID__ === 'string' ? __WTM_INSTRUMENTER_ID__ : 'dev';
const CACHE_NAME = 'wasm-tracemalloc-instrumented';
const MAGIC = [0x57, 0x54, 0x4d, 0x43]; // "WTMC"

/** A cached instrumentation. */
export interface CachedModule {
  bytes: Uint8Array;
  report: InstrumentReport;
}

function storage(): CacheStorage | null {
  return INSTRUMENTER_ID !== 'dev' && typeof caches !== 'undefined' ? caches : null;
}

/** The cache's request for a module: a URL of the page's origin that is never fetched. */
function entryUrl(originalHash: string, options: InstrumentOptions): string {
  const optionsHash = sha256Hex(new TextEncoder().encode(JSON.stringify(options))).slice(0, 16);
  return new URL(`/.wasm-tracemalloc-cache/${INSTRUMENTER_ID}/${originalHash}-${optionsHash}.wtm`, globalThis.location?.href).href;
}

/** The cached instrumentation of a module, or null (a miss, no Cache Storage, a bad entry). */
export async function lookupCached(originalHash: string, options: InstrumentOptions): Promise<CachedModule | null> {
  const cacheStorage = storage();
  if (cacheStorage === null) return null;
  try {
    const response = await (await cacheStorage.open(CACHE_NAME)).match(entryUrl(originalHash, options));
    if (response === undefined) return null;
    return decodeEntry(new Uint8Array(await response.arrayBuffer()), originalHash);
  } catch {
    return null;
  }
}

/** Keeps an instrumentation for the next page load; failures (quota, no storage) are ignored. */
export async function storeCached(originalHash: string, options: InstrumentOptions, module: CachedModule): Promise<void> {
  const cacheStorage = storage();
  if (cacheStorage === null) return;
  try {
    const report = new TextEncoder().encode(JSON.stringify(module.report));
    const entry = new Uint8Array(8 + report.length + module.bytes.length);
    entry.set(MAGIC);
    new DataView(entry.buffer).setUint32(4, report.length, true);
    entry.set(report, 8);
    entry.set(module.bytes, 8 + report.length);
    await (await cacheStorage.open(CACHE_NAME)).put(entryUrl(originalHash, options), new Response(entry, { headers: { 'content-type': 'application/octet-stream' } }));
  } catch {
    // A cache that cannot be written is no cache.
  }
}

function decodeEntry(entry: Uint8Array, originalHash: string): CachedModule | null {
  if (entry.length < 8 || MAGIC.some((b, i) => entry[i] !== b)) return null;
  const length = new DataView(entry.buffer, entry.byteOffset).getUint32(4, true);
  if (8 + length > entry.length) return null;
  const report = JSON.parse(new TextDecoder().decode(entry.subarray(8, 8 + length))) as InstrumentReport;
  const bytes = entry.slice(8 + length);
  const sites = customSection(readWasmModule(bytes), SITE_TABLE_SECTION);
  if (sites === undefined || decodeSiteTable(sites).originalHash !== originalHash) return null;
  return { bytes, report };
}
