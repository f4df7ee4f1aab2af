// @sqlite.org/sqlite-wasm 3.54.1 in headless Chromium, through its own ES module glue with
// Module.instantiateWasm (withEmscriptenTracing), the panel open. The oracle is SQLite's own
// counters, as in test/e2e/sqliteWasm.test.ts: at every step of the workload the panel must show
//     traced current = MEMORY_USED + 8 · MALLOC_COUNT + environment,  live blocks = MALLOC_COUNT + 2
// (SQLite keeps each block's size in 8 bytes in front of it; Emscripten's libc holds the
// environment in 2 blocks: the strings "K=V\0" and the pointer array, 4 · (n + 1)).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeBrowser, modulePage, openPage, pageResult, serve, skipReason } from './support.js';

const PAGE = modulePage(`import sqlite3InitModule from '/node_modules/@sqlite.org/sqlite-wasm/dist/index.mjs';
import { withEmscriptenTracing, openPanel } from '/dist/web/wasm-tracemalloc.js';`, `
  const { module: sqlite3, traced } = await withEmscriptenTracing(sqlite3InitModule, { print: () => {}, printErr: () => {} },
    { wasm: '/node_modules/@sqlite.org/sqlite-wasm/dist/sqlite3.wasm', nframe: 2 });
  const panel = openPanel({ traced, interval: 60_000 });
  const figure = (role) => Number(panel.element.shadowRoot.querySelector('[data-role="' + role + '"]').dataset.value);
  const status = (op) => {
    const w = sqlite3.wasm, mark = w.pstack.pointer;
    try {
      const [current, highwater] = w.pstack.allocChunks(2, 8);
      if (sqlite3.capi.sqlite3_status64(op, current, highwater, 0) !== 0) throw new Error('sqlite3_status64 failed');
      return Number(w.peek64(current));
    } finally { w.pstack.restore(mark); }
  };
  // Emscripten's default environment in a page (getEnvStrings): no process, so "_" is ./this.program.
  const env = { USER: 'web_user', LOGNAME: 'web_user', PATH: '/', PWD: '/', HOME: '/home/web_user',
    LANG: ((navigator.languages && navigator.languages[0]) || 'C').replace('-', '_') + '.UTF-8', _: './this.program' };
  const strings = Object.entries(env).map(([k, v]) => k + '=' + v);
  const environment = strings.reduce((n, s) => n + new TextEncoder().encode(s).length + 1, 0) + 4 * (strings.length + 1);
  const steps = [];
  const check = (step) => {
    panel.refresh();
    steps.push({ step, used: status(0), count: status(9), current: figure('current'), blocks: figure('blocks'), api: traced.tracemalloc.getTracedMemory()[0] });
  };
  check('init');
  const db = new sqlite3.oo1.DB(':memory:');
  check('open');
  db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT NOT NULL, v REAL); CREATE INDEX t_name ON t(name)');
  db.transaction(() => {
    const insert = db.prepare('INSERT INTO t(name, v) VALUES (?, ?)');
    for (let i = 0; i < 3000; i++) insert.bind(['name-' + ((i * 7919) % 3000), i * 1.5]).stepReset();
    insert.finalize();
  });
  check('insert');
  // A full tick (figures, chart, and the sites table from a snapshot of the live table), 20 times.
  const t0 = performance.now();
  for (let i = 0; i < 20; i++) panel.refresh();
  const refreshMs = (performance.now() - t0) / 20;
  const count = db.selectValue('SELECT count(*) FROM t');
  db.exec('DELETE FROM t WHERE id % 3 = 0');
  check('delete');
  db.exec('DROP TABLE t; VACUUM');
  check('drop');
  db.close();
  check('close');
  window.result = { steps, environment, count, refreshMs, allocators: traced.report.allocators.map((a) => a.shape) };`, `<h1>sqlite-wasm</h1>`);

let origin: Awaited<ReturnType<typeof serve>> | undefined;
after(async () => {
  await closeBrowser();
  origin?.server.close();
});

test('sqlite-wasm in the page: the panel\'s figures are SQLite\'s own counters + its 8-byte headers + the environment, at every step', { skip: skipReason }, async (t) => {
  origin = await serve({ '/sqlite.html': PAGE });
  const { page, errors } = await openPage(`${origin.url}/sqlite.html`, origin.url);
  const result = await pageResult<{
    steps: Array<{ step: string; used: number; count: number; current: number; blocks: number; api: number }>;
    environment: number;
    count: number;
    refreshMs: number;
    allocators: string[];
  }>(page);
  assert.equal(result.count, 3000);
  assert.deepEqual(result.allocators, ['malloc', 'free', 'realloc']);
  t.diagnostic(`a full panel tick with ${result.steps[2]!.blocks} live blocks: ${result.refreshMs.toFixed(2)} ms`);
  t.diagnostic(`environment ${result.environment} B; ${result.steps.map((s) => `${s.step}: ${s.current} B / ${s.blocks} blocks`).join(', ')}`);
  for (const s of result.steps) {
    assert.equal(s.current, s.api, `${s.step}: the panel shows the API's figure`);
    assert.equal(s.current, s.used + 8 * s.count + result.environment, `${s.step}: MEMORY_USED ${s.used}, MALLOC_COUNT ${s.count}`);
    assert.equal(s.blocks, s.count + 2, `${s.step}: blocks`);
  }
  assert.ok(result.steps[2]!.count > 100, 'the rows were in memory');
  assert.deepEqual(errors.filter((e) => !/favicon|404|OPFS|opfs/.test(e)), []);
});
