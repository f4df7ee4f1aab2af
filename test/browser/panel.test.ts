// The panel over a real Emscripten program in headless Chromium: sql.js 1.16 (minified release
// build: `_malloc = c.Ia`, read from its glue) loaded through Module.instantiateWasm, its wasm
// instrumented in the page. The panel's figures and rows must be what the API reports; a diff
// after freeing must show the negative deltas and add up to the change of traced memory; the
// downloaded files must load back in Node; the screenshot must show a drawn chart and rows.
// Skipped, with the reason, without Chromium or the browser build.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import type { Page } from 'playwright-core';
import { Snapshot } from '../../src/snapshot/index.js';
import { closeBrowser, openPage, serve, skipReason } from './support.js';

const scratch = mkdtempSync(join(tmpdir(), 'wtm-browser-'));
const SQL_DIST = '/node_modules/sql.js/dist/';

/** The app: sql.js, traced through instantiateWasm, with the panel open; `window.app` drives it. */
const PAGE = `<!doctype html><html><head><title>sql.js app</title>
<style>/* the app's own hostile CSS: the panel must not inherit it */ * { font-size: 40px !important; color: red !important; } table { display: none !important; }</style>
</head><body><h1>sql.js app</h1><div id="out"></div>
<script src="${SQL_DIST}sql-wasm-browser.js"></script>
<script type="module">
import { emscriptenInstantiateWasm, openPanel } from '/dist/web/wasm-tracemalloc.js';
try {
  const started = performance.now();
  const tracing = emscriptenInstantiateWasm({ wasm: '${SQL_DIST}sql-wasm-browser.wasm', glue: '${SQL_DIST}sql-wasm-browser.js', nframe: 4 });
  tracing.traced.catch((e) => (window.failed = String(e)));
  const SQL = await initSqlJs({ locateFile: (f) => '${SQL_DIST}' + f, instantiateWasm: tracing.instantiateWasm });
  const traced = await tracing.traced;
  const readyMs = performance.now() - started;
  const panel = openPanel({ traced, interval: 100, tableInterval: 0 });
  let db = null;
  window.app = {
    readyMs, panel, traced,
    memory: () => traced.tracemalloc.getTracedMemory(),
    open() { db = new SQL.Database(); db.run('create table t(id integer primary key, name text, payload blob)'); },
    insert(n, from = 0) {
      const stmt = db.prepare('insert into t values (?, ?, ?)');
      for (let i = from; i < from + n; i++) stmt.run([i, 'name ' + i, new Uint8Array(i % 300)]);
      stmt.free();
      return db.exec('select count(*), sum(length(payload)) from t')[0].values[0];
    },
    close() { db.close(); db = null; },
    stats(groupBy) { return traced.tracemalloc.takeSnapshot().statistics(groupBy).map((s) => [String(s.traceback.at(0)), s.size, s.count]); },
  };
} catch (e) {
  window.failed = String(e && e.stack || e);
}
</script></body></html>`;

let page: Page;
let errors: string[];
let origin: { url: string; server: import('node:http').Server } | undefined;

before(async () => {
  if (skipReason) return;
  origin = await serve({ '/app.html': PAGE });
  ({ page, errors } = await openPage(`${origin.url}/app.html`, origin.url));
  await page.waitForFunction(() => (window as any).app || (window as any).failed, null, { timeout: 300_000 });
  const failed = await page.evaluate(() => (window as any).failed);
  assert.equal(failed, undefined, `the page failed: ${failed}`);
});
after(async () => {
  await closeBrowser();
  origin?.server.close();
});

/** The exact number a figure or a cell holds (the text is rounded). */
const figure = async (role: string) => Number(await page.locator(`wasm-tracemalloc-panel [data-role="${role}"]`).getAttribute('data-value'));
const rows = (body: string) => page.locator(`wasm-tracemalloc-panel [data-role="${body}"] tr`);
/** Every row of a table as [site, value of each numeric cell…]. */
async function tableRows(body: string): Promise<Array<[string, ...number[]]>> {
  return rows(body).evaluateAll((trs) =>
    trs.map((tr) => {
      const cells = Array.from(tr.querySelectorAll('td'));
      return [cells[0]!.textContent!, ...cells.slice(1).filter((c) => c.dataset.value !== undefined).map((c) => Number(c.dataset.value))];
    }),
  ) as Promise<Array<[string, ...number[]]>>;
}
const app = <T>(fn: string, ...args: unknown[]) => page.evaluate(([f, a]) => (window as any).app[f as string](...(a as unknown[])), [fn, args] as const) as Promise<T>;

test('sql.js through Module.instantiateWasm: the panel shows what the API reports', { skip: skipReason }, async (t) => {
  t.diagnostic(`sql.js instrumented and ready in the page after ${Math.round(await page.evaluate(() => (window as any).app.readyMs))} ms`);
  await app('open');
  // sqlite's own answer: 3000 rows, payload lengths i % 300 summed = 10 · (0 + … + 299).
  assert.deepEqual(await app('insert', 3000), [3000, 10 * 44850]);
  await page.evaluate(() => (window as any).app.panel.refresh());
  const [current, peak] = await app<[number, number]>('memory');
  assert.ok(current > 100_000, `sql.js holds its pages after 3000 inserts: ${current} bytes traced`);
  assert.equal(await figure('current'), current);
  assert.equal(await figure('peak'), peak);
  const linear = await page.evaluate(() => {
    const x = (window as any).app.traced.instance.exports;
    return (Object.values(x).find((v) => v instanceof WebAssembly.Memory) as WebAssembly.Memory).buffer.byteLength;
  });
  assert.equal(await figure('linear'), linear);
  assert.ok(linear > current);

  // The live table is the API's statistics('lineno'), top 15, in order.
  const expected = (await app<Array<[string, number, number]>>('stats', 'lineno')).slice(0, 15);
  const shown = await tableRows('top-rows');
  assert.deepEqual(shown, expected.map(([site, size, count]) => [site, size, count]));
  const blocks = await figure('blocks');
  const all = await app<Array<[string, number, number]>>('stats', 'lineno');
  assert.equal(all.reduce((n, s) => n + s[2], 0), blocks, 'live blocks = the snapshot\'s traces');
  assert.equal(all.reduce((n, s) => n + s[1], 0), current, 'the statistics add up to the traced current size');

  // Group by filename, cumulative: the controls re-render from the same snapshot API.
  await page.locator('wasm-tracemalloc-panel [data-role="group-by"]').selectOption('filename');
  const byFile = await tableRows('top-rows');
  assert.deepEqual(byFile, (await app<Array<[string, number, number]>>('stats', 'filename')).slice(0, 15).map(([site, size, count]) => [site.replace(/:\d+$/, ''), size, count]));
  await page.locator('wasm-tracemalloc-panel [data-role="cumulative"]').check();
  assert.match(await page.locator('wasm-tracemalloc-panel [data-role="top-title"]').innerText(), /filename, cumulative/);
  await page.locator('wasm-tracemalloc-panel [data-role="cumulative"]').uncheck();
  await page.locator('wasm-tracemalloc-panel [data-role="group-by"]').selectOption('lineno');

  // The filter box: excluding the top site's function drops exactly its rows.
  const top = shown[0]![0];
  const fn = top.slice(0, top.lastIndexOf(':'));
  await page.locator('wasm-tracemalloc-panel [data-role="filter"]').fill(`-${fn.replace(/[[\]]/g, '[$&]')}`);
  await page.locator('wasm-tracemalloc-panel [data-role="filter"]').press('Enter');
  const filtered = await tableRows('top-rows');
  assert.ok(filtered.length > 0 && filtered.every(([site]) => !site.startsWith(`${fn}:`)), JSON.stringify(filtered.slice(0, 3)));
  assert.equal(await page.locator('wasm-tracemalloc-panel [data-role="error"]').innerText(), '');
  await page.locator('wasm-tracemalloc-panel [data-role="filter"]').fill('bad:');
  await page.locator('wasm-tracemalloc-panel [data-role="filter"]').press('Enter');
  // "bad:" is a pattern without a line: accepted as a file name pattern; an empty pattern is not.
  await page.locator('wasm-tracemalloc-panel [data-role="filter"]').fill('-');
  await page.locator('wasm-tracemalloc-panel [data-role="filter"]').press('Enter');
  assert.match(await page.locator('wasm-tracemalloc-panel [data-role="error"]').innerText(), /filter "-": expected a file name pattern/);
  await page.locator('wasm-tracemalloc-panel [data-role="filter"]').fill('');
  await page.locator('wasm-tracemalloc-panel [data-role="filter"]').press('Enter');
  assert.deepEqual(await tableRows('top-rows'), shown);
});

test('take snapshot, free, take snapshot: the diff shows the negative deltas; downloads load back in Node', { skip: skipReason }, async (t) => {
  const button = (role: string) => page.locator(`wasm-tracemalloc-panel [data-role="${role}"]`);
  // A click's handler is not guaranteed to have run when click() returns: wait for the snapshot
  // it takes, and say what the panel showed if it never came.
  const takeSnapshot = async () => {
    const count = () => page.evaluate(() => (window as any).app.panel.snapshots.length as number);
    const n = await count();
    await button('snapshot').click();
    await page.waitForFunction((k) => (window as any).app.panel.snapshots.length > k, n, { timeout: 10_000 }).catch(async () => {
      assert.fail(`the snapshot button took no snapshot (${await count()} held); the panel's error line: "${await button('error').innerText()}"`);
    });
  };
  await takeSnapshot();
  const [before] = await app<[number, number]>('memory');
  await app('close');
  const [afterClose] = await app<[number, number]>('memory');
  assert.ok(afterClose < before, `closing the database frees memory: ${before} → ${afterClose}`);
  const buttonAt = await button('snapshot').boundingBox();
  await takeSnapshot();
  // The diff table filled in: the panel hangs from the window's bottom, and its buttons must not move.
  assert.deepEqual(await button('snapshot').boundingBox(), buttonAt, 'the snapshot button stays where the user clicked it');

  const diff = await tableRows('diff-rows');
  assert.ok(diff.length > 0, `the diff table is empty; the panel's error line: "${await button('error').innerText()}"`);
  assert.ok(diff.some(([, sizeDiff, countDiff]) => sizeDiff! < 0 && countDiff! < 0), JSON.stringify(diff.slice(0, 3)));
  assert.equal(diff[0]![1], Math.min(...diff.map((d) => d[1]!)), 'largest change first: every change here is a free');
  // Independent of the table rendering: the two snapshots' difference is the drop of the counters.
  const total = await page.evaluate(() => {
    const [a, b] = (window as any).app.panel.snapshots.slice(-2);
    return b.compareTo(a, 'traceback').reduce((n: number, d: { sizeDiff: number }) => n + d.sizeDiff, 0);
  });
  assert.equal(total, afterClose - before);
  assert.match(await page.locator('wasm-tracemalloc-panel [data-role="diff-title"]').innerText(), /snapshot \d+ against snapshot \d+/);

  // Downloads: the dump format and pprof, of the last snapshot.
  const [dump] = await Promise.all([page.waitForEvent('download'), button('download-dump').click()]);
  const dumpPath = join(scratch, dump.suggestedFilename());
  await dump.saveAs(dumpPath);
  assert.match(dump.suggestedFilename(), /^sql-wasm-browser-\d+\.tmsnap$/);
  const loaded = Snapshot.fromBytes(readFileSync(dumpPath));
  const inPage = await page.evaluate(() => {
    const s = (window as any).app.panel.snapshots.at(-1);
    return { traces: s.traces.length, limit: s.tracebackLimit, top: s.statistics('lineno').slice(0, 5).map(String), module: s.meta.moduleName, hash: s.meta.moduleHash };
  });
  assert.equal(loaded.traces.length, inPage.traces);
  assert.equal(loaded.tracebackLimit, 4);
  assert.deepEqual(loaded.statistics('lineno').slice(0, 5).map(String), inPage.top);
  assert.equal(loaded.statistics('filename').reduce((n, s) => n + s.size, 0), afterClose);
  assert.equal(loaded.meta.moduleName, 'sql-wasm-browser.wasm');
  assert.equal(loaded.meta.moduleHash, inPage.hash);
  assert.equal(inPage.hash.length, 64);

  const [pprof] = await Promise.all([page.waitForEvent('download'), button('download-pprof').click()]);
  const pprofPath = join(scratch, pprof.suggestedFilename());
  await pprof.saveAs(pprofPath);
  const profile = Profile.decode(gunzipSync(readFileSync(pprofPath)));
  const space = profile.sampleType.findIndex((st) => profile.stringTable.strings[Number(st.type)] === 'inuse_space');
  const objects = profile.sampleType.findIndex((st) => profile.stringTable.strings[Number(st.type)] === 'inuse_objects');
  assert.equal(profile.sample.reduce((n, s) => n + Number(s.value[space]), 0), afterClose);
  assert.equal(profile.sample.reduce((n, s) => n + Number(s.value[objects]), 0), loaded.traces.length);
  t.diagnostic(`downloads: ${dump.suggestedFilename()} ${readFileSync(dumpPath).length} B, ${pprof.suggestedFilename()} ${readFileSync(pprofPath).length} B`);
});

test('the panel is drawn: chart lines on the canvas, rows in the tables, not styled by the page', { skip: skipReason }, async (t) => {
  await app('open');
  for (let i = 0; i < 5; i++) {
    await app('insert', 400, i * 400);
    await page.waitForTimeout(150);
  }
  await page.evaluate(() => (window as any).app.panel.refresh());
  const screenshot = join(scratch, 'panel.png');
  await page.locator('wasm-tracemalloc-panel').screenshot({ path: screenshot });
  t.diagnostic(`screenshot: ${screenshot}`);
  // The chart's canvas, read back: pixels of the current (blue) and linear-memory (purple) lines.
  const painted = await page.evaluate(() => {
    const canvas = document.querySelector('wasm-tracemalloc-panel')!.shadowRoot!.querySelector('canvas')!;
    const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    let blue = 0;
    let purple = 0;
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b, a] = [data[i]!, data[i + 1]!, data[i + 2]!, data[i + 3]!];
      if (a > 200 && Math.abs(r - 0x15) < 30 && Math.abs(g - 0x65) < 30 && Math.abs(b - 0xc0) < 30) blue++;
      if (a > 200 && Math.abs(r - 0x6a) < 30 && Math.abs(g - 0x1b) < 30 && Math.abs(b - 0x9a) < 30) purple++;
    }
    return { blue, purple, width: canvas.width, height: canvas.height };
  });
  assert.ok(painted.width > 300 && painted.height > 100, JSON.stringify(painted));
  assert.ok(painted.blue > 100, `the traced-current line is drawn: ${JSON.stringify(painted)}`);
  assert.ok(painted.purple > 100, `the linear-memory line is drawn: ${JSON.stringify(painted)}`);
  const png = readFileSync(screenshot);
  assert.equal(png.subarray(1, 4).toString(), 'PNG');
  assert.ok(png.readUInt32BE(16) >= 600 && png.readUInt32BE(20) >= 400, `panel screenshot ${png.readUInt32BE(16)}×${png.readUInt32BE(20)}`);
  assert.ok((await rows('top-rows').count()) >= 3);
  assert.ok(await rows('top-rows').first().isVisible(), 'the page hides its own tables; the panel\'s are visible');
  const style = await page.locator('wasm-tracemalloc-panel [data-role="current"]').evaluate((e) => getComputedStyle(e));
  assert.notEqual((style as unknown as CSSStyleDeclaration).fontSize, '40px');
  assert.deepEqual(errors.filter((e) => !/favicon|404/.test(e)), []);
});

test('what a timer tick costs while sql.js works', { skip: skipReason }, async (t) => {
  const result = await page.evaluate(async () => {
    const { app } = window as any;
    const before = { ...app.panel.stats };
    const started = performance.now();
    let inserted = 0;
    // 4 s of work in 50 ms slices, the panel's 100 ms timer reading the table in between.
    while (performance.now() - started < 4000) {
      const slice = performance.now();
      while (performance.now() - slice < 50) app.insert(20, 100_000 + inserted), (inserted += 20);
      await new Promise((r) => setTimeout(r, 0));
    }
    const s = app.panel.stats;
    return {
      ticks: s.ticks - before.ticks,
      tickMs: s.totalTickMs - before.totalTickMs,
      tables: s.tableRefreshes - before.tableRefreshes,
      tableMs: s.tableMs - before.tableMs,
      maxTickMs: s.maxTickMs,
      inserted,
      blocks: app.traced.tracemalloc.counters().liveBlocks,
    };
  });
  const mean = result.tickMs / result.ticks;
  const figuresOnly = (result.tickMs - result.tableMs) / result.ticks;
  t.diagnostic(
    `${result.ticks} ticks over 4 s of inserts (${result.inserted} rows, ${result.blocks} live blocks): ${mean.toFixed(2)} ms per tick on average ` +
      `(${figuresOnly.toFixed(3)} ms for the figures and chart; ${result.tables} sites-table refreshes at ${(result.tableMs / Math.max(1, result.tables)).toFixed(2)} ms), max ${result.maxTickMs.toFixed(1)} ms`,
  );
  writeFileSync(join(scratch, 'tick.json'), JSON.stringify(result));
  assert.ok(result.ticks >= 10, `the timer ran while the app worked: ${result.ticks} ticks`);
  assert.ok(result.inserted > 0);
});
