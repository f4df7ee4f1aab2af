// Shared by the browser tests: the example's static server (node:http) over the repository, so pages
// load dist/web/ and the npm packages as a user's server would serve them, and headless
// Chromium (playwright-core driving Debian's /usr/bin/chromium, as test/report/html.test.ts).
// Without Chromium, or without the browser build, the tests are skipped with the reason.
import { existsSync, readdirSync, statSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
// @ts-expect-error: the example's server is a plain .mjs script, without types
import { staticServer as untypedStaticServer } from '../../examples/browser/serve.mjs';

const staticServer = untypedStaticServer as (root: string, pages: Record<string, string>, onRequest: (path: string) => void) => Server;

export const CHROMIUM = '/usr/bin/chromium';
const BUNDLE = 'dist/web/wasm-tracemalloc.js';

/** The newest modification time under `dir` (ms). */
function newest(dir: string): number {
  let t = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const s = statSync(path);
    t = Math.max(t, s.isDirectory() ? newest(path) : s.mtimeMs);
  }
  return t;
}

/** The sources the bundle is built from, when one is newer than it (a stale bundle would test old code). */
function staleSource(): string | null {
  const built = statSync(BUNDLE).mtimeMs;
  for (const dir of ['src/browser', 'src/host', 'src/instrument', 'src/snapshot', 'src/report', 'src/symbols']) if (newest(dir) > built) return dir;
  return null;
}

/** Why the browser tests cannot run here, or false when they can (`npm test` builds first, so never for staleness there). */
export const skipReason: string | false = !existsSync(CHROMIUM)
  ? `${CHROMIUM} is missing (Debian package chromium)`
  : !existsSync(BUNDLE)
    ? `${BUNDLE} is missing (npm run build:browser)`
    : staleSource() !== null
      ? `${BUNDLE} is older than ${staleSource()}/ (npm run build:browser)`
      : false;

/** Serves the repository root read-only (the example's server), plus `pages` (path → HTML) given by the test. */
export async function serve(pages: Record<string, string> = {}): Promise<{ url: string; server: Server; requests: string[] }> {
  const requests: string[] = [];
  const server = staticServer('.', pages, (path) => requests.push(path));
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
