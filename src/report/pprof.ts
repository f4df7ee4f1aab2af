/**
 * A snapshot as a gzip'd pprof profile (profile.proto), for `go tool pprof`, speedscope and
 * every other pprof reader. The profile itself is built in pprofProfile.ts (engine-free, used by
 * the browser panel too); this file adds Node's gzip.
 */
import { gzipSync } from 'node:zlib';
import type { Snapshot } from '../snapshot/index.js';
import { buildProfile, type PprofOptions } from './pprofProfile.js';

export { buildProfile, type PprofOptions } from './pprofProfile.js';

/** The snapshot as a gzip'd profile.proto. */
export function toPprof(snapshot: Snapshot, options: PprofOptions = {}): Uint8Array {
  return gzipSync(buildProfile(snapshot, options).encode());
}
