// The page's cache of instrumented modules (src/browser/moduleCache.ts): the second load of a
// page instruments nothing — binaryen.js and the worker are not even fetched — and the traced
// program behaves and measures exactly as on the first load.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeBrowser, modulePage, openPage, pageResult, serve, skipReason } from './support.js';

const SQL_DIST = '/node_modules/sql.js/dist/';
const PAGE = modulePage(`import { withEmscriptenTracing } from '/dist/web/wasm-tracemalloc.js';`, `
  const started = performance.now();
  const { module: SQL, traced } = await withEmscriptenTracing(initSqlJs, { locateFile: (f) => '${SQL_DIST}' + f },
    { wasm: '${SQL_DIST}sql-wasm-browser.wasm', glue: '${SQL_DIST}sql-wasm-browser.js', nframe: 3 });
  const readyMs = performance.now() - started;
  const db = new SQL.Database();
  db.run('create table t(a, b)');
  for (let i = 0; i < 500; i++) db.run('insert into t values (?, ?)', [i, 'x'.repeat(i % 64)]);
  const answer = db.exec('select count(*), sum(length(b)) from t')[0].values[0];
  const snapshot = traced.tracemalloc.takeSnapshot();
  window.result = { readyMs, fromCache: traced.fromCache, answer, memory: traced.tracemalloc.getTracedMemory(),
    top: snapshot.statistics('traceback').slice(0, 5).map((st) => [String(st.traceback), st.size, st.count]), sites: traced.report.sites };`, `
<script src="${SQL_DIST}sql-wasm-browser.js"></script>`);

let origin: Awaited<ReturnType<typeof serve>> | undefined;
after(async () => {
  await closeBrowser();
  origin?.server.close();
});

type Result = { readyMs: number; fromCache: boolean; answer: number[]; memory: number[]; top: Array<[string, number, number]>; sites: number };

test('a second page load takes the instrumented module from the cache, and traces the same', { skip: skipReason }, async (t) => {
  origin = await serve({ '/cached.html': PAGE });
  const { page } = await openPage(`${origin.url}/cached.html`, origin.url);
  const load = async (): Promise<Result> => {
    return pageResult<Result>(page);
  };
  const first = await load();
  assert.equal(first.fromCache, false);
  assert.ok(origin.requests.includes('/dist/web/binaryen.js'));
  origin.requests.length = 0;
  await page.reload();
  const second = await load();
  t.diagnostic(`ready in ${Math.round(first.readyMs)} ms, then ${Math.round(second.readyMs)} ms from the cache`);
  assert.equal(second.fromCache, true);
  assert.deepEqual(origin.requests.filter((r) => /binaryen|instrument-worker/.test(r)), [], 'no Binaryen on the second load');
  // sqlite's answer: 500 rows, Σ (i mod 64) over i < 500 = 7 · (0 + … + 63) + (0 + … + 51).
  assert.deepEqual(second.answer, [500, 7 * 2016 + 1326]);
  assert.deepEqual(first.answer, second.answer);
  // sql.js's heap is not byte-for-byte the same from one page load to the next: two loads that
  // both came from the cache were seen 8 B apart, at one site holding 6 blocks. So: the same
  // sites, in the same order, with the same block counts; sizes within 64 B.
  assert.deepEqual(second.top.map(([site, , count]) => [site, count]), first.top.map(([site, , count]) => [site, count]));
  for (let i = 0; i < first.top.length; i++) assert.ok(Math.abs(second.top[i]![1] - first.top[i]![1]) <= 64, `${first.top[i]} vs ${second.top[i]}`);
  assert.ok(Math.abs(second.memory[0]! - first.memory[0]!) <= 64, `${first.memory} vs ${second.memory}`);
  assert.equal(second.sites, first.sites, 'the report comes back with the module');
  assert.ok(second.readyMs < first.readyMs);
  await page.close();
});
