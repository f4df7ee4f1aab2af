// What a snapshot knows about where it came from. Carried by dump/load and by filterTraces.

/** Metadata of a snapshot. */
export interface SnapshotMeta {
  /** Name of the traced module (e.g. its file name), '' if unknown. */
  readonly moduleName: string;
  /** Hash of the traced module's bytes, lowercase hex (even length), '' if unknown. */
  readonly moduleHash: string;
  /** Most frames stored per traceback when the snapshot was taken (`start(nframe)`). */
  readonly tracebackLimit: number;
  /** Traced memory (bytes) at snapshot time, `getTracedMemory()[0]`; null if unknown. */
  readonly tracedCurrent: number | null;
  /** Peak traced memory (bytes) at snapshot time; null if unknown. */
  readonly tracedPeak: number | null;
  /** When the snapshot was taken, ms since the Unix epoch; null if unknown. */
  readonly timestamp: number | null;
  /**
   * Mean bytes between samples of a Poisson byte sampler, or 0 when every block is traced.
   * When > 0, statistics are estimates (see Snapshot.statistics).
   */
  readonly samplingInterval: number;
}

/** Metadata given when making a snapshot; missing fields are unknown ('' / null / 0). */
export type SnapshotMetaInput = {
  readonly [K in Exclude<keyof SnapshotMeta, 'tracebackLimit'>]?: SnapshotMeta[K] | undefined;
};

function checkCount(name: string, v: number | null | undefined): number | null {
  if (v === undefined || v === null) return null;
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${name} must be a non-negative safe integer or null, got ${v}`);
  return v;
}

/** Validates and completes metadata; the hash is lowercased. */
export function makeMeta(tracebackLimit: number, input: SnapshotMetaInput | undefined): SnapshotMeta {
  if (!Number.isInteger(tracebackLimit) || tracebackLimit < 0 || tracebackLimit > 0xffffffff) {
    throw new RangeError(`tracebackLimit must be an integer in [0, 4294967295], got ${tracebackLimit}`);
  }
  const moduleName = input?.moduleName ?? '';
  if (typeof moduleName !== 'string') throw new TypeError('moduleName must be a string');
  const moduleHash = (input?.moduleHash ?? '').toLowerCase();
  if (!/^(?:[0-9a-f]{2})*$/.test(moduleHash)) {
    throw new RangeError(`moduleHash must be a hex string of even length, got ${JSON.stringify(input?.moduleHash)}`);
  }
  const timestamp = input?.timestamp ?? null;
  if (timestamp !== null && !Number.isFinite(timestamp)) throw new RangeError(`timestamp must be finite or null, got ${timestamp}`);
  const samplingInterval = input?.samplingInterval ?? 0;
  if (!Number.isFinite(samplingInterval) || samplingInterval < 0) {
    throw new RangeError(`samplingInterval must be a finite number ≥ 0, got ${samplingInterval}`);
  }
  return Object.freeze({
    moduleName,
    moduleHash,
    tracebackLimit,
    tracedCurrent: checkCount('tracedCurrent', input?.tracedCurrent),
    tracedPeak: checkCount('tracedPeak', input?.tracedPeak),
    timestamp,
    samplingInterval,
  });
}
