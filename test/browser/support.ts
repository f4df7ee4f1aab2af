// Shared by the browser tests: the example's static server (node:http) over the repository, so pages
// load dist/web/ and the npm packages as a user's server would serve them, and headless
// Chromium (playwright-core driving Debian's /usr/bin/chromium, as test/report/html.test.ts).
// Without Chromium the tests are skipped with the reason.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
// @ts-expect-error: the example's server is a plain .mjs script, without types
import { staticServer as untypedStaticServer } from '../../examples/browser/serve.mjs';

const staticServer = untypedStaticServer as (root: string, pages: Record<string, string>, onRequest: (path: string) => void, mounts: Record<string, string>) => Server;

export const CHROMIUM = '/usr/bin/chromium';

/** Why the browser tests cannot run here, or false when they can. */
export const skipReason: string | false = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (Debian package chromium)`;

/**
 * The browser build of the sources as they are now, made for this test process (esbuild, about
 * a second) and served at /dist/web/: a dist/web/ left from an older build, or rebuilt by
 * another process halfway through, cannot be what is tested.
 */
const webDir = skipReason ? null : await buildFresh();

async function buildFresh(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'wtm-web-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  // @ts-expect-error: a plain .mjs script, without types
  const { buildBrowser } = (await import('../../scripts/build-browser.mjs')) as { buildBrowser(out: string): Promise<unknown> };
  await buildBrowser(dir);
  return dir;
}

/** Serves the repository root read-only (the example's server), the fresh build at /dist/web/, and `pages` (path → HTML). */
export async function serve(pages: Record<string, string> = {}): Promise<{ url: string; server: Server; requests: string[] }> {
  const requests: string[] = [];
  const server = staticServer('.', pages, (path) => requests.push(path), webDir === null ? {} : { '/dist/web/': webDir });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, requests };
}

let browser: Browser | undefined;

/** The shared headless Chromium. */
export async function launch(): Promise<Browser> {
  if (browser === undefined) {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  }
  return browser;
}

export async function closeBrowser(): Promise<void> {
  await browser?.close();
  browser = undefined;
}

/** A new page that records its errors and console; requests outside `origin` are refused. */
export async function openPage(url: string, origin: string): Promise<{ page: Page; errors: string[]; console: string[] }> {
  const b = await launch();
  const page = await b.newPage({ viewport: { width: 1280, height: 1000 }, acceptDownloads: true });
  const errors: string[] = [];
  const console: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    console.push(`${m.type()}: ${m.text()}`);
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.route('**/*', (route) => (route.request().url().startsWith(origin) ? route.continue() : route.abort()));
  await page.goto(url);
  return { page, errors, console };
}

/**
 * The outcome of a page whose script sets `window.result`, or `window.failed` (its error, which
 * then fails the test with the page's message).
 */
export async function pageResult<T>(page: Page, timeout = 300_000): Promise<T> {
  await page.waitForFunction(() => (window as any).result || (window as any).failed, null, { timeout });
  assert.equal(await page.evaluate(() => (window as any).failed), undefined);
  return page.evaluate(() => (window as any).result) as Promise<T>;
}

/**
 * A page whose module script imports `imports` and runs `body` (top-level await allowed): a
 * throw lands in `window.failed` (see pageResult). `head`: HTML before the script.
 */
export function modulePage(imports: string, body: string, head = ''): string {
  return `<!doctype html><html><body>${head}
<script type="module">
${imports}
try {
${body}
} catch (e) {
  window.failed = String(e && e.stack || e);
}
</script></body></html>`;
}
