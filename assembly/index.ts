// === build/tracetable.wasm: the trace table as its own module (docs/abi.md, section 3) ===
//
// The table lives in this module's linear memory from __heap_base on and grows it with
// memory.grow; there is no other allocator in here (runtime "stub", nothing managed, no
// imports). Memory layout: layout.ts (header, regions), blocks.ts (blocks table entry),
// tracebacks.ts (traceback record, intern index), sampler.ts (sampling), table.ts (semantics).
//
// Exports
//
//   memory                                   the table's memory, read directly by the host
//   FRAMES: i32 global = 16                  most frames a traceback holds
//
//   imports of the instrumented target, module "tracemalloc" (docs/abi.md, section 2):
//   alloc(ptr, size, total, f0..f15)         → ()
//   free(ptr)                                → ()
//   realloc(old, new, size, total, f0..f15)  → ()
//   alloc1(ptr, size, total, f0), realloc1(old, new, size, total, f0): the same with one frame
//   reportFrames: mutable i32 global = nframe while tracing, else 0; the target's wrapper reads it
//                 to skip the call when not tracing and to call the one-frame forms when nframe = 1
//   sampleCountdown: mutable f64 global, bytes left before the next sample point (−Infinity in
//                 exact mode); the wrapper subtracts the size and calls alloc only at ≤ 0
//   freeFilter: mutable i32 global; the wrapper calls free(ptr) only if bit FREEBUCKET(ptr) is set
//                 (0 not tracing, −1 exact mode, buckets of live sampled blocks in sampling mode)
//
//   control (the host, src/host/traceTable.ts):
//   start(nframe) → 0 ok | 1 nframe not in 1..16 | 2 out of memory
//   stop() · clearTraces() · resetPeak()
//   isTracing() → 0 | 1 · getTracebackLimit() → nframe
//   setSampling(interval f64, seedLo, seedHi) → 0 ok | 3 bad interval   (interval 0 = exact)
//   setReallocZeroFrees(0 | 1) · setMemoryLimit(bytes)
//
//   reading (addresses into `memory`):
//   layout() → address of the header (layout.ts)
//   findBlock(ptr) → address of the block's entry (blocks.ts), 0 if not traced
//   tracebackAddress(id) → address of the traceback record (tracebacks.ts), 0 if no such id
//   tracemallocMemory() → bytes of the header and all regions

import { attachTable } from "./table";
import { FRAMES as FRAME_COUNT } from "./layout";

export { reportFrames, sampleCountdown, freeFilter } from "./layout";

export {
  alloc, free, realloc, alloc1, realloc1,
  start, stop, clearTraces, isTracing, getTracebackLimit, resetPeak,
  setSampling, setReallocZeroFrees, setMemoryLimit,
  findBlock, tracebackAddress, tracemallocMemory, layout,
} from "./table";

/** Most frames a traceback holds: start(nframe) takes 1..FRAMES. */
export const FRAMES: i32 = <i32>FRAME_COUNT;

// The header goes right after the static data; the regions follow as they are needed. If even
// the header cannot have memory, instantiation traps here, never later inside the target.
if (!attachTable((__heap_base + 15) & ~15, 0)) unreachable();
