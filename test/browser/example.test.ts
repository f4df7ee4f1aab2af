// examples/browser/ as a user opens it (served by its own serve.mjs): the sql.js page with the
// panel, driven through its buttons, and the script-tag page over an app it does not change.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeBrowser, openPage, serve, skipReason } from './support.js';

let origin: Awaited<ReturnType<typeof serve>> | undefined;
after(async () => {
  await closeBrowser();
  origin?.server.close();
});

test('examples/browser/index.html: the buttons drive sql.js, the panel follows', { skip: skipReason }, async () => {
  origin ??= await serve();
  const { page, errors } = await openPage(`${origin.url}/examples/browser/`, origin.url);
  await page.waitForFunction(() => (window as any).example, null, { timeout: 300_000 });
  const figure = async (role: string) => Number(await page.locator(`wasm-tracemalloc-panel [data-role="${role}"]`).getAttribute('data-value'));
  await page.click('#insert');
  assert.match(await page.locator('#status').innerText(), /^insert\nrows: 2000 {3}traced: \d+ B/);
  await page.evaluate(() => (window as any).example.panel.refresh());
  const [current] = await page.evaluate(() => (window as any).example.traced.tracemalloc.getTracedMemory());
  assert.equal(await figure('current'), current);
  await page.click('#close');
  await page.evaluate(() => (window as any).example.panel.refresh());
  assert.ok((await figure('current')) < current / 10, 'closing the database frees its pages');
  assert.deepEqual(errors.filter((e) => !/favicon|404/.test(e)), []);
  await page.close();
});

test('examples/browser/hook.html: one script tag traces the unchanged app', { skip: skipReason }, async () => {
  origin ??= await serve();
  const { page, errors } = await openPage(`${origin.url}/examples/browser/hook.html`, origin.url);
  await page.waitForFunction(() => (window as any).wasmTracemalloc?.hook.instances.length === 1 && /rows: [1-9]/.test(document.getElementById('out')!.textContent!), null, { timeout: 300_000 });
  await page.evaluate(() => (window as any).wasmTracemalloc.panel.refresh());
  assert.ok((await page.locator('wasm-tracemalloc-panel [data-role="top-rows"] tr').count()) > 0);
  assert.deepEqual(errors.filter((e) => !/favicon|404/.test(e)), []);
  await page.close();
});
