// A real stripped wasm-bindgen program from npm: @jsquash/png 3.1.1 (Squoosh's Rust PNG codec:
// no name section, dlmalloc behind the exported __wbindgen_malloc / __wbindgen_free shims).
// Its glue (wasm-bindgen's "web" target) builds its import object itself and instantiates the
// bytes given to init() with WebAssembly.instantiate, so it is traced through the global hook,
// told which module to trace: the default filter does not pick wasm-bindgen modules by their
// __wbindgen_malloc export (the tracer's own demangler, gecko-profiler-demangle, is one).
//
// Oracles: an untraced copy of the same glue and module in the same process (a second instance
// of the glue's ES module, by a query string) must give the same PNG bytes and the same pixels;
// the codec frees everything it allocates per call, so from the second round on the traced heap
// is back to the same bytes and blocks after every round, and every round allocates the same
// way (same number of allocations, same peak): the tracer is deterministic on a deterministic
// program.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { installWasmHook } from '../../src/host/globalHook.js';
import { xorshift32 } from '../support/random.js';

// The package has no exports map: its glue and module are at fixed places.
const GLUE = pathToFileURL(resolve('node_modules/@jsquash/png/codec/pkg/squoosh_png.js')).href;
const WASM = 'node_modules/@jsquash/png/codec/pkg/squoosh_png_bg.wasm';
const WIDTH = 96;
const HEIGHT = 64;
const ROUNDS = 5;

interface PngGlue {
  default(input: BufferSource): Promise<unknown>;
  encode(data: Uint8Array, width: number, height: number, bitDepth: number): Uint8Array;
  decode(data: Uint8Array): { data: Uint8ClampedArray; width: number; height: number };
}

// Node has no ImageData; the glue only constructs one and hands it back.
(globalThis as { ImageData?: unknown }).ImageData ??= class ImageData {
  constructor(readonly data: Uint8ClampedArray, readonly width: number, readonly height: number) {}
};

/** A gradient with noise (so that the encoder's filters and deflate do real work). */
function image(): Uint8Array {
  const next = xorshift32(12345);
  const rgba = new Uint8Array(WIDTH * HEIGHT * 4);
  for (let i = 0; i < rgba.length; i++) rgba[i] = i % 4 === 3 ? 255 : (((i >> 2) % WIDTH) * 2 + (next() & 31)) & 0xff;
  return rgba;
}

function roundTrip(glue: PngGlue, rgba: Uint8Array): { png: Buffer; pixels: Buffer } {
  const png = glue.encode(rgba, WIDTH, HEIGHT, 8);
  const decoded = glue.decode(png);
  assert.deepEqual([decoded.width, decoded.height], [WIDTH, HEIGHT]);
  return { png: Buffer.from(png), pixels: Buffer.from(decoded.data) };
}

test('@jsquash/png (stripped wasm-bindgen) through the hook: same PNG and pixels as untraced, deterministic rounds, heap back to baseline', async (t) => {
  const bytes = readFileSync(WASM);
  const rgba = image();
  const untraced = (await import(`${GLUE}?untraced`)) as PngGlue;
  await untraced.default(bytes);
  const expected = roundTrip(untraced, rgba);
  assert.deepEqual(expected.pixels, Buffer.from(rgba), 'the codec itself round-trips the pixels');

  const traced = (await import(`${GLUE}?traced`)) as PngGlue;
  assert.notEqual(traced.encode, untraced.encode, 'two instances of the glue');
  const hook = await installWasmHook({ nframe: 4, filter: (module) => Buffer.from(module).equals(bytes) });
  try {
    await traced.default(bytes);
  } finally {
    hook.uninstall();
  }
  assert.equal(hook.instances.length, 1, 'the hook traced the codec');
  const { tracemalloc, report } = hook.instances[0]!;
  assert.deepEqual(report!.allocators.map((a) => a.shape).sort(), ['aligned_alloc', 'free', 'malloc']);
  for (const a of report!.allocators) assert.match(a.reason, /wasm-bindgen's export "__wbindgen_(malloc|free)"/);

  const blocks = (): number => tracemalloc.takeSnapshot().statistics('filename').reduce((n, s) => n + s.count, 0);
  // Two warm-up rounds: the first leaves one-time allocations, and a block the first round left
  // is freed by the second (measured: 18,599 B in 4 blocks, then 18,087 B in 3); then the same
  // every round.
  const warmUp: number[][] = [];
  for (let round = 0; round < 2; round++) {
    assert.deepEqual(roundTrip(traced, rgba), expected, `warm-up ${round}: output differs from the untraced codec's`);
    warmUp.push([tracemalloc.getTracedMemory()[0], blocks()]);
  }
  const baseline = [tracemalloc.getTracedMemory()[0], blocks()];
  let perRound: { allocations: number; peak: number } | null = null;
  for (let round = 1; round <= ROUNDS; round++) {
    const before = tracemalloc.counters().allocations;
    tracemalloc.resetPeak();
    assert.deepEqual(roundTrip(traced, rgba), expected, `round ${round}: output differs from the untraced codec's`);
    const after = [tracemalloc.getTracedMemory()[0], blocks()];
    assert.deepEqual(after, baseline, `round ${round}: [bytes, blocks] did not return to the baseline`);
    const figures = { allocations: tracemalloc.counters().allocations - before, peak: tracemalloc.getTracedMemory()[1] };
    assert.ok(figures.allocations > 0 && figures.peak > baseline[0]! + WIDTH * HEIGHT * 4, JSON.stringify(figures));
    if (perRound === null) perRound = figures;
    else assert.deepEqual(figures, perRound, `round ${round}: allocations and peak differ from round 1's`);
  }
  assert.equal(tracemalloc.counters().unknownFrees, 0, 'frees of blocks the tracer never saw allocated');
  t.diagnostic(`after the warm-up rounds ${JSON.stringify(warmUp)}; baseline ${baseline[0]} B in ${baseline[1]} blocks; per round ${perRound!.allocations} allocations, peak ${perRound!.peak} B`);
});
