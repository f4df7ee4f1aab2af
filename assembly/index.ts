// === build/tracetable.wasm: the trace table as its own module ===
//
// The table lives in this module's linear memory from __heap_base on, and grows it with
// memory.grow (there is no other allocator in here: runtime "stub", nothing managed). The
// host (src/host/traceTable.ts) passes alloc/free/realloc to the instrumented target as its
// "tracemalloc" imports (docs/abi.md, section 2) and reads the header and regions directly
// from `memory` (layout.ts, blocks.ts, tracebacks.ts).

import { attachTable } from "./table";
import { FRAMES as FRAMES_ } from "./layout";

export {
  alloc, free, realloc,
  start, stop, clearTraces, isTracing, getTracebackLimit, resetPeak,
  setSampling, setReallocZeroFrees, setMemoryLimit,
  findBlock, tracebackAddress, tracemallocMemory, layout,
} from "./table";

/** Most frames a traceback holds: start(nframe) takes 1..FRAMES. */
export const FRAMES: i32 = <i32>FRAMES_;

attachTable((__heap_base + 15) & ~15, 0);
