/**
 * C++ and Rust names demangled in the page: gecko-profiler-demangle's glue is bundled, its Wasm
 * (`demangle.wasm`, 0.5 MB) ships beside the bundle and is fetched the first time a name needs
 * it. Importing this module points the symbolizer's demangler there (Node reads it from
 * node_modules instead).
 */
import * as glue from 'gecko-profiler-demangle/index_bg.js';
import { demanglerFrom, setDemanglerLoader, type Demangler } from '../symbols/index.js';
import { engine } from '../host/wasmApi.js';
import { assetUrl } from './assets.js';

/** Fetches demangle.wasm beside the bundle and wires it to the bundled glue. */
async function loadBrowserDemangler(): Promise<Demangler> {
  const url = assetUrl('demangle.wasm');
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot load ${url.href}: HTTP ${response.status} (it ships beside the wasm-tracemalloc bundle)`);
  const module = await engine.compile(await response.arrayBuffer());
  return demanglerFrom(glue, (imports) => engine.instantiate(module, imports));
}

setDemanglerLoader(loadBrowserDemangler);
