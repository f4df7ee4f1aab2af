// Seeded randomness for the tests: the same sequence on every machine for a given seed.

/** xorshift32: a generator of 32-bit unsigned integers. */
export function xorshift32(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x;
  };
}

/** `n` bytes: the low byte of each xorshift32 step. */
export function randomBytes(seed: number, n: number): Uint8Array {
  const next = xorshift32(seed);
  return Uint8Array.from({ length: n }, () => next() & 0xff);
}
