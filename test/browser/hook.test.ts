// The route for an app whose glue we do not control, in headless Chromium: the script-tag form
// (wasm-tracemalloc.iife.js, a classic script before the app's) installs the global hook, and
// sql.js's unmodified glue instantiates its wasm through instantiateStreaming, instrumented in the
// page. Then bad input on the browser entries: each gives a clear error in the page, and the app
// keeps running. Skipped, with the reason, without Chromium or the browser build.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { NO_ALLOCATOR_MODULE } from '../host/jsHeap.js';
import { closeBrowser, openPage, pageResult, serve, skipReason } from './support.js';

const SQL_DIST = '/node_modules/sql.js/dist/';

/** The app as its author wrote it, with one script tag added in front. */
const HOOKED_APP = `<!doctype html><html><body><h1>an app we do not change</h1>
<script src="/dist/web/wasm-tracemalloc.iife.js" data-nframe="2" data-glue="${SQL_DIST}sql-wasm-browser.js" data-interval="100"></script>
<script src="${SQL_DIST}sql-wasm-browser.js"></script>
<script>
  initSqlJs({ locateFile: (f) => '${SQL_DIST}' + f }).then((SQL) => {
    const db = new SQL.Database();
    db.run('create table kv(k text primary key, v text)');
    for (let i = 0; i < 1000; i++) db.run('insert into kv values (?, ?)', ['key' + i, 'value'.repeat(i % 20)]);
    window.result = db.exec('select count(*), sum(length(v)) from kv')[0].values[0];
    window.db = db;
  }, (e) => (window.failed = String(e)));
</script></body></html>`;

/** A page with the ES module build and a heartbeat: the "app" that must keep running. */
const BAD_INPUT_PAGE = `<!doctype html><html><body><h1>bad input</h1>
<script type="module">
import * as wtm from '/dist/web/wasm-tracemalloc.js';
window.wtm = wtm;
window.beats = 0;
setInterval(() => window.beats++, 20);
// Runs every bad input, in the page (plain JS: the test passes no functions across).
window.runBadInputs = async (noAllocator) => {
    const { wtm } = window;
    const why = async (f) => {
      try {
        await f();
        return 'no error';
      } catch (e) {
        return \`\${e.name}: \${e.message}\`;
      }
    };
    const notWasm = new TextEncoder().encode('<!doctype html> not found');
    const r = {};
    r.notWasm = await why(() => wtm.instantiateTraced(notWasm, {}));
    r.noAllocator = await why(() => wtm.instantiateTraced(new Uint8Array(noAllocator), {}, { moduleName: 'plain.wasm' }));
    const tracing = wtm.emscriptenInstantiateWasm({ wasm: new Uint8Array(noAllocator), glue: { source: 'var Module = {}; // no _malloc here', name: 'app.js' } });
    tracing.instantiateWasm({}, () => {});
    r.glue = await why(() => tracing.traced);
    r.missingWasm = await why(() => {
      const t = wtm.emscriptenInstantiateWasm({ wasm: '/nowhere/app.wasm' });
      t.instantiateWasm({}, () => {});
      return t.traced;
    });

    // The hook: what it cannot trace passes through to the engine as it was.
    const pageOwn = WebAssembly.instantiate;
    const hook = wtm.installWasmHook({ nframe: 1 });
    r.hookNotWasm = await why(() => WebAssembly.instantiate(notWasm));
    // \`(module (memory 1) (func (export "malloc") (result i32) i32.const 7))\`: named like an allocator, shaped like none.
    const fake = new Uint8Array([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00,
      0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x0a, 0x01, 0x06, 0x6d, 0x61, 0x6c, 0x6c, 0x6f, 0x63, 0x00, 0x00,
      0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x07, 0x0b,
    ]);
    const { instance } = await WebAssembly.instantiate(fake);
    r.fakeRuns = instance.exports.malloc();
    r.fakeErrors = hook.errors.map((e) => \`\${e.name}: \${e.message}\`);
    r.fakeNotTraced = await why(async () => hook.tracedInstance(instance));
    const sync = new WebAssembly.Module(fake);
    r.syncRuns = new WebAssembly.Instance(sync).exports.malloc();
    r.syncError = String(hook.errors.at(-1));
    r.traced = hook.instances.length;
    hook.uninstall();
    r.uninstalled = WebAssembly.instantiate === pageOwn;
    // A glue file that cannot be fetched: the module runs untraced, the reason is kept.
    const badGlue = wtm.installWasmHook({ glue: '/nowhere/glue.js' });
    r.badGlueRuns = (await WebAssembly.instantiate(fake)).instance.exports.malloc();
    r.badGlueError = String(badGlue.errors[0]);
    badGlue.uninstall();
    const beats = window.beats;
    await new Promise((resolve) => setTimeout(resolve, 200));
    r.heartbeat = window.beats > beats;
    return r;
};
window.ready = true;
</script></body></html>`;

let origin: Awaited<ReturnType<typeof serve>> | undefined;
after(async () => {
  await closeBrowser();
  origin?.server.close();
});

async function page(path: string): Promise<{ page: Page; errors: string[]; console: string[] }> {
  origin ??= await serve({ '/hooked.html': HOOKED_APP, '/bad.html': BAD_INPUT_PAGE });
  return openPage(`${origin.url}${path}`, origin.url);
}

test('script tag + global hook: sql.js with its own glue, traced, the panel follows it', { skip: skipReason }, async (t) => {
  const { page: p, errors } = await page('/hooked.html');
  // sqlite's answer is the untraced program's: 1000 rows, Σ 5·(i mod 20) = 50 · 5 · 190.
  assert.deepEqual(await pageResult(p), [1000, 50 * 5 * 190]);
  const state = await p.evaluate(() => {
    const { hook, panel } = (window as any).wasmTracemalloc;
    panel.refresh();
    const traced = hook.instances[0];
    const [current, peak] = traced.tracemalloc.getTracedMemory();
    return {
      instances: hook.instances.length,
      errors: hook.errors.map(String),
      current,
      peak,
      limit: traced.tracemalloc.getTracebackLimit(),
      name: traced.tracemalloc.module.name,
      blocks: traced.tracemalloc.counters().liveBlocks,
    };
  });
  t.diagnostic(JSON.stringify(state));
  assert.equal(state.instances, 1, 'one traced instance: sql.js');
  assert.deepEqual(state.errors, []);
  assert.equal(state.limit, 2, 'data-nframe="2"');
  assert.equal(state.name, 'sql-wasm-browser.wasm', 'named after the URL instantiateStreaming fetched');
  assert.ok(state.current > 50_000, `the database's pages are traced: ${state.current}`);
  const figure = async (role: string) => Number(await p.locator(`wasm-tracemalloc-panel [data-role="${role}"]`).getAttribute('data-value'));
  assert.equal(await figure('current'), state.current);
  assert.equal(await figure('peak'), state.peak);
  assert.equal(await figure('blocks'), state.blocks);
  assert.ok((await p.locator('wasm-tracemalloc-panel [data-role="top-rows"] tr').count()) > 0);

  // Freeing through the app's own API shows in the traced figures: closing returns to what was
  // traced before the database existed (the C library's environment blocks).
  const closed = await p.evaluate(() => {
    (window as any).db.close();
    return (window as any).wasmTracemalloc.hook.instances[0].tracemalloc.getTracedMemory()[0];
  });
  assert.ok(closed < 1000, `after db.close(): ${closed} bytes traced`);
  assert.deepEqual(errors.filter((e) => !/favicon|404/.test(e)), []);
  await p.close();
});

test('bad input on the browser entries: a clear error in the page, the app keeps running', { skip: skipReason }, async () => {
  const { page: p } = await page('/bad.html');
  await p.waitForFunction(() => (window as any).ready, null, { timeout: 60_000 });
  const outcome = (await p.evaluate((noAllocator) => (window as any).runBadInputs(noAllocator), [...NO_ALLOCATOR_MODULE])) as Record<string, unknown>;

  assert.equal(outcome.notWasm, 'InstrumentError: not a WebAssembly module: the file does not start with the bytes "\\0asm"');
  assert.match(outcome.noAllocator as string, /^AllocatorNotFoundError: plain\.wasm: no allocator found: .* name them with `instrument: \{ allocators: /);
  assert.match(outcome.glue as string, /^TracingSetupError: cannot read the allocator's export names from the glue file app\.js: /);
  assert.match(outcome.missingWasm as string, /^TracingSetupError: cannot fetch the module http:\/\/127\.0\.0\.1:\d+\/nowhere\/app\.wasm: HTTP 404$/);
  assert.match(outcome.hookNotWasm as string, /^CompileError: WebAssembly\.compile\(\): expected magic word 00 61 73 6d, found 3c 21 64 6f/, 'the engine\'s own CompileError (the hook compiles with the engine first)');
  assert.equal(outcome.fakeRuns, 7, 'the module the tracer could not handle still runs');
  assert.equal((outcome.fakeErrors as string[]).length, 1);
  assert.match((outcome.fakeErrors as string[])[0]!, /^AllocatorNotFoundError: no allocator found/);
  assert.match(outcome.fakeNotTraced as string, /^TracingSetupError: this instance is not traced/);
  assert.equal(outcome.syncRuns, 7);
  assert.match(outcome.syncError as string, /new WebAssembly\.Module\(\) is synchronous and a page cannot wait for the instrumenter: this module runs untraced/);
  assert.equal(outcome.traced, 0);
  assert.equal(outcome.uninstalled, true, 'the page\'s own function is back');
  assert.equal(outcome.badGlueRuns, 7);
  assert.match(outcome.badGlueError as string, /^TracingSetupError: cannot fetch the glue file http:\/\/127\.0\.0\.1:\d+\/nowhere\/glue\.js: HTTP 404$/);
  assert.equal(outcome.heartbeat, true, 'the page kept running');
  await p.close();
});
