/**
 * The live panel: opened over the page with one call, inside a shadow root (the page's DOM and
 * CSS cannot break it, and it cannot break them).
 *
 *   const panel = openPanel({ traced });            // or { hook } to follow a global hook
 *
 * What it shows, for the selected traced instance: traced current and peak bytes over time (a
 * uPlot chart) with the linear memory's size beside them; the top allocation sites grouped by
 * filename / lineno / traceback, optionally cumulative, through the filter box's Filter
 * patterns; "Take snapshot" and the diff against the previous one (compareTo); downloads of the
 * last snapshot as a dump file and as a pprof profile.
 *
 * It reads the trace table on a timer (`interval`, default 500 ms), never per allocation: the
 * figures are a few loads from the table's header; the sites table takes a snapshot of the live
 * table, only when the allocation counters moved, and at most every `tableInterval` ms.
 * `panel.stats` says what a tick costs.
 */
import type { TracedInstance } from '../../host/tracedModule.js';
import type { GroupBy, Snapshot } from '../../snapshot/index.js';
import { download, snapshotBytes, toPprofBytes } from '../downloads.js';
import { linearMemoryOf } from '../linearMemory.js';
import type { BrowserWasmHook } from '../wasmHook.js';
import { MemoryChart } from './chart.js';
import { parseFilterText } from './filterText.js';
import { formatBytes } from './format.js';
import { renderDiffs, renderStatistics } from './sitesTable.js';
import { STYLES } from './styles.js';

/** Options of openPanel. */
export interface PanelOptions {
  /** The instance(s) to show. */
  traced?: TracedInstance | readonly TracedInstance[] | undefined;
  /** A global hook: its instances are added as they appear. */
  hook?: BrowserWasmHook | undefined;
  /** Milliseconds between two readings of the table (default 500). */
  interval?: number | undefined;
  /** Least milliseconds between two refreshes of the sites table (default 1000). */
  tableInterval?: number | undefined;
  /** Rows in the tables (default 15). */
  limit?: number | undefined;
  /** Initial grouping (default 'lineno'). */
  groupBy?: GroupBy | undefined;
  /** Where to put the panel; default: fixed over the page's bottom right corner. */
  container?: HTMLElement | undefined;
}

/** What the timer costs, for whoever wonders whether the panel slows the app. */
export interface PanelStats {
  ticks: number;
  /** Milliseconds of the last tick, of all ticks together, and of the longest. */
  lastTickMs: number;
  totalTickMs: number;
  maxTickMs: number;
  /** Ticks that rebuilt the sites table, and their milliseconds together. */
  tableRefreshes: number;
  tableMs: number;
}

/** An open panel. */
export interface Panel {
  /** The shadow host element. */
  readonly element: HTMLElement;
  readonly stats: PanelStats;
  /** Snapshots taken with the button (or `takeSnapshot()`), oldest first. */
  readonly snapshots: readonly Snapshot[];
  /** Shows another traced instance. */
  addInstance(traced: TracedInstance): void;
  /** Reads the table now (as a timer tick does), sites table included. */
  refresh(): void;
  /** Takes a snapshot of the selected instance, as the button does, and shows the diff. */
  takeSnapshot(): Snapshot | null;
  /** Stops the timer and removes the panel. */
  close(): void;
}

const GROUPS: GroupBy[] = ['lineno', 'filename', 'traceback'];

const SKELETON = `
<div class="panel">
  <header>
    <h1>wasm-tracemalloc</h1>
    <select data-role="instance" title="traced instance"></select>
    <button data-role="collapse" title="collapse">–</button>
    <button data-role="close" title="close">×</button>
  </header>
  <div class="body">
    <div class="figures">
      <div class="figure"><div class="label">traced current</div><div class="value" data-role="current">–</div></div>
      <div class="figure"><div class="label">traced peak</div><div class="value" data-role="peak">–</div></div>
      <div class="figure"><div class="label">live blocks</div><div class="value" data-role="blocks">–</div></div>
      <div class="figure"><div class="label">linear memory</div><div class="value" data-role="linear">–</div></div>
      <div class="figure"><div class="label">tracer memory</div><div class="value" data-role="tracer">–</div></div>
    </div>
    <div data-role="chart"></div>
    <div class="controls">
      <label>group by <select data-role="group-by">${GROUPS.map((g) => `<option value="${g}">${g}</option>`).join('')}</select></label>
      <label><input type="checkbox" data-role="cumulative"> cumulative</label>
      <input type="text" data-role="filter" placeholder="filter: pattern[:line]  -excluded[:line]" spellcheck="false">
    </div>
    <div class="controls">
      <button data-role="snapshot">Take snapshot</button>
      <button data-role="download-dump" disabled>Download snapshot (.tmsnap)</button>
      <button data-role="download-pprof" disabled>Download pprof (.pb.gz)</button>
      <span class="note" data-role="snapshot-note"></span>
    </div>
    <div class="error" data-role="error"></div>
    <h2 data-role="top-title">Top sites (live)</h2>
    <table><thead><tr><th>site</th><th>size</th><th>count</th><th>average</th></tr></thead><tbody data-role="top-rows"></tbody></table>
    <h2 data-role="diff-title">Diff against the previous snapshot</h2>
    <table><thead><tr><th>site</th><th>size diff</th><th>count diff</th><th>size</th><th>count</th></tr></thead><tbody data-role="diff-rows"></tbody></table>
    <div class="note" data-role="diff-note">Take two snapshots to see what changed between them.</div>
  </div>
</div>`;

/** Opens the panel. */
export function openPanel(options: PanelOptions = {}): Panel {
  const interval = options.interval ?? 500;
  const tableInterval = options.tableInterval ?? 1000;
  const limit = options.limit ?? 15;
  const host = document.createElement('wasm-tracemalloc-panel');
  if (options.container) host.dataset.docked = 'false';
  const root = host.attachShadow({ mode: 'open' });
  const style = document.createElement('style');
  style.textContent = STYLES;
  root.append(style);
  const holder = document.createElement('div');
  holder.innerHTML = SKELETON;
  root.append(holder.firstElementChild!);
  const $ = <T extends HTMLElement>(role: string) => root.querySelector(`[data-role="${role}"]`) as T;
  (options.container ?? document.body).append(host);

  const instances: TracedInstance[] = [];
  let selected = 0;
  let groupBy: GroupBy = options.groupBy ?? 'lineno';
  let cumulative = false;
  let filters = parseFilterText('');
  const snapshots: Snapshot[] = [];
  const started = performance.now();
  let lastCounts = '';
  let lastTable = -Infinity;
  const stats: PanelStats = { ticks: 0, lastTickMs: 0, totalTickMs: 0, maxTickMs: 0, tableRefreshes: 0, tableMs: 0 };

  const chart = new MemoryChart($('chart'), 656);
  const instanceSelect = $<HTMLSelectElement>('instance');
  const groupSelect = $<HTMLSelectElement>('group-by');
  groupSelect.value = groupBy;
  const showError = (message: string) => ($('error').textContent = message);
  /** A figure: rounded as text, exact in `data-value` (for tests and for a tooltip). */
  const showFigure = (role: string, value: number | null, text: string) => {
    const element = $(role);
    element.textContent = text;
    element.dataset.value = value === null ? '' : String(value);
    element.title = value === null ? '' : `${value.toLocaleString('en')} ${role === 'blocks' ? 'blocks' : 'bytes'}`;
  };

  function addInstance(traced: TracedInstance): void {
    if (instances.includes(traced)) return;
    instances.push(traced);
    const option = document.createElement('option');
    option.value = String(instances.length - 1);
    option.textContent = traced.tracemalloc.module.name || `instance ${instances.length}`;
    instanceSelect.append(option);
    if (instances.length === 1) refresh();
  }

  const current = (): TracedInstance | undefined => instances[selected];

  /** The live sites table (and the diff, which only changes with snapshots or settings). */
  function renderTables(): void {
    const t0 = performance.now();
    const traced = current();
    if (traced === undefined) return;
    try {
      if (traced.tracemalloc.isTracing()) {
        let live = traced.tracemalloc.takeSnapshot();
        if (filters.length > 0) live = live.filterTraces(filters);
        renderStatistics($('top-rows'), live.statistics(groupBy, cumulative), groupBy, limit);
        $('top-title').textContent = `Top sites (live, ${groupBy}${cumulative ? ', cumulative' : ''})`;
      } else {
        $<HTMLTableSectionElement>('top-rows').replaceChildren();
        $('top-title').textContent = 'Top sites: not tracing (call tracemalloc.start())';
      }
      renderDiff();
    } catch (e) {
      showError((e as Error).message);
    }
    stats.tableRefreshes++;
    stats.tableMs += performance.now() - t0;
  }

  function renderDiff(): void {
    const [older, newer] = snapshots.slice(-2);
    if (older === undefined || newer === undefined) return;
    const apply = (s: Snapshot) => (filters.length > 0 ? s.filterTraces(filters) : s);
    renderDiffs($('diff-rows'), apply(newer).compareTo(apply(older), groupBy, cumulative), groupBy, limit);
    $('diff-title').textContent = `Diff: snapshot ${snapshots.length} against snapshot ${snapshots.length - 1} (${groupBy}${cumulative ? ', cumulative' : ''})`;
    $('diff-note').textContent = '';
  }

  /** One timer tick: the figures and the chart always, the sites table when something changed. */
  function tick(forceTable = false): void {
    const t0 = performance.now();
    if (options.hook) for (const t of options.hook.instances) if (!instances.includes(t)) addInstance(t);
    const traced = current();
    if (traced !== undefined) {
      const [cur, peak] = traced.tracemalloc.getTracedMemory();
      const counters = traced.tracemalloc.counters();
      const memory = linearMemoryOf(traced);
      const linear = memory === null ? null : memory.buffer.byteLength;
      showFigure('current', cur, formatBytes(cur));
      showFigure('peak', peak, formatBytes(peak));
      showFigure('blocks', counters.liveBlocks, String(counters.liveBlocks));
      showFigure('linear', linear, linear === null ? 'unknown' : formatBytes(linear));
      const own = traced.tracemalloc.getTracemallocMemory();
      showFigure('tracer', own, formatBytes(own));
      chart.push({ t: (t0 - started) / 1000, current: cur, peak, linear });
      const counts = JSON.stringify(counters);
      if (forceTable || (counts !== lastCounts && t0 - lastTable >= tableInterval)) {
        lastCounts = counts;
        lastTable = t0;
        renderTables();
      }
    }
    const ms = performance.now() - t0;
    stats.ticks++;
    stats.lastTickMs = ms;
    stats.totalTickMs += ms;
    stats.maxTickMs = Math.max(stats.maxTickMs, ms);
  }

  function refresh(): void {
    tick(true);
  }

  function takeSnapshot(): Snapshot | null {
    const traced = current();
    if (traced === undefined) return null;
    try {
      const snapshot = traced.tracemalloc.takeSnapshot();
      snapshots.push(snapshot);
      $<HTMLButtonElement>('download-dump').disabled = false;
      $<HTMLButtonElement>('download-pprof').disabled = false;
      const [cur] = traced.tracemalloc.getTracedMemory();
      $('snapshot-note').textContent = `snapshot ${snapshots.length}: ${formatBytes(cur)} in ${snapshot.traces.length} blocks`;
      showError('');
      renderDiff();
      return snapshot;
    } catch (e) {
      showError(`cannot take a snapshot: ${(e as Error).message}`);
      return null;
    }
  }

  const baseName = () => (current()?.tracemalloc.module.name || 'module').replace(/\.wasm$/, '');
  const lastSnapshot = () => snapshots[snapshots.length - 1] ?? takeSnapshot();

  // Controls. Every handler catches: a panel error must never reach the app.
  instanceSelect.addEventListener('change', () => {
    selected = Number(instanceSelect.value);
    chart.clear();
    snapshots.length = 0;
    $<HTMLTableSectionElement>('diff-rows').replaceChildren();
    refresh();
  });
  groupSelect.addEventListener('change', () => {
    groupBy = groupSelect.value as GroupBy;
    refresh();
  });
  $<HTMLInputElement>('cumulative').addEventListener('change', (e) => {
    cumulative = (e.target as HTMLInputElement).checked;
    refresh();
  });
  $<HTMLInputElement>('filter').addEventListener('change', (e) => {
    try {
      filters = parseFilterText((e.target as HTMLInputElement).value);
      showError('');
      refresh();
    } catch (err) {
      showError((err as Error).message);
    }
  });
  $('snapshot').addEventListener('click', () => void takeSnapshot());
  $('download-dump').addEventListener('click', () => {
    const s = lastSnapshot();
    if (s) download(snapshotBytes(s), `${baseName()}-${snapshots.length}.tmsnap`);
  });
  $('download-pprof').addEventListener('click', () => {
    const s = lastSnapshot();
    if (s) toPprofBytes(s).then((bytes) => download(bytes, `${baseName()}-${snapshots.length}.pb.gz`, 'application/gzip'), (e: Error) => showError(`pprof: ${e.message}`));
  });
  $('collapse').addEventListener('click', () => root.querySelector('.panel')!.classList.toggle('collapsed'));

  const initial = options.traced === undefined ? [] : Array.isArray(options.traced) ? options.traced : [options.traced as TracedInstance];
  for (const t of initial) addInstance(t);

  const timer = setInterval(() => {
    try {
      tick();
    } catch (e) {
      showError((e as Error).message);
    }
  }, interval);

  const panel: Panel = {
    element: host,
    stats,
    snapshots,
    addInstance,
    refresh,
    takeSnapshot,
    close() {
      clearInterval(timer);
      chart.destroy();
      host.remove();
    },
  };
  $('close').addEventListener('click', () => panel.close());
  return panel;
}
