// A real stripped wasm-bindgen program from npm: tiktoken 1.0.22 (Rust, no name section, its
// allocator shims exported as __wbindgen_export_N). The instrumenter finds the allocator behind
// the shims; the traced program must give the same tokens as the original, and its heap must
// return to the same bytes and blocks after each encoder is freed (its own invariant).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { instantiateTraced } from '../../src/host/instantiate.js';

const require = createRequire(import.meta.url);
const WASM = 'node_modules/tiktoken/tiktoken_bg.wasm';
const TEXT = 'wasm-tracemalloc traces every allocation of a WebAssembly module, like Python\'s tracemalloc. '.repeat(20);

/** tiktoken's own JS glue, bound to an instance of our choice (fresh module state each time). */
function loadGlue(): { glue: Record<string, unknown> & { __wbg_set_wasm(exports: WebAssembly.Exports): void }; imports: WebAssembly.Imports } {
  // The package's exports map hides the glue file; it is a devDependency at a fixed place.
  const path = resolve('node_modules/tiktoken/tiktoken_bg.cjs');
  delete require.cache[path];
  const glue = require(path);
  return { glue, imports: { './tiktoken_bg.js': glue } };
}

function encodeWith(glue: Record<string, unknown>): number[] {
  const getEncoding = glue.get_encoding as (name: string) => { encode(text: string): Uint32Array; free(): void };
  const enc = getEncoding('gpt2');
  const tokens = Array.from(enc.encode(TEXT));
  enc.free();
  return tokens;
}

test('tiktoken (stripped wasm-bindgen): same tokens traced, the allocator found behind the shims, the heap back to baseline', async () => {
  const bytes = readFileSync(WASM);
  const original = loadGlue();
  original.glue.__wbg_set_wasm((await WebAssembly.instantiate(bytes, original.imports)).instance.exports);
  const expected = encodeWith(original.glue);

  const traced = loadGlue();
  const { instance, tracemalloc, report } = await instantiateTraced(bytes, traced.imports, { nframe: 4 });
  traced.glue.__wbg_set_wasm(instance.exports);
  assert.deepEqual(report!.allocators.map((a) => a.shape).sort(), ['aligned_alloc', 'free', 'malloc', 'rust_realloc']);
  for (const a of report!.allocators) assert.match(a.reason, /wasm-bindgen's export "__wbindgen_export_\d+"/);

  // The first encoding makes tiktoken's one-time allocations (24 bytes that stay): warm up first.
  assert.deepEqual(encodeWith(traced.glue), expected, 'warm-up: tokens differ from the original\'s');
  const baseline = tracemalloc.getTracedMemory()[0];
  const blocksAt = (): number => tracemalloc.takeSnapshot().statistics('filename').reduce((n, s) => n + s.count, 0);
  const baselineBlocks = blocksAt();
  for (let round = 0; round < 3; round++) {
    assert.deepEqual(encodeWith(traced.glue), expected, `round ${round}: tokens differ from the original's`);
    assert.equal(tracemalloc.getTracedMemory()[0], baseline, `round ${round}: traced bytes did not return to the baseline`);
    assert.equal(blocksAt(), baselineBlocks, `round ${round}: live blocks did not return to the baseline`);
  }
  // Every free was of a traced block: no allocation went around the wrappers.
  assert.equal(tracemalloc.counters().unknownFrees, 0, 'frees of blocks the tracer never saw allocated');
  // The work in between did allocate, and was traced: the peak saw the encoder's tables.
  assert.ok(tracemalloc.getTracedMemory()[1] > baseline + 100_000, `peak ${tracemalloc.getTracedMemory()[1]} vs baseline ${baseline}`);
});

test('tiktoken after a Rust panic: the next encoder\'s allocations have the same tracebacks as before it', async () => {
  const bytes = readFileSync(WASM);
  const { glue, imports } = loadGlue();
  const { instance, tracemalloc } = await instantiateTraced(bytes, imports, { nframe: 16 });
  glue.__wbg_set_wasm(instance.exports);
  const getEncoding = glue.get_encoding as (name: string) => { encode(text: string): Uint32Array; decode(tokens: Uint32Array): Uint8Array; free(): void };
  encodeWith(glue); // tiktoken's one-time allocations
  /** The tracebacks (depth and frames) of the blocks one new encoder keeps (its BPE tables), with their counts. */
  const encoderTracebacks = (): Map<string, number> => {
    const count = (): Map<string, number> => {
      const out = new Map<string, number>();
      for (const t of tracemalloc.takeSnapshot().traces) {
        const key = `${t.traceback.totalNframe}:${t.traceback.format().join('|')}`;
        out.set(key, (out.get(key) ?? 0) + 1);
      }
      return out;
    };
    const before = count();
    const enc = getEncoding('gpt2');
    const after = count();
    enc.free();
    for (const [key, n] of before) after.set(key, after.get(key)! - n);
    for (const [key, n] of after) if (n === 0) after.delete(key);
    return after;
  };
  const healthy = encoderTracebacks();
  assert.ok(healthy.size > 0);

  // Decoding a token the encoder does not have panics in Rust: a trap (`unreachable`), many calls deep.
  const enc = getEncoding('gpt2');
  assert.throws(() => enc.decode(new Uint32Array([4_000_000_000])), WebAssembly.RuntimeError);
  const afterPanic = encoderTracebacks();
  assert.deepEqual(afterPanic, healthy, 'tracebacks after the panic (stale frames of the panicked call would deepen them)');
});
