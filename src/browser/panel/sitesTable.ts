/**
 * The panel's tables: the top allocation sites of a snapshot (statistics) and the top
 * differences between two (compareTo). Built with textContent only: file names come from the
 * module's debug information, never trusted as HTML.
 */
import type { Statistic, StatisticDiff, Traceback } from '../../snapshot/index.js';
import { formatBytes, formatBytesDiff, formatCountDiff } from './format.js';

/** A site as one line: the frame, or for a traceback the frames joined, most recent first. */
export function siteLabel(traceback: Traceback, groupBy: string): string {
  if (traceback.length === 0) return '<no frame>';
  if (groupBy === 'filename') return traceback.at(0)!.filename;
  if (groupBy === 'lineno') return String(traceback.at(0));
  return traceback.frames.map(String).join(' ← ');
}

/** A row; each cell may carry its exact number in `data-value` (the text is rounded: "1.5 KiB"). */
function row(cells: Array<[text: string, cls?: string, value?: number]>): HTMLTableRowElement {
  const tr = document.createElement('tr');
  for (const [text, cls, value] of cells) {
    const td = document.createElement('td');
    td.textContent = text;
    if (cls) td.className = cls;
    if (value !== undefined) td.dataset.value = String(value);
    tr.append(td);
  }
  return tr;
}

/** Fills `body` with the top `limit` statistics. */
export function renderStatistics(body: HTMLTableSectionElement, stats: readonly Statistic[], groupBy: string, limit: number): void {
  const rows = stats.slice(0, limit).map((s) =>
    row([[siteLabel(s.traceback, groupBy)], [formatBytes(s.size), '', s.size], [String(s.count), '', s.count], [formatBytes(s.count ? Math.floor(s.size / s.count) : 0)]]),
  );
  body.replaceChildren(...rows);
}

/** Fills `body` with the top `limit` differences (compareTo's order: largest change first). */
export function renderDiffs(body: HTMLTableSectionElement, diffs: readonly StatisticDiff[], groupBy: string, limit: number): void {
  const sign = (n: number) => (n > 0 ? 'plus' : n < 0 ? 'minus' : '');
  const rows = diffs.slice(0, limit).map((d) =>
    row([
      [siteLabel(d.traceback, groupBy)],
      [formatBytesDiff(d.sizeDiff), sign(d.sizeDiff), d.sizeDiff],
      [formatCountDiff(d.countDiff), sign(d.countDiff), d.countDiff],
      [formatBytes(d.size), '', d.size],
      [String(d.count), '', d.count],
    ]),
  );
  body.replaceChildren(...rows);
}
