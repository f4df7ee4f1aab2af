#!/usr/bin/env node
// Serves the repository read-only over http://127.0.0.1:8080/ for the browser example:
//   npm run example:browser      (builds dist/web, then runs this)
// then open http://127.0.0.1:8080/examples/browser/ (sql.js with the panel) or
// http://127.0.0.1:8080/examples/browser/hook.html (the script-tag form over an unchanged app).
// `PORT=9000 node examples/browser/serve.mjs` picks another port. The browser tests serve their
// pages with the same function.
import { createServer } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.map': 'application/json',
  '.json': 'application/json',
};

/**
 * A static server over `root` (files only, nothing outside it), plus `pages` (path → HTML) that
 * exist only in memory, and `mounts` (URL prefix → directory) served instead of `root`.
 * `onRequest` sees every path asked for.
 */
export function staticServer(root, pages = {}, onRequest = () => {}, mounts = {}) {
  return createServer((req, res) => {
    let path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    onRequest(path);
    if (pages[path] !== undefined) {
      res.writeHead(200, { 'content-type': TYPES['.html'] });
      res.end(pages[path]);
      return;
    }
    if (path.endsWith('/')) path += 'index.html';
    const mount = Object.keys(mounts).find((prefix) => path.startsWith(prefix));
    const base = resolve(mount === undefined ? root : mounts[mount]);
    const file = normalize(join(base, mount === undefined ? path : path.slice(mount.length)));
    if (!file.startsWith(base) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}`);
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const root = resolve(new URL('../..', import.meta.url).pathname);
  if (!existsSync(join(root, 'dist/web/wasm-tracemalloc.js'))) {
    console.error('dist/web/ is not built: run `npm run build:browser` first (or `npm run example:browser`)');
    process.exit(2);
  }
  const port = Number(process.env.PORT ?? 8080);
  staticServer(root).listen(port, '127.0.0.1', () => {
    console.log(`serving ${root}`);
    console.log(`  sql.js with the panel:          http://127.0.0.1:${port}/examples/browser/`);
    console.log(`  the script-tag form (the hook): http://127.0.0.1:${port}/examples/browser/hook.html`);
  });
}
