// A JavaScript malloc/free over a WebAssembly.Memory, to run side modules (whose allocator is
// imported) without a main module, and to count what the module asked of it: the ground truth a
// tracer's figures are checked against.
import assert from 'node:assert/strict';

/** A bump allocator that remembers every live block and counts calls. */
export class JsHeap {
  readonly memory: WebAssembly.Memory;
  readonly live = new Map<number, number>();
  /** Sizes of every malloc, in call order. */
  readonly allocated: number[] = [];
  frees = 0;
  current = 0;
  peak = 0;
  private bump: number;

  constructor(pages = 4, heapStart = 128 * 1024) {
    this.memory = new WebAssembly.Memory({ initial: pages });
    this.bump = heapStart;
  }

  /** Resets the counters (not the blocks): what follows is counted from zero. */
  resetCounts(): void {
    this.allocated.length = 0;
    this.frees = 0;
    this.peak = this.current;
  }

  readonly malloc = (size: number): number => {
    const ptr = this.bump;
    this.bump += (Math.max(size, 1) + 15) & ~15;
    if (this.bump > this.memory.buffer.byteLength) this.memory.grow(Math.ceil((this.bump - this.memory.buffer.byteLength) / 65536));
    this.live.set(ptr, size);
    this.allocated.push(size);
    this.current += size;
    this.peak = Math.max(this.peak, this.current);
    return ptr;
  };

  readonly free = (ptr: number): void => {
    if (ptr === 0) return;
    const size = this.live.get(ptr);
    assert.ok(size !== undefined, `free of unknown block ${ptr}`);
    this.live.delete(ptr);
    this.current -= size;
    this.frees++;
  };

  readonly memset = (ptr: number, value: number, n: number): number => {
    new Uint8Array(this.memory.buffer).fill(value, ptr, ptr + n);
    return ptr;
  };
}

/** The `env` imports of fixtures/emscripten/side_alloc.wasm: memory, stack below 64 KiB, data at 1 KiB. */
export function sideAllocEnv(heap: JsHeap): WebAssembly.ModuleImports {
  return {
    memory: heap.memory,
    __memory_base: new WebAssembly.Global({ value: 'i32', mutable: false }, 1024),
    __stack_pointer: new WebAssembly.Global({ value: 'i32', mutable: true }, 64 * 1024),
    malloc: heap.malloc,
    free: heap.free,
    memset: heap.memset,
  };
}

/** `(module (memory 1))`: a module with memory and no allocator. */
export const NO_ALLOCATOR_MODULE = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01]);
