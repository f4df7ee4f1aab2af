/**
 * The files the browser build ships beside its bundle, found relative to it: the trace table
 * module (`tracetable.wasm`) and the instrumenter's Web Worker (`instrument-worker.js`, which
 * imports `binaryen.js` beside it).
 *
 * `import.meta.url` is the bundle's own URL in the ES module build; the classic-script build
 * (script-tag form) replaces it at build time with the URL of its `<script src>`. `setAssetBase`
 * moves them (a CDN, a bundler that copied them elsewhere).
 */
import sourceMap from 'source-map';
import { engine } from '../host/wasmApi.js';

let base: URL | null = null;
let tableModule: Promise<WebAssembly.Module> | null = null;

/** Serves the trace table and the worker from `url` (a directory URL, ending in `/`). */
export function setAssetBase(url: string | URL): void {
  base = new URL(url, globalThis.location?.href);
  tableModule = null;
}

/** URL of one shipped file. */
export function assetUrl(name: string): URL {
  return new URL(name, base ?? import.meta.url);
}

/**
 * The trace table module, fetched and compiled once per page with the engine's own functions
 * (a global hook in place must not see it).
 */
export function loadTableModule(): Promise<WebAssembly.Module> {
  tableModule ??= (async () => {
    const url = assetUrl('tracetable.wasm');
    const response = await fetch(url);
    if (!response.ok) throw new Error(`cannot load the trace table ${url.href}: HTTP ${response.status} (it ships beside the wasm-tracemalloc bundle)`);
    return engine.compile(await response.arrayBuffer());
  })();
  tableModule.catch(() => (tableModule = null)); // a later call may retry
  return tableModule;
}

let sourceMapsReady = false;

/** Points source-map's parser at its mappings.wasm beside the bundle (it cannot find it alone in a page). */
export function prepareSourceMaps(): void {
  if (sourceMapsReady) return;
  sourceMapsReady = true;
  (sourceMap.SourceMapConsumer as unknown as { initialize(urls: Record<string, string>): void }).initialize({
    'lib/mappings.wasm': assetUrl('mappings.wasm').href,
  });
}
