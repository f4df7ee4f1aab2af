/**
 * Text of `wasm-tracemalloc bench`: one or more AllocatorReports side by side (one column per
 * build), then each build's "who grew the memory" and temporary-allocation sites. Pure
 * formatting: the figures are computed in src/host/allocatorBench.ts.
 */
import type { AllocatorReport, HistogramRow } from '../host/allocatorBench.js';

/** Options of formatAllocatorReports. */
export interface AllocatorReportFormat {
  /** Rows in the "who grew the memory" and temporary-site lists (default 5). */
  limit?: number;
}

/** 1234567 → "1,234,567". */
function n(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** Bytes as an exact count and, from 10 KiB on, in KiB or MiB. */
function bytes(value: number): string {
  const abs = Math.abs(value);
  if (abs < 10 * 1024) return `${n(value)} B`;
  const unit = abs < 10 * 1024 * 1024 ? ['KiB', 1024] as const : ['MiB', 1024 * 1024] as const;
  return `${n(value)} B (${(value / unit[1]).toFixed(1)} ${unit[0]})`;
}

/** "≤ 8", "9–16", "> 1048576" for a class with upper bound `upTo` after `previous`. */
function classLabel(rows: readonly HistogramRow[], i: number): string {
  const row = rows[i]!;
  const previous = i > 0 ? rows[i - 1]!.upTo : null;
  if (row.upTo === null) return `> ${n(previous ?? 0)}`;
  if (previous === null) return row.upTo === 0 ? '0' : `≤ ${n(row.upTo)}`;
  return previous + 1 === row.upTo ? n(row.upTo) : `${n(previous + 1)}–${n(row.upTo)}`;
}

/** Lays out rows of cells in columns: the first left-aligned, the others right-aligned. */
function columns(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[0]!) : cell.padStart(widths[i]!))).join('  ').trimEnd())
    .join('\n');
}

/** The report of one or several runs, side by side. */
export function formatAllocatorReports(reports: readonly AllocatorReport[], format: AllocatorReportFormat = {}): string {
  const limit = format.limit ?? 5;
  const each = (f: (r: AllocatorReport) => string): string[] => reports.map(f);
  const summary: string[][] = [
    ['', ...each((r) => r.module)],
    ['exit code', ...each((r) => String(r.exitCode))],
    ['allocations', ...each((r) => n(r.allocations))],
    ['  of which realloc results', ...each((r) => n(r.reallocs))],
    ['frees', ...each((r) => n(r.frees))],
    ['frees of unknown pointers', ...each((r) => n(r.unknownFrees))],
    ['bytes requested', ...each((r) => bytes(r.bytesRequested))],
    ['live at exit', ...each((r) => `${n(r.liveBlocksAtExit)} blocks, ${bytes(r.liveBytesAtExit)}`)],
    ['peak live blocks', ...each((r) => n(r.peakLiveBlocks))],
    ['peak live bytes', ...each((r) => bytes(r.peakLiveBytes))],
    ['linear memory before the run', ...each((r) => bytes(r.initialMemoryBytes))],
    ['linear memory at its peak', ...each((r) => bytes(r.peakMemoryBytes))],
    ["tracer's own bytes in it", ...each((r) => bytes(r.tracerBytes))],
    ['overhead (peak memory − peak live − tracer)', ...each((r) => bytes(r.overheadBytes))],
    ['temporary (freed, no allocation between)', ...each((r) => `${n(r.temporary)} (${pct(r.temporary, r.allocations)})`)],
    ['temporary (≤ 1 allocation between)', ...each((r) => `${n(r.temporaryWithin1)} (${pct(r.temporaryWithin1, r.allocations)})`)],
    ['allocator calls (free included)', ...each((r) => n(r.allocatorCalls))],
    ['time inside the allocator', ...each((r) => `${r.allocatorMs.toFixed(1)} ms`)],
    ['  per call', ...each((r) => `${r.allocatorCalls ? ((r.allocatorMs * 1e6) / r.allocatorCalls).toFixed(0) : '0'} ns`)],
    ['run time (with the probe)', ...each((r) => `${r.wallMs.toFixed(0)} ms`)],
  ];
  const out: string[] = [columns(summary), ''];

  const sizeRows: string[][] = [['size class (bytes)', ...reports.flatMap((r) => [`${r.module} count`, 'bytes'])]];
  reports[0]?.sizeClasses.forEach((_, i) => {
    if (reports.every((r) => r.sizeClasses[i]!.count === 0)) return;
    sizeRows.push([classLabel(reports[0]!.sizeClasses, i), ...reports.flatMap((r) => [n(r.sizeClasses[i]!.count), n(r.sizeClasses[i]!.bytes ?? 0)])]);
  });
  out.push(columns(sizeRows), '');

  const lifeRows: string[][] = [['lifetime (allocations between)', ...each((r) => `${r.module} freed blocks`)]];
  reports[0]?.lifetimes.forEach((_, i) => {
    lifeRows.push([classLabel(reports[0]!.lifetimes, i), ...each((r) => n(r.lifetimes[i]!.count))]);
  });
  lifeRows.push(['never freed (live at exit)', ...each((r) => n(r.liveBlocksAtExit))]);
  out.push(columns(lifeRows), '');

  for (const r of reports) {
    out.push(`who grew the memory (${r.module}): allocations whose call grew it, largest first`);
    for (const g of r.growth.slice(0, limit)) {
      out.push(`  ${bytes(g.bytes)} in ${n(g.count)} growth${g.count === 1 ? '' : 's'}: ${g.where.join(' ← ')}`);
    }
    if (r.growth.length > limit) out.push(`  … ${r.growth.length - limit} more stacks`);
    if (r.growth.length === 0) out.push('  no allocation grew it');
    if (r.growthOutsideAllocator.count > 0) {
      out.push(`  ${bytes(r.growthOutsideAllocator.bytes)} in ${n(r.growthOutsideAllocator.count)}: outside the allocator (memory.grow by the program)`);
    }
    if (r.growthUnattributed.count > 0) {
      out.push(`  ${bytes(r.growthUnattributed.bytes)} in ${n(r.growthUnattributed.count)}: inside allocator calls that returned no block`);
    }
    out.push(`temporary allocation sites (${r.module}): freed with no other allocation in between`);
    for (const t of r.temporarySites.slice(0, limit)) out.push(`  ${t.where}: ${n(t.count)} blocks, ${bytes(t.bytes)}`);
    if (r.temporarySites.length === 0) out.push('  none');
    out.push('');
  }
  out.push(
    'Sizes are requested sizes. A realloc counts as the free of the old block and the allocation of the new one.',
    'Time inside the allocator: measured around each outermost call, minus what an empty measurement takes',
    `(${reports.map((r) => `${r.bracketNs.toFixed(0)} ns`).join(', ')} per call); the probe slows the run, not the allocator.`,
  );
  return out.join('\n');
}

function pct(part: number, whole: number): string {
  return whole === 0 ? '0%' : `${((100 * part) / whole).toFixed(1)}%`;
}
