/**
 * The memory layout of the trace table (build/tracetable.wasm), as the host reads it.
 *
 * This file mirrors assembly/layout.ts (header), assembly/blocks.ts (blocks table groups) and
 * assembly/tracebacks.ts (traceback record); the box diagrams are there. The table writes
 * `magic` and `version` into its header and `checkHeader` refuses a table whose layout differs,
 * so a change on one side without the other fails loudly at instantiation.
 */

/** Most frames a traceback holds (the f0..f15 arguments of the imports, docs/abi.md §2). */
export const FRAMES = 16;

/** "TMT1" as a little-endian u32, at offset 0 of the header. */
export const MAGIC = 0x31544d54;
/** Layout version the host understands (assembly/layout.ts LAYOUT_VERSION). */
export const LAYOUT_VERSION = 5;

/** Byte offsets of the header fields, from the address returned by the `layout` export. */
export const Header = {
  magic: 0,
  version: 4,
  flags: 8,
  nframe: 12,
  limit: 16,
  end: 20,
  highWater: 24,
  regions: 32,
  blocksCap: 72,
  liveBlocks: 76,
  tracebackCount: 80,
  indexCap: 84,
  arenaUsed: 88,
  freeBits: 92,
  /** Records of the wide region handed out at least once. */
  wideUsed: 96,
  /** First record of the wide region's free list, + 1 (0: none). */
  wideFree: 100,
  current: 104,
  peak: 112,
  allocations: 120,
  frees: 128,
  unknownFrees: 136,
  unsampledFrees: 144,
  replaced: 152,
  /** f64: bytes of unsampled allocations up to the last sample point. */
  skippedBytes: 160,
  samplingInterval: 168,
  /** f64: the countdown drawn at the last sample point (skipped since = drawn − sampleCountdown). */
  drawn: 176,
  rng: 184,
  estimatedCurrent: 192,
  estimatedPeak: 200,
  scratch: 208,
  /** u32 × FREE_BUCKETS: live sampled blocks per free-filter bucket. */
  freeCounts: 272,
  /** 256 × (total, f0, id + 1): the table's one-frame traceback cache (not read by the host). */
  oneCache: 400,
  /** 64 × (total, id + 1, 16 frames): the table's stack cache (not read by the host). */
  stackCache: 3472,
} as const;

/** Buckets of the free filter (the `freeFilter` global's bits, docs/abi.md §2). */
export const FREE_BUCKETS = 32;

/** Bytes of the header. */
export const HEADER_SIZE = Header.stackCache + 64 * (8 + 4 * FRAMES);

/** Index of each region in the header's region table; each is (ptr u32, bytes u32). */
export const Region = { blocks: 0, index: 1, offsets: 2, arena: 3, wide: 4 } as const;
/** Bytes of one region-table entry. */
export const REGION_SIZE = 8;

/** Bits of the header's flags word. */
export const Flag = { tracing: 1, oomStopped: 2, sampling: 4, reallocZeroFrees: 8 } as const;

/**
 * Blocks table (assembly/blocks.ts): from the region's first 64-byte boundary, `groups` groups
 * of `slots` slots, `bytes` each (the slots' ptrs, 0 = empty, then their values), then an
 * overflow byte a group. An entry address (what `findBlock` returns) is that of a ptr field; its
 * value is `value` bytes further.
 */
export const BlockGroup = { slots: 8, bytes: 64, ptr: 0, value: 32 } as const;

/** Where the blocks table's groups start in its region. */
export function blockGroupsStart(region: number): number {
  return (region + 63) & ~63;
}

/**
 * A block value: `id << sizeBits | size` (top bit 0), or `wide | w`: record w (size u32,
 * traceback id u32) of the wide region.
 */
export const BlockValue = { sizeBits: 15, sizeMask: 0x7fff, wide: 0x80000000 } as const;

/**
 * The size and traceback id a block value holds: packed (`id << 15 | size`), or in the wide
 * record it names, in the wide region starting at `wideBase` (`words` views the table's memory).
 */
export function decodeBlockValue(words: Uint32Array, wideBase: number, value: number): { size: number; tracebackId: number } {
  if ((value & BlockValue.wide) === 0) return { size: value & BlockValue.sizeMask, tracebackId: value >>> BlockValue.sizeBits };
  const at = (wideBase >>> 2) + (value & ~BlockValue.wide) * 2;
  return { size: words[at]!, tracebackId: words[at + 1]! };
}

/** Traceback record in the arena: total, nframe, then nframe site ids. */
export const TracebackRecord = { total: 0, nframe: 4, frames: 8 } as const;

/** Results of the table's control functions. */
export const ResultCode = { ok: 0, badNframe: 1, outOfMemory: 2, badInterval: 3 } as const;

/** The limit the table uses when none is set: all of the 32-bit space but the last page. */
export const NO_LIMIT = 0xffff0000;

/** Reads a u64 counter made of two u32 words (exact below 2^53, which counters stay under). */
export function readU64(words: Uint32Array, byteOffset: number): number {
  const i = byteOffset >>> 2;
  return words[i]! + words[i + 1]! * 0x100000000;
}

/** Throws unless the header at `root` carries the magic and the layout version this host knows. */
export function checkHeader(memory: WebAssembly.Memory, root: number): void {
  const words = new Uint32Array(memory.buffer, root, HEADER_SIZE >>> 2);
  const magic = words[Header.magic >>> 2]!;
  const version = words[Header.version >>> 2]!;
  if (magic !== MAGIC) {
    throw new Error(`not a trace table: header magic 0x${magic.toString(16)} at ${root}, expected 0x${MAGIC.toString(16)} ("TMT1")`);
  }
  if (version !== LAYOUT_VERSION) {
    throw new Error(`trace table layout version ${version}, this host reads version ${LAYOUT_VERSION}: rebuild build/tracetable.wasm (npm run build:table)`);
  }
}
