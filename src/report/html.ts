/**
 * A self-contained HTML report: one file, no network, script and style inline.
 *
 *   - one snapshot: a flame graph of the live memory (width = live bytes under each call
 *     stack, root at the top, click to zoom, search), the top lines and the top tracebacks;
 *   - two snapshots: the same flame graph on the merged stacks, coloured by the change (red:
 *     grown, blue: shrunk; widths from the new snapshot, or the old one with a toggle), and the
 *     top differences by line.
 *
 * The flame graph is drawn by the small SVG renderer in htmlClient.ts rather than by a library
 * (d3-flame-graph needs d3, several packages to bundle into every report).
 */
import type { Snapshot, Statistic, StatisticDiff } from '../snapshot/index.js';
import { formatSize } from '../snapshot/index.js';
import { frameLabel, stacksOf, TRUNCATED_FRAME, type Stack } from './stacks.js';
import { describeSnapshot } from './text.js';
import { REPORT_CSS, REPORT_JS } from './htmlClient.js';

/** Options of toHtml. */
export interface HtmlOptions {
  /** Page title (default: from the module name). */
  title?: string;
  /** Names shown for the snapshots (e.g. their file names). */
  labels?: { old?: string; new?: string };
  /** Rows per table (default 50). */
  limit?: number;
}

/** The flame graph's data: frame names, and 6 numbers per node (see htmlClient.ts). */
export interface FlameTree {
  names: string[];
  nodes: number[];
}

const FIELDS = 6;

/** Merges the stacks of `now` (and `old`) into one tree, root first; values are inclusive. */
export function flameTree(now: readonly Stack[], old: readonly Stack[] = []): FlameTree {
  const names: string[] = ['all'];
  const nameIds = new Map<string, number>([['all', 0]]);
  const nodes: number[] = [-1, 0, 0, 0, 0, 0];
  const children: Map<number, number>[] = [new Map()];
  const nameId = (name: string): number => {
    let id = nameIds.get(name);
    if (id === undefined) {
      id = names.length;
      names.push(name);
      nameIds.set(name, id);
    }
    return id;
  };
  const add = (stacks: readonly Stack[], offset: 2 | 4): void => {
    for (const s of stacks) {
      const path: string[] = s.truncated ? [TRUNCATED_FRAME] : [];
      for (let i = s.frames.length - 1; i >= 0; i--) path.push(frameLabel(s.frames[i]!));
      let node = 0;
      nodes[offset] += s.size;
      nodes[offset + 1] += s.count;
      for (const label of path) {
        const name = nameId(label);
        let child = children[node]!.get(name);
        if (child === undefined) {
          child = nodes.length / FIELDS;
          nodes.push(node, name, 0, 0, 0, 0);
          children.push(new Map());
          children[node]!.set(name, child);
        }
        node = child;
        nodes[node * FIELDS + offset] += s.size;
        nodes[node * FIELDS + offset + 1] += s.count;
      }
    }
  };
  add(now, 2);
  add(old, 4);
  return { names, nodes };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON safe inside a <script> element (no "</script>", no "<!--"). */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function statsTable(stats: readonly Statistic[], limit: number, traceback: boolean): string {
  const rows = stats.slice(0, limit).map((s) => {
    const where = traceback ? s.traceback.format().map((l) => escapeHtml(l.trim())).join('<br>') : escapeHtml(s.traceback.toString());
    return `<tr><td>${formatSize(s.size, false)}</td><td>${s.count}</td><td>${s.count ? formatSize(s.size / s.count, false) : '-'}</td><td class="loc">${where}</td></tr>`;
  });
  const more = stats.length > limit ? `<p class="meta">${stats.length - limit} more not shown.</p>` : '';
  return `<table><thead><tr><th>size</th><th>count</th><th>average</th><th class="loc">${traceback ? 'traceback (oldest frame first)' : 'location'}</th></tr></thead><tbody>${rows.join('')}</tbody></table>${more}`;
}

function diffTable(diffs: readonly StatisticDiff[], limit: number, traceback: boolean): string {
  const rows = diffs.slice(0, limit).map((d) => {
    const cls = d.sizeDiff > 0 ? 'grow' : d.sizeDiff < 0 ? 'shrink' : '';
    const countDiff = d.countDiff > 0 ? `+${d.countDiff}` : String(d.countDiff);
    const where = traceback ? d.traceback.format().map((l) => escapeHtml(l.trim())).join('<br>') : escapeHtml(d.traceback.toString());
    return `<tr><td>${formatSize(d.size, false)}</td><td class="${cls}">${formatSize(d.sizeDiff, true)}</td><td>${d.count}</td><td class="${cls}">${countDiff}</td><td class="loc">${where}</td></tr>`;
  });
  const more = diffs.length > limit ? `<p class="meta">${diffs.length - limit} more not shown.</p>` : '';
  return `<table><thead><tr><th>size</th><th>size diff</th><th>count</th><th>count diff</th><th class="loc">${traceback ? 'traceback (oldest frame first)' : 'location'}</th></tr></thead><tbody>${rows.join('')}</tbody></table>${more}`;
}

function total(snapshot: Snapshot): { size: number; count: number } {
  let size = 0;
  let count = 0;
  for (const s of snapshot.statistics('filename')) {
    size += s.size;
    count += s.count;
  }
  return { size, count };
}

/**
 * The report of `now` alone, or of the change from `old` to `now` when `old` is given.
 * Returns the HTML text.
 */
export function toHtml(now: Snapshot, old: Snapshot | null = null, options: HtmlOptions = {}): string {
  const limit = options.limit ?? 50;
  const diff = old !== null;
  const tree = flameTree(stacksOf(now), old === null ? [] : stacksOf(old));
  const moduleName = now.meta.moduleName || 'unknown module';
  const title = options.title ?? (diff ? `wasm-tracemalloc: ${moduleName}, change in live memory` : `wasm-tracemalloc: ${moduleName}, live memory`);
  const t = total(now);
  const meta: string[] = [];
  if (old !== null) meta.push(describeSnapshot(old, options.labels?.old ?? 'old'));
  meta.push(describeSnapshot(now, diff ? (options.labels?.new ?? 'new') : options.labels?.new));
  let summary = `Live: ${formatSize(t.size, false)} in ${t.count} blocks`;
  if (old !== null) {
    const o = total(old);
    const dc = t.count - o.count;
    summary += ` (${formatSize(t.size - o.size, true)}, ${dc > 0 ? '+' : ''}${dc} blocks since the old snapshot)`;
  }
  const sections: string[] = [];
  if (diff) {
    sections.push(`<h2>Top differences by line</h2>${diffTable(now.compareTo(old, 'lineno'), limit, false)}`);
    sections.push(`<h2>Top differences by traceback</h2>${diffTable(now.compareTo(old, 'traceback'), limit, true)}`);
  } else {
    sections.push(`<h2>Top lines</h2>${statsTable(now.statistics('lineno'), limit, false)}`);
    sections.push(`<h2>Top tracebacks</h2>${statsTable(now.statistics('traceback'), limit, true)}`);
  }
  const widthToggle = diff
    ? '<span>width:</span><button id="width-new" aria-pressed="true">new</button><button id="width-old" aria-pressed="false">old</button>' +
      '<span class="legend"><span style="background:rgb(250,120,120)">grown</span><span style="background:rgb(120,120,250)">shrunk</span><span style="background:rgb(225,225,225)">same</span></span>'
    : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${meta.map((m) => `<p class="meta">${escapeHtml(m)}</p>`).join('\n')}
<p class="meta">${escapeHtml(summary)}</p>
<h2>Flame graph of live memory${diff ? ' (colour: change since the old snapshot)' : ''}</h2>
<p class="meta">Each box is a call site (file:line), its width the live bytes allocated under it; callers above callees. Click a box to zoom, "reset" to go back.</p>
<div class="controls"><button id="reset">reset zoom</button><input id="search" type="search" placeholder="search frames (file:line)"><span id="match"></span>${widthToggle}</div>
<svg id="flame" xmlns="http://www.w3.org/2000/svg" height="20"></svg>
<div id="details"></div>
<noscript><p>The flame graph needs JavaScript; the tables below do not.</p></noscript>
${sections.join('\n')}
<script type="application/json" id="wtm-data">${scriptJson({ mode: diff ? 'diff' : 'single', names: tree.names, nodes: tree.nodes })}</script>
<script>${REPORT_JS}</script>
</body>
</html>
`;
}
