/**
 * Allocation gates for JS test runners (node:test, vitest, anything that fails a test on a
 * thrown error), in the spirit of pytest-memray's `limit_memory` / `limit_leaks` and dhat's heap
 * assertions:
 *
 *     const { instance, tracemalloc } = await instantiate(bytes, imports, { nframe: 8 });
 *     await expectAllocations(tracemalloc, () => instance.exports.work(), {
 *       maxLeakedBlocks: 0,
 *       maxPeakBytes: 4096,
 *       maxAllocations: 12,
 *     });
 *
 * A Wasm guest is deterministic, so the figures are exact and the limits can be too: a test
 * that allowed 12 allocations fails on the 13th. On failure the error's message is a report —
 * which limits were broken, the figures, and the leaking tracebacks as tracemalloc prints them.
 *
 * What is measured, from the tracer's counters and two snapshots taken around the call:
 *   - allocations / frees: allocation events (malloc, calloc, aligned allocations, each
 *     realloc) and frees traced during the call;
 *   - peak: the highest traced bytes during the call, above the traced bytes when it started
 *     (the tracer's peak is reset before the call, as `tracemalloc.reset_peak()` does);
 *   - leaks: per traceback, the growth of live blocks and bytes from before to after the call
 *     (`compareTo`): blocks allocated during the call and still live. Blocks freed elsewhere do
 *     not offset them. `filters` narrow this to some files (e.g. to leave out a runtime's
 *     caches); they do not apply to the counters or the peak.
 */
import { AssertionError } from 'node:assert';
import type { Tracemalloc } from '../host/tracer.js';
import { NotTracingError } from '../host/tracer.js';
import { formatSize, type Filter, type Snapshot, type StatisticDiff } from '../snapshot/index.js';

/** The limits a call must keep; each is optional and inclusive (the limit itself passes). */
export interface AllocationLimits {
  /** Blocks allocated during the call and still live after it. */
  maxLeakedBlocks?: number;
  /** Bytes of those blocks. */
  maxLeakedBytes?: number;
  /** Highest traced bytes during the call, above the traced bytes at its start. */
  maxPeakBytes?: number;
  /** Allocation events during the call (malloc, calloc, aligned allocations, realloc). */
  maxAllocations?: number;
  /** Frees during the call. */
  maxFrees?: number;
}

/** Options of expectAllocations: the limits, and how the report looks. */
export interface GateOptions extends AllocationLimits {
  /** Only traces passing these filters count as leaks (see Snapshot.filterTraces). */
  filters?: Iterable<Filter>;
  /** Name of the call in the report (default: the function's name, or "the call"). */
  name?: string;
  /** Leaking tracebacks shown in the report (default 10). */
  limit?: number;
}

/** What a call allocated. */
export interface AllocationMeasurement {
  /** Allocation events during the call. */
  readonly allocations: number;
  /** Frees during the call. */
  readonly frees: number;
  /** Traced bytes when the call started. */
  readonly startBytes: number;
  /** Traced bytes when it returned. */
  readonly endBytes: number;
  /** Highest traced bytes during the call, above `startBytes`. */
  readonly peakBytes: number;
  /** Blocks allocated during the call and live after it (per traceback growth, filtered). */
  readonly leakedBlocks: number;
  /** Their bytes. */
  readonly leakedBytes: number;
  /** The tracebacks that grew, biggest first (compareTo order), as StatisticDiffs. */
  readonly leaks: readonly StatisticDiff[];
  /** Snapshots before and after the call (unfiltered). */
  readonly before: Snapshot;
  readonly after: Snapshot;
  /** True when the tracer samples: every figure is then an estimate, and limits are not exact. */
  readonly sampled: boolean;
}

/** One broken limit. */
export interface LimitViolation {
  readonly limit: keyof AllocationLimits;
  readonly allowed: number;
  readonly actual: number;
}

const LIMITS: ReadonlyArray<[keyof AllocationLimits, keyof AllocationMeasurement, string, boolean]> = [
  ['maxLeakedBlocks', 'leakedBlocks', 'leaked blocks', false],
  ['maxLeakedBytes', 'leakedBytes', 'leaked bytes', true],
  ['maxPeakBytes', 'peakBytes', 'peak', true],
  ['maxAllocations', 'allocations', 'allocations', false],
  ['maxFrees', 'frees', 'frees', false],
];
const OPTION_NAMES = new Set<string>([...LIMITS.map((l) => l[0]), 'filters', 'name', 'limit']);

/** Thrown by expectAllocations when a limit is broken; its message is the report. */
export class AllocationLimitError extends AssertionError {
  readonly measurement: AllocationMeasurement;
  readonly violations: readonly LimitViolation[];

  constructor(message: string, measurement: AllocationMeasurement, violations: readonly LimitViolation[]) {
    super({
      message,
      actual: Object.fromEntries(violations.map((v) => [v.limit, v.actual])),
      expected: Object.fromEntries(violations.map((v) => [v.limit, v.allowed])),
      operator: 'expectAllocations',
    });
    this.measurement = measurement;
    this.violations = violations;
  }
}

function checkOptions(options: GateOptions): void {
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.has(key)) throw new TypeError(`expectAllocations: unknown option ${JSON.stringify(key)} (known: ${[...OPTION_NAMES].join(', ')})`);
  }
  for (const [key] of LIMITS) {
    const v = options[key];
    if (v !== undefined && !(typeof v === 'number' && v >= 0 && !Number.isNaN(v))) {
      throw new RangeError(`expectAllocations: ${key} must be a number ≥ 0, got ${String(v)}`);
    }
  }
  if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit >= 0)) {
    throw new RangeError(`expectAllocations: limit must be an integer ≥ 0, got ${String(options.limit)}`);
  }
}

/**
 * Runs `fn` (sync or async) against a traced instance and measures what it allocated.
 * Tracing must be on. Resets the tracer's peak. Errors thrown by `fn` propagate unchanged.
 */
export async function measureAllocations<T>(
  tracemalloc: Tracemalloc,
  fn: () => T | Promise<T>,
  filters: Iterable<Filter> = [],
): Promise<{ result: Awaited<T>; measurement: AllocationMeasurement }> {
  if (!tracemalloc.isTracing()) {
    throw new NotTracingError('tracing is off: start it before measuring a call (instantiate(bytes, imports, { nframe: 1 }) or tracemalloc.start())');
  }
  const filterList = Array.from(filters);
  const before = tracemalloc.takeSnapshot();
  const [startBytes] = tracemalloc.getTracedMemory();
  const countersBefore = tracemalloc.counters();
  tracemalloc.resetPeak();
  const result = await fn();
  const countersAfter = tracemalloc.counters();
  const [endBytes, peak] = tracemalloc.getTracedMemory();
  const after = tracemalloc.takeSnapshot();
  const diffs =
    filterList.length === 0
      ? after.compareTo(before, 'traceback')
      : after.filterTraces(filterList).compareTo(before.filterTraces(filterList), 'traceback');
  const leaks = diffs.filter((d) => d.countDiff > 0 || d.sizeDiff > 0);
  const measurement: AllocationMeasurement = {
    allocations: countersAfter.allocations - countersBefore.allocations,
    frees: countersAfter.frees - countersBefore.frees,
    startBytes,
    endBytes,
    peakBytes: Math.max(0, peak - startBytes),
    leakedBlocks: leaks.reduce((n, d) => n + Math.max(0, d.countDiff), 0),
    leakedBytes: leaks.reduce((n, d) => n + Math.max(0, d.sizeDiff), 0),
    leaks,
    before,
    after,
    sampled: after.meta.samplingInterval > 0,
  };
  return { result: result as Awaited<T>, measurement };
}

/** The limits of `options` that `m` breaks. */
export function checkLimits(m: AllocationMeasurement, options: AllocationLimits): LimitViolation[] {
  const out: LimitViolation[] = [];
  for (const [key, field] of LIMITS) {
    const allowed = options[key];
    const actual = m[field] as number;
    if (allowed !== undefined && actual > allowed) out.push({ limit: key, allowed, actual });
  }
  return out;
}

function figure(value: number, bytes: boolean): string {
  return bytes ? formatSize(value, false) : String(value);
}

/** The report: broken limits, the figures, the leaking tracebacks in tracemalloc's text. */
export function formatAllocationReport(m: AllocationMeasurement, violations: readonly LimitViolation[], options: { name?: string; limit?: number } = {}): string {
  const name = options.name ?? 'the call';
  const lines: string[] = [];
  if (violations.length > 0) {
    lines.push(`allocation limits exceeded by ${name}:`);
    for (const v of violations) {
      const [, , label, bytes] = LIMITS.find((l) => l[0] === v.limit)!;
      lines.push(`  ${label}: ${figure(v.actual, bytes)} > ${figure(v.allowed, bytes)} (${v.limit})`);
    }
  } else {
    lines.push(`allocations of ${name}: within the limits`);
  }
  lines.push(
    `measured: ${m.allocations} allocations, ${m.frees} frees, peak ${formatSize(m.peakBytes, false)} above the ` +
      `${formatSize(m.startBytes, false)} traced at the start, ${m.leakedBlocks} blocks (${formatSize(m.leakedBytes, false)}) leaked`,
  );
  if (m.sampled) lines.push(`note: the tracer samples (one sample every ${formatSize(m.after.meta.samplingInterval, false)} on average): these figures are estimates`);
  const limit = options.limit ?? 10;
  if (m.leaks.length > 0) {
    lines.push(`[ Top ${limit} leaks, by traceback ]`);
    for (const d of m.leaks.slice(0, limit)) lines.push(d.toString(), ...d.traceback.format());
    if (m.leaks.length > limit) lines.push(`${m.leaks.length - limit} other leaking tracebacks`);
  } else if (violations.some((v) => v.limit === 'maxPeakBytes' || v.limit === 'maxAllocations' || v.limit === 'maxFrees')) {
    lines.push('nothing leaked: the blocks behind the peak and the counts were freed before the call returned.');
    lines.push('To see them, take a snapshot inside the call (tracemalloc.takeSnapshot()) where memory is highest.');
  }
  return lines.join('\n');
}

/**
 * Runs `fn` against a traced instance and throws an AllocationLimitError (an AssertionError)
 * whose message is the report when the call breaks a limit of `options`. Returns the
 * measurement and fn's result otherwise.
 */
export async function expectAllocations<T>(
  tracemalloc: Tracemalloc,
  fn: () => T | Promise<T>,
  options: GateOptions = {},
): Promise<AllocationMeasurement & { result: Awaited<T> }> {
  checkOptions(options);
  const { result, measurement } = await measureAllocations(tracemalloc, fn, options.filters ?? []);
  const violations = checkLimits(measurement, options);
  if (violations.length > 0) {
    const name = options.name ?? (fn.name && fn.name !== 'fn' ? `${fn.name}()` : undefined);
    const report = formatAllocationReport(measurement, violations, { name, limit: options.limit });
    throw new AllocationLimitError(report, measurement, violations);
  }
  return { ...measurement, result };
}
