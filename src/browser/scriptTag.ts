/**
 * The script-tag form (`wasm-tracemalloc.iife.js`), for an app whose code you do not change:
 * a classic script placed before the app's own scripts installs the global hook at once, and
 * opens the panel when the page has a body.
 *
 *   <script src="wasm-tracemalloc/wasm-tracemalloc.iife.js" data-nframe="4" data-glue="sql-wasm.js"></script>
 *
 * Attributes: `data-nframe` (frames per traceback, default 1), `data-glue` (the app's Emscripten
 * glue URL, for minified allocator exports), `data-interval` (panel timer, ms), `data-panel="off"`
 * (hook only). Everything is also on `window.wasmTracemalloc` (the API, `hook`, `panel`).
 */
import * as api from './index.js';

const script = document.currentScript as HTMLScriptElement | null;
const data = script?.dataset ?? {};
const number = (value: string | undefined) => (value === undefined || value === '' ? undefined : Number(value));

const hook = api.installWasmHook({
  nframe: number(data.nframe) ?? 1,
  glue: data.glue,
});
const state: { hook: api.BrowserWasmHook; panel: api.Panel | null } = { hook, panel: null };
Object.assign(globalThis, { wasmTracemalloc: Object.assign(state, api) });

if (data.panel !== 'off') {
  const open = () => (state.panel = api.openPanel({ hook, interval: number(data.interval) }));
  if (document.body) open();
  else document.addEventListener('DOMContentLoaded', open, { once: true });
}
