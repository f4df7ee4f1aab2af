// C++ and Rust names are demangled in the page too: the bundle fetches demangle.wasm (gecko-
// profiler-demangle) beside itself. The Rust fixture without its DWARF has only mangled names
// (its name section); the page's frames must be Node's, name for name. A C module has no
// mangled name, so its page must not fetch demangle.wasm at all (0.5 MB).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Symbolizer } from '../../src/symbols/index.js';
import { stripDwarf } from '../symbols/support/fixtures.js';
import { closeBrowser, modulePage, openPage, pageResult, serve, skipReason } from './support.js';

// Served by the static server from the repository root (tmp/ is ignored by git).
const DIR = join('tmp', `wtm-demangle-${process.pid}`);
const MODULE = stripDwarf(new Uint8Array(readFileSync('fixtures/rust/alloc_rust.wasm')));

const PAGE = modulePage("import { compileTraced } from '/dist/web/wasm-tracemalloc.js';", `
  const bytes = new Uint8Array(await (await fetch('/${DIR}/alloc_rust.nodwarf.wasm')).arrayBuffer());
  const traced = await compileTraced(bytes, { cache: false });
  window.result = {
    sites: traced.siteTable.sites.map((s) => [s.funcIndex, s.codeOffset]),
    names: traced.siteTable.sites.map((s) => traced.symbolizer.framesForSite(s.funcIndex, s.codeOffset).map((f) => f.functionName)),
    warnings: traced.symbolizer.warnings,
  };`);

const C_PAGE = modulePage("import { compileTraced } from '/dist/web/wasm-tracemalloc.js';", `
  const bytes = new Uint8Array(await (await fetch('/fixtures/wasi/alloc_basic.wasm')).arrayBuffer());
  const traced = await compileTraced(bytes, { cache: false });
  window.result = traced.siteTable.sites.map((s) => traced.symbolizer.framesForSite(s.funcIndex, s.codeOffset).map((f) => f.functionName));`);

let origin: Awaited<ReturnType<typeof serve>> | undefined;
let cOrigin: Awaited<ReturnType<typeof serve>> | undefined;
after(async () => {
  await closeBrowser();
  origin?.server.close();
  cOrigin?.server.close();
  rmSync(DIR, { recursive: true, force: true });
});

test('Rust names in the page: demangled as Node demangles them', { skip: skipReason }, async (t) => {
  mkdirSync(DIR, { recursive: true });
  writeFileSync(join(DIR, 'alloc_rust.nodwarf.wasm'), MODULE);
  origin = await serve({ '/demangle.html': PAGE });
  const { page, errors } = await openPage(`${origin.url}/demangle.html`, origin.url);
  const result = await pageResult<{ sites: Array<[number, number]>; names: string[][]; warnings: string[] }>(page);
  assert.ok(origin.requests.includes('/dist/web/demangle.wasm'), 'demangle.wasm fetched beside the bundle');
  assert.deepEqual(result.warnings.filter((w) => /demangl/.test(w)), []);

  const node = await Symbolizer.fromModule(MODULE);
  const expected = result.sites.map(([f, o]) => node.framesForSite(f, o).map((x) => x.functionName));
  assert.deepEqual(result.names, expected, "the page's names are Node's");
  const all = result.names.flat();
  assert.ok(all.some((n) => n.includes('::')), `no demangled Rust path among ${all.length} names`);
  assert.deepEqual(all.filter((n) => /^_(ZN|R)/.test(n)), [], 'a name left mangled');
  t.diagnostic(`${result.sites.length} sites, e.g. ${all.find((n) => n.includes('::'))}`);
  assert.deepEqual(errors, []);
});

test('a C module in the page: named, and demangle.wasm never fetched', { skip: skipReason }, async () => {
  cOrigin = await serve({ '/c.html': C_PAGE });
  const { page, errors } = await openPage(`${cOrigin.url}/c.html`, cOrigin.url);
  const names = (await pageResult<string[][]>(page)).flat();
  assert.ok(names.includes('main'), `no main among ${names.join(', ')}`);
  assert.ok(cOrigin.requests.includes('/dist/web/wasm-tracemalloc.js'), 'the bundle was served by this server');
  assert.ok(!cOrigin.requests.includes('/dist/web/demangle.wasm'), 'demangle.wasm was fetched for a C module');
  assert.deepEqual(errors, []);
});
