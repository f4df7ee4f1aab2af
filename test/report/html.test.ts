// The HTML report: its flame-graph data, and the page itself opened in headless Chromium
// (playwright-core driving Debian's /usr/bin/chromium; skipped with the reason when absent).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { flameTree, toHtml } from '../../src/report/html.js';
import { stacksOf } from '../../src/report/stacks.js';
import { Snapshot } from '../../src/snapshot/index.js';
import { newSnapshot, oldSnapshot } from './sample.js';

const scratch = mkdtempSync(join(tmpdir(), 'wtm-html-'));
const CHROMIUM = '/usr/bin/chromium';
const noChromium = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (Debian package chromium)`;

/** node index → [name, bytes, blocks, old bytes, old blocks] keyed by the root-first path. */
function nodesByPath(tree: ReturnType<typeof flameTree>): Map<string, number[]> {
  const paths: string[] = [];
  const out = new Map<string, number[]>();
  for (let i = 0; i < tree.nodes.length / 6; i++) {
    const [parent, name, size, count, oldSize, oldCount] = tree.nodes.slice(i * 6, i * 6 + 6) as [number, number, number, number, number, number];
    const path = parent < 0 ? tree.names[name]! : `${paths[parent]};${tree.names[name]}`;
    paths.push(path);
    out.set(path, [size, count, oldSize, oldCount]);
  }
  return out;
}

test('flameTree: inclusive values root first, both snapshots merged', () => {
  const tree = flameTree(stacksOf(newSnapshot()), stacksOf(oldSnapshot()));
  const nodes = nodesByPath(tree);
  assert.deepEqual(nodes.get('all'), [25159, 6, 5258, 5]);
  assert.deepEqual(nodes.get('all;a.c:2'), [25000, 2, 5000, 1]);
  assert.deepEqual(nodes.get('all;a.c:2;b.c:5'), [25000, 2, 5000, 1]);
  assert.deepEqual(nodes.get('all;a.c:1;a.c:10'), [100, 1, 200, 2]);
  assert.deepEqual(nodes.get('all;[truncated];c.c:8;c.c:7'), [8, 1, 8, 1]);
  assert.deepEqual(nodes.get('all;a.c:4;d.c:1'), [1, 1, 0, 0]);
  assert.equal(nodes.size, 12);
});

test('toHtml: one file, nothing loaded from elsewhere, data escaped inside <script>', () => {
  const evil = new Snapshot([{ size: 10, traceback: [['</script><script>alert(1)</script>.c', 1]] }], 1, { moduleName: '<b>x</b>' });
  const html = toHtml(evil);
  assert.doesNotMatch(html, /<script[^>]*\ssrc=|<link\b|@import|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  assert.equal(html.match(/<\/script>/g)!.length, 2, 'only the two script elements close');
  assert.match(html, /&#60;b&#62;x&#60;\/b&#62;/);
});

let browser: Browser | undefined;
async function openPage(html: string, name: string) {
  if (browser === undefined) {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  }
  const path = join(scratch, name);
  writeFileSync(path, html);
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  const url = pathToFileURL(path).href;
  await page.route('**/*', (route) => {
    if (route.request().url() === url) return route.continue();
    requests.push(route.request().url());
    return route.abort();
  });
  await page.goto(url);
  return { page, errors, requests };
}
after(async () => browser?.close());

/** Size and number of distinct colours of a PNG, decoded by the browser in a blank page. */
async function distinctColours(png: Buffer): Promise<{ width: number; height: number; colours: number }> {
  const page = await browser!.newPage();
  try {
    return await page.evaluate(async (src) => {
      const img = new Image();
      img.src = src;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.width;
      canvas.height = img.height;
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const data = ctx.getImageData(0, 0, img.width, img.height).data;
      const seen = new Set<number>();
      for (let i = 0; i < data.length; i += 4) seen.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
      return { width: img.width, height: img.height, colours: seen.size };
    }, `data:image/png;base64,${png.toString('base64')}`);
  } finally {
    await page.close();
  }
}

test('Chromium draws the flame graph of one snapshot: frames, labels, zoom, search', { skip: noChromium, timeout: 120_000 }, async () => {
  const { page, errors, requests } = await openPage(toHtml(newSnapshot()), 'one.html');
  const frames = page.locator('#flame g.frame');
  // 12 nodes; those under 0.4 px at 1200 px are not drawn: the 8 B truncated stack (3 nodes)
  // and the 1 B one (2 nodes) out of 25159 B
  assert.equal(await frames.count(), 7);
  assert.equal(await page.locator('#flame').getAttribute('data-frames'), '7');
  assert.match((await page.locator('#flame g.frame[data-name="b.c:5"] title').textContent())!, /^b\.c:5 {2}24\.4 KiB \(99\.4%\), 2 blocks, self 24\.4 KiB$/);
  const rootWidth = Number(await page.locator('#flame g.frame[data-name="all"] rect').getAttribute('width'));
  assert.ok(rootWidth > 1000, `root width ${rootWidth}`);
  const colors = await page.$$eval('#flame rect', (rects) => new Set(rects.map((r) => r.getAttribute('fill'))).size);
  assert.ok(colors > 3, `${colors} colours`);
  const shot = await page.locator('#flame').screenshot();
  const pixels = await distinctColours(shot);
  assert.ok(pixels.width > 1000 && pixels.colours >= 4, `screenshot ${pixels.width}×${pixels.height}, ${pixels.colours} colours`);
  assert.equal(await page.locator('table').first().locator('tbody tr').count(), 4, 'top lines table');

  // zoom into a.c:1 (100 B of 25159): it now spans the width, and its sibling a.c:2 is gone
  await page.locator('#flame g.frame[data-name="a.c:1"]').click();
  const zoomed = Number(await page.locator('#flame g.frame[data-name="a.c:1"] rect').getAttribute('width'));
  assert.ok(zoomed > 1000, `zoomed width ${zoomed}`);
  assert.equal(await page.locator('#flame g.frame[data-name="a.c:2"]').count(), 0);
  await page.locator('#reset').click();
  assert.equal(await frames.count(), 7);

  await page.locator('#search').fill('a.c:10');
  assert.equal(await page.locator('#flame g.frame.match').count(), 2);
  assert.match((await page.locator('#match').textContent())!, /matched 150 B/);
  assert.deepEqual(errors, []);
  assert.deepEqual(requests, []);
  await page.close();
});

test('Chromium draws the diff report: grown red, shrunk blue, widths switch to the old snapshot', { skip: noChromium, timeout: 120_000 }, async () => {
  const { page, errors, requests } = await openPage(toHtml(newSnapshot(), oldSnapshot()), 'diff.html');
  const fill = (name: string) => page.locator(`#flame g.frame[data-name="${name}"] rect`).getAttribute('fill');
  const grown = (await fill('b.c:5'))!.match(/\d+/g)!.map(Number);
  const shrunk = (await fill('a.c:1'))!.match(/\d+/g)!.map(Number);
  assert.ok(grown[0]! > grown[2]!, `b.c:5 grew: ${grown}`);
  assert.ok(shrunk[2]! > shrunk[0]!, `a.c:1 shrank: ${shrunk}`);
  assert.match((await page.locator('#flame g.frame[data-name="b.c:5"] title').textContent())!, /old 5000 B, new 24\.4 KiB \(\+19\.5 KiB\)/);
  const newWidth = Number(await page.locator('#flame g.frame[data-name="a.c:1"] rect').getAttribute('width'));
  await page.locator('#width-old').click();
  const oldWidth = Number(await page.locator('#flame g.frame[data-name="a.c:1"] rect').getAttribute('width'));
  assert.ok(oldWidth > newWidth * 5, `a.c:1 is wider in the old snapshot: ${oldWidth} vs ${newWidth}`);
  // d.c:1 is new: no width in the old snapshot
  assert.equal(await page.locator('#flame g.frame[data-name="d.c:1"]').count(), 0);
  assert.match((await page.locator('h2').nth(1).textContent())!, /differences by line/);
  assert.deepEqual(errors, []);
  assert.deepEqual(requests, []);
  await page.close();
});
