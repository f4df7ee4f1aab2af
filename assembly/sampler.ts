// === Sampling by bytes: a Poisson process over the allocated bytes ===
//
// In sampling mode (samplingInterval T > 0) sample points fall on the stream of allocated bytes
// as a Poisson process of rate 1/T, as in heapprofd, Go's runtime.MemProfileRate and jemalloc's
// prof_sample: the countdown is the distance to the next point, drawn from an exponential
// distribution of mean T. An allocation of `size` bytes is sampled when a point falls inside
// it (countdown ≤ size); then, by memorylessness, the next point is a fresh exponential draw
// past its end. Otherwise the countdown drops by `size`.
//
// The countdown is the exported global `sampleCountdown` (layout.ts), and the instrumented
// target runs that test itself (docs/abi.md §2): it subtracts the size, stores the result if it
// is still > 0, and only otherwise calls `alloc`, which runs SAMPLED again on the countdown it
// left untouched. So a skipped allocation costs the target an f64 subtraction, a compare and a
// store, and no call. In exact mode the countdown is −Infinity and every allocation calls in.
//
// Skipped allocations are counted in bytes, lazily: between two sample points exactly
// drawn − countdown bytes were skipped, so the table adds that up at each sample point
// (skippedBytes) and the host adds the current interval when it reads.
//
// A block of size s is thus sampled with probability p(s) = 1 − exp(−s/T), independently of every
// other block (Poisson counts on disjoint stretches are independent), and stands for
// weight(s) = s / p(s) bytes: the sum of the weights of the sampled live blocks is an unbiased
// estimate of the live bytes. Blocks of size 0 are never sampled.
//
// The random numbers come from xorshift64* seeded through splitmix64, so a seed replays exactly.

import { GET64, SET64, GETF, SETF, H_RNG, H_DRAWN, H_SAMPLING_INTERVAL, H_SKIPPED_BYTES, sampleCountdown, SETCOUNTDOWN } from "./layout";

/** 2^-53: turns the top 53 bits of a random u64 into a fraction. */
// @ts-ignore: decorator
@inline const TWO_POW_M53: f64 = 1.1102230246251565e-16;

/** Next number of the xorshift64* generator whose state is in the header. */
function nextRandom(): u64 {
  let x = GET64(H_RNG);
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  SET64(H_RNG, x);
  return x * 0x2545F4914F6CDD1D;
}

/** Seeds the generator: splitmix64 of `seed`, never the all-zero state xorshift cannot leave. */
export function seedSampler(seed: u64): void {
  let z = seed + 0x9E3779B97F4A7C15;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
  z ^= z >> 31;
  SET64(H_RNG, z != 0 ? z : 0x9E3779B97F4A7C15);
}

/** Draws the distance to the next sample point: exponential with mean samplingInterval, > 0. */
export function drawCountdown(): f64 {
  let u = (<f64>(nextRandom() >> 11) + 0.5) * TWO_POW_M53; // uniform in (0, 1), never 0 or 1
  return -GETF(H_SAMPLING_INTERVAL) * Math.log(u);
}

/** Bytes a sampled block of `size` bytes stands for: size / (1 − exp(−size/T)). */
export function sampleWeight(size: u32): f64 {
  if (size == 0) return 0;
  let s = <f64>size;
  return s / -Math.expm1(-s / GETF(H_SAMPLING_INTERVAL));
}

/** Starts a fresh interval: draws the countdown and remembers it as `drawn`. */
export function freshCountdown(): void {
  let d = drawCountdown();
  SETF(H_DRAWN, d);
  SETCOUNTDOWN(d);
}

/** Adds the bytes skipped since the last draw to skippedBytes, then draws a fresh countdown. */
export function nextSamplePoint(): void {
  SETF(H_SKIPPED_BYTES, GETF(H_SKIPPED_BYTES) + (GETF(H_DRAWN) - sampleCountdown));
  freshCountdown();
}

/** Advances the countdown over an allocation of `size` bytes; true when it is sampled. */
// @ts-ignore: decorator
@inline export function SAMPLED(size: u32): bool {
  let left = sampleCountdown - <f64>size;
  if (left > 0) {
    SETCOUNTDOWN(left);
    return false;
  }
  nextSamplePoint();
  return true;
}
