/**
 * wasm-tracemalloc for browsers (`wasm-tracemalloc/browser`, `dist/browser/wasm-tracemalloc.js`):
 * the host with no Node built-ins. Binaryen runs in a Web Worker (`instrument-worker.js` +
 * `binaryen.js`), the trace table is `tracetable.wasm`, the demangler `demangle.wasm`; all ship
 * beside this bundle.
 *
 *   import { emscriptenInstantiateWasm, openPanel } from './wasm-tracemalloc.js';
 *   const tracing = emscriptenInstantiateWasm({ wasm: 'sql-wasm.wasm', glue: 'sql-wasm.js', nframe: 4 });
 *   const SQL = await initSqlJs({ instantiateWasm: tracing.instantiateWasm });
 *   openPanel({ traced: await tracing.traced });
 *
 * Routes: `instantiateTraced` (your own imports), `emscriptenInstantiateWasm` /
 * `withEmscriptenTracing` (glue that takes `Module.instantiateWasm`), `installWasmHook` (glue
 * that accepts nothing). docs/browser.md has the details.
 */
import './demangle.js'; // C++ and Rust names demangled with demangle.wasm beside the bundle
export { instantiateTraced, compileTraced, createTraceTable, type BrowserInstantiateOptions } from './instantiate.js';
export {
  emscriptenInstantiateWasm, withEmscriptenTracing, glueInstrumentOptions,
  type BrowserEmscriptenOptions, type EmscriptenTracing, type WasmSource, type GlueSource,
} from './emscripten.js';
export { installWasmHook, currentWasmHook, type BrowserWasmHook, type BrowserWasmHookOptions } from './wasmHook.js';
export { openPanel, type Panel, type PanelOptions } from './panel/panel.js';
export { toPprofBytes, snapshotBytes } from './downloads.js';
export { setAssetBase } from './assets.js';
export { version, type TracedInstance } from '../host/tracedModule.js';
export { Tracemalloc, NotTracingError } from '../host/tracer.js';
export { TracingSetupError } from '../host/errors.js';
export { AllocatorNotFoundError } from '../instrument/allocators.js';
export { InstrumentError } from '../instrument/errors.js';
export { Snapshot, Filter, Statistic, StatisticDiff, Traceback, Frame, formatSize, type GroupBy } from '../snapshot/index.js';
