/**
 * A driver module for the trace table benchmark: a Wasm "target" that imports
 * tracemalloc.alloc/free exactly as an instrumented module does (docs/abi.md §2) and runs an
 * allocation loop inside Wasm, so that what is measured is the Wasm → Wasm path, not JS calls.
 * Encoded by hand (binaryen.js takes seconds to load, and this is 200 bytes).
 *
 *   churn(from, to, mask, nstacks, depth)
 *     for i in from..to (to > from):
 *       ptr = 0x100000 + ((i & mask) << 4)
 *       if i > mask: free(ptr)                       ; a ring of mask+1 live blocks
 *       sid = ((i * 0x9E3779B1) >>> 16) % nstacks     ; which of nstacks stacks allocates
 *       alloc(ptr, 16 + (i & 255), depth, 16·sid+1, 16·sid+2, ..., 16·sid+16)
 */

const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
};
const sleb = (n: number): number[] => {
  const out: number[] = [];
  n |= 0;
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
};
const str = (s: string): number[] => [...uleb(s.length), ...new TextEncoder().encode(s)];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const I32 = 0x7f;
const funcType = (params: number): number[] => [0x60, ...uleb(params), ...Array<number>(params).fill(I32), 0];

const get = (i: number): number[] => [0x20, ...uleb(i)];
const set = (i: number): number[] => [0x21, ...uleb(i)];
const tee = (i: number): number[] => [0x22, ...uleb(i)];
const i32 = (v: number): number[] => [0x41, ...sleb(v)];
const call = (f: number): number[] => [0x10, ...uleb(f)];
const ADD = 0x6a, MUL = 0x6c, REM_U = 0x70, AND = 0x71, SHL = 0x74, SHR_U = 0x76, LT_U = 0x49, GT_U = 0x4b;
const LOOP = [0x03, 0x40], IF = [0x04, 0x40], END = 0x0b, BR_IF = 0x0d;

/** Bytes of the driver module. */
export function driverBytes(): Uint8Array<ArrayBuffer> {
  // params: from 0, to 1, mask 2, nstacks 3, depth 4; locals: i 5, ptr 6, fb 7
  const [from, to, mask, nstacks, depth, i, ptr, fb] = [0, 1, 2, 3, 4, 5, 6, 7];
  const frames: number[] = [];
  for (let j = 0; j < 16; j++) frames.push(...get(fb), ...(j === 0 ? [] : [...i32(j), ADD]));
  const churn = [
    ...get(from), ...set(i),
    ...LOOP,
    ...i32(0x100000), ...get(i), ...get(mask), AND, ...i32(4), SHL, ADD, ...set(ptr),
    ...get(i), ...get(mask), GT_U, ...IF, ...get(ptr), ...call(1), END,
    ...get(i), ...i32(0x9e3779b1), MUL, ...i32(16), SHR_U, ...get(nstacks), REM_U, ...i32(4), SHL, ...i32(1), ADD, ...set(fb),
    ...get(ptr), ...i32(16), ...get(i), ...i32(255), AND, ADD, ...get(depth), ...frames, ...call(0),
    ...get(i), ...i32(1), ADD, ...tee(i), ...get(to), LT_U, BR_IF, 0,
    END,
  ];
  const body = [...vec([[3, I32]]), ...churn, END];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, vec([funcType(19), funcType(1), funcType(5)])),
    ...section(2, vec([[...str('tracemalloc'), ...str('alloc'), 0, 0], [...str('tracemalloc'), ...str('free'), 0, 1]])),
    ...section(3, vec([[2]])),
    ...section(7, vec([[...str('churn'), 0, 2]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ]);
}

/** The driver's export. */
export type Churn = (from: number, to: number, mask: number, nstacks: number, depth: number) => void;
