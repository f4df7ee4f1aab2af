/**
 * Loads fixtures/emscripten/side_alloc.wasm with tracing on. It is an Emscripten side module:
 * it has no allocator of its own and imports `env.malloc` / `env.free`, so the host gives it a
 * memory and a small JavaScript allocator (a bump allocator: blocks are never reused, which is
 * all a test needs). The tracer wraps those imports like any allocator.
 *
 * Exports: `side_run()` allocates 11 blocks (880 B at the peak), frees 5 and keeps 6 (680 B);
 * `side_release_all()` frees what it keeps (fixtures/src/c/side_alloc.expected.json).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { instantiateTraced } from '../../src/host/instantiate.js';
import type { Tracemalloc } from '../../src/host/tracer.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));

/** The side module's exports. */
export interface SideAlloc {
  side_run(): number;
  side_live_bytes(): number;
  side_release_all(): number;
}

/** A traced instance of side_alloc.wasm, constructors run, tracing on with `nframe` frames. */
export async function loadSideAlloc(nframe = 4): Promise<{ exports: SideAlloc; tracemalloc: Tracemalloc }> {
  const memory = new WebAssembly.Memory({ initial: 4 });
  let next = 128 * 1024; // data at 1 KiB, stack below 64 KiB, heap from 128 KiB
  const env = {
    memory,
    __memory_base: new WebAssembly.Global({ value: 'i32', mutable: false }, 1024),
    __stack_pointer: new WebAssembly.Global({ value: 'i32', mutable: true }, 64 * 1024),
    malloc(size: number): number {
      const ptr = next;
      next += (size + 15) & ~15;
      if (next > memory.buffer.byteLength) memory.grow(Math.ceil((next - memory.buffer.byteLength) / 65536));
      return ptr;
    },
    free(_ptr: number): void {},
    memset(ptr: number, value: number, n: number): number {
      new Uint8Array(memory.buffer).fill(value, ptr, ptr + n);
      return ptr;
    },
  };
  const path = `${FIXTURES}emscripten/side_alloc.wasm`;
  const { instance, tracemalloc } = await instantiateTraced(readFileSync(path), { env }, {
    nframe,
    moduleName: 'side_alloc.wasm',
    modulePath: path,
    root: `${FIXTURES}src`, // file names as in the fixture's sources: c/side_alloc.c
  });
  (instance.exports.__wasm_call_ctors as () => void)();
  return { exports: instance.exports as unknown as SideAlloc, tracemalloc };
}
