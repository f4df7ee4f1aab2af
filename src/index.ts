/**
 * wasm-tracemalloc: Python's tracemalloc for WebAssembly.
 *
 *   const { instance, tracemalloc } = await instantiate(bytes, imports, { nframe: 1 });
 *   ... run the program ...
 *   for (const stat of tracemalloc.takeSnapshot().statistics('lineno').slice(0, 10)) console.log(String(stat));
 *
 * The snapshot API alone (no engine, browser-safe) is `wasm-tracemalloc/snapshot`.
 */
export { instantiateTraced as instantiate, type InstantiateOptions, type TracedInstance } from './host/instantiate.js';
export { Tracemalloc, NotTracingError, type TracedModuleInfo } from './host/tracer.js';
export { runWasi, type RunWasiOptions, type WasiRunResult } from './host/wasiRunner.js';
export {
  emscriptenInstantiateWasm,
  withEmscriptenTracing,
  type EmscriptenTraceOptions,
  type EmscriptenTracing,
} from './host/emscripten.js';
export { installWasmHook, currentWasmHook, type WasmHook, type WasmHookOptions } from './host/globalHook.js';
export { instantiateSideModule, type SideModuleOptions, type TracedSideModule } from './host/sideModule.js';
export {
  emscriptenDynamicTracing,
  LinkedSiteFrames,
  type EmscriptenDynamicTraceOptions,
  type EmscriptenDynamicTracing,
  type LinkedSideModule,
} from './host/dynamicLinking.js';
export { instantiateSelfContained, attachSelfContained, isSelfContained } from './host/selfContained.js';
export { TracingSetupError } from './host/errors.js';
export { EnvironmentError, NFRAME_VARIABLE, CACHE_VARIABLE } from './host/environment.js';
export { instrumentInWorker as instrument } from './instrument/worker.js';
export type { InstrumentOptions, InstrumentReport, InstrumentResult } from './instrument/instrument.js';
export { InstrumentError } from './instrument/errors.js';
export { AllocatorNotFoundError, type AllocatorShape, type AllocatorSpec } from './instrument/allocators.js';
export { formatTop, type TopOptions } from './report/top.js';
export {
  benchWasi,
  instantiateProbed,
  type BenchOptions,
  type ProbeOptions,
  type ProbedInstance,
  type AllocatorReport,
  type HistogramRow,
  type GrowthRow,
  type TemporaryRow,
} from './host/allocatorBench.js';
export { formatAllocatorReports, type AllocatorReportFormat } from './report/allocatorReport.js';
export {
  expectAllocations,
  measureAllocations,
  checkLimits,
  formatAllocationReport,
  AllocationLimitError,
  type AllocationLimits,
  type GateOptions,
  type AllocationMeasurement,
  type LimitViolation,
} from './report/gate.js';
export * from './snapshot/index.js';
export { dumpSnapshot, dumpSnapshotSync, loadSnapshot, loadSnapshotSync, FileExistsError, type DumpOptions } from './snapshot/file.js';
