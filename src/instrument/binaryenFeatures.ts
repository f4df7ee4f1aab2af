/**
 * The WebAssembly features Binaryen is told a module may use, and reading a module with them:
 * one list for the instrumenter (instrument.ts) and the self-contained merge (selfContained.ts),
 * which reads the instrumenter's output back.
 */
import binaryen from 'binaryen';

/**
 * Features the instrumenter reads and writes. Explicit, never Features.All: that makes
 * Binaryen emit encodings Node 20 rejects (DESIGN.md). Binaryen 132 asserts (and aborts its
 * whole instance) if bulk memory comes without BulkMemoryOpt, or reference types without
 * CallIndirectOverlong: they are the same proposals, split in two.
 */
export const FEATURES =
  binaryen.Features.MutableGlobals |
  binaryen.Features.NontrappingFPToInt |
  binaryen.Features.SIMD128 |
  binaryen.Features.BulkMemory |
  binaryen.Features.BulkMemoryOpt |
  binaryen.Features.CallIndirectOverlong |
  binaryen.Features.SignExt |
  binaryen.Features.ExceptionHandling |
  binaryen.Features.TailCall |
  binaryen.Features.ReferenceTypes |
  binaryen.Features.Multivalue |
  binaryen.Features.ExtendedConst;

/** Binaryen's module of `bytes`, read with `features` (throws what Binaryen says on bytes it cannot read). */
export function readBinary(bytes: Uint8Array, features: number = FEATURES): binaryen.Module {
  // The typings name this readBinaryWithFeatures; binaryen.js 132 has it as readBinary's second argument.
  return (binaryen.readBinary as (data: Uint8Array, features: number) => binaryen.Module)(bytes, features);
}
