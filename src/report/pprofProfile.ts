/**
 * A snapshot as a pprof profile (profile.proto; pprof.ts gzips it on Node, the browser panel
 * with CompressionStream), for `go tool pprof`, speedscope and
 * every other pprof reader. Encoded with the `pprof-format` package.
 *
 * What goes in:
 *   - sample types `inuse_objects/count` and `inuse_space/bytes` (the default). A snapshot holds
 *     the blocks live when it was taken, not every allocation made, so there is no
 *     `alloc_objects` / `alloc_space`; a comment in the profile says so;
 *   - one sample per distinct traceback, locations leaf first (pprof's order, and ours);
 *   - one mapping, the module (file name and sha256 as build id), marked as symbolized;
 *   - one location and one function per frame: snapshots have file and line but no function
 *     name, so the function is named `file:line`, with the file as its file name and the line
 *     as the location's line;
 *   - a truncated traceback (deeper than the traceback limit) gets a root frame `[truncated]`;
 *   - a sampled snapshot's estimates, with `period_type space/bytes` and `period` = the mean
 *     sampling interval (0 in exact mode).
 */
import { Profile, StringTable, type FunctionInput, type LocationInput, type SampleInput } from 'pprof-format';
import type { Frame, Snapshot } from '../snapshot/index.js';
import { frameLabel, stacksOf, TRUNCATED_FRAME } from './stacks.js';

/** Options of toPprof. */
export interface PprofOptions {
  /** Called as samples are built (done, total). */
  onProgress?: ((done: number, total: number) => void) | undefined;
}

/** The profile, not yet encoded (tests and tools can inspect it). */
export function buildProfile(snapshot: Snapshot, options: PprofOptions = {}): Profile {
  const strings = new StringTable();
  const functions: FunctionInput[] = [];
  const locations: LocationInput[] = [];
  const locationOf = new Map<string, number>();
  const location = (label: string, filename: string, line: number): number => {
    let id = locationOf.get(label);
    if (id === undefined) {
      id = locations.length + 1;
      const name = strings.dedup(label);
      functions.push({ id, name, systemName: name, filename: strings.dedup(filename), startLine: 0 });
      locations.push({ id, mappingId: 1, line: [{ functionId: id, line }] });
      locationOf.set(label, id);
    }
    return id;
  };
  const frameLocation = (f: Frame): number => location(frameLabel(f), f.filename, f.lineno);

  const sampleTypes = [
    { type: strings.dedup('inuse_objects'), unit: strings.dedup('count') },
    { type: strings.dedup('inuse_space'), unit: strings.dedup('bytes') },
  ];
  const stacks = stacksOf(snapshot);
  const samples: SampleInput[] = [];
  let truncated = 0;
  for (let i = 0; i < stacks.length; i++) {
    const s = stacks[i]!;
    const ids = s.frames.map(frameLocation);
    if (s.truncated) {
      ids.push(location(TRUNCATED_FRAME, '', 0));
      truncated++;
    }
    samples.push({ locationId: ids, value: [s.count, s.size] });
    if ((i & 1023) === 1023) options.onProgress?.(i + 1, stacks.length);
  }
  options.onProgress?.(stacks.length, stacks.length);

  const m = snapshot.meta;
  const comments = [
    `wasm-tracemalloc snapshot of ${m.moduleName || 'an unknown module'}${m.moduleHash ? ` (sha256 ${m.moduleHash})` : ''}`,
    'live blocks when the snapshot was taken (inuse_*); allocations since freed are not in a snapshot, so there is no alloc_*',
    `traceback limit ${snapshot.tracebackLimit}${truncated > 0 ? `; ${truncated} stacks were deeper and start at a "${TRUNCATED_FRAME}" frame` : ''}`,
  ];
  if (m.samplingInterval > 0) comments.push(`sampled: one sample every ${m.samplingInterval} bytes on average; values are estimates`);
  const mapping = {
    id: 1,
    filename: strings.dedup(m.moduleName || 'module.wasm'),
    buildId: strings.dedup(m.moduleHash),
    hasFunctions: true,
    hasFilenames: true,
    hasLineNumbers: true,
  };
  return new Profile({
    sampleType: sampleTypes,
    mapping: [mapping],
    sample: samples,
    location: locations,
    function: functions,
    stringTable: strings,
    timeNanos: m.timestamp === null ? 0 : BigInt(Math.round(m.timestamp)) * 1_000_000n,
    periodType: { type: strings.dedup('space'), unit: strings.dedup('bytes') },
    period: Math.round(m.samplingInterval),
    comment: comments.map((c) => strings.dedup(c)),
    defaultSampleType: strings.dedup('inuse_space'),
  });
}

