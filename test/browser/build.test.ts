// The browser build (scripts/build-browser.mjs → dist/web/): what ships, that no Node built-in
// is in it, that a static Node import anywhere in the browser graph fails the build with the
// importer named, and that imports point one way (nothing outside src/browser imports it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const WEB = 'dist/web';
const built = existsSync(join(WEB, 'wasm-tracemalloc.js')) ? false : `${WEB} is not built (npm run build:browser)`;

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sourceFiles(path, out);
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

test('dist/web: the ES module, the classic script, the worker, Binaryen, the trace table', { skip: built }, (t) => {
  const sizes: string[] = [];
  for (const file of ['wasm-tracemalloc.js', 'wasm-tracemalloc.iife.js', 'instrument-worker.js', 'binaryen.js', 'tracetable.wasm', 'mappings.wasm']) {
    assert.ok(existsSync(join(WEB, file)), `${file} ships`);
    sizes.push(`${file} ${(statSync(join(WEB, file)).size / 1024).toFixed(0)} KiB`);
  }
  t.diagnostic(sizes.join(', '));
  assert.deepEqual(readFileSync(join(WEB, 'tracetable.wasm')), readFileSync('build/tracetable.wasm'));
  const worker = readFileSync(join(WEB, 'instrument-worker.js'), 'utf8');
  assert.match(worker, /from"\.\/binaryen\.js"/, 'the worker imports Binaryen from beside it');
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { exports: Record<string, { default: string; types: string }>; scripts: Record<string, string> };
  assert.equal(pkg.exports['./browser']!.default, './dist/web/wasm-tracemalloc.js');
  assert.match(pkg.scripts.build!, /build:browser/, 'npm run build (and so CI) builds it');
});

test('no Node built-in in what the page loads', { skip: built }, () => {
  for (const file of ['wasm-tracemalloc.js', 'wasm-tracemalloc.iife.js', 'instrument-worker.js']) {
    const code = readFileSync(join(WEB, file), 'utf8');
    assert.doesNotMatch(code, /\bfrom\s*["']node:|\bimport\s*\(\s*["']node:|\brequire\s*\(\s*["'](node:)?(fs|path|url|crypto|zlib|worker_threads|module|os)["']/, file);
    assert.doesNotMatch(code, /\bprocess\.(emitWarning|exit|argv)\b/, file);
  }
});

test('a static Node import in the browser graph fails the build, naming the importer', async () => {
  const { build } = await import('esbuild');
  // @ts-expect-error: a plain .mjs script, without types
  const { browserOnly } = (await import('../../scripts/build-browser.mjs')) as { browserOnly: import('esbuild').Plugin };
  const dir = mkdtempSync(join(tmpdir(), 'wtm-build-'));
  writeFileSync(join(dir, 'entry.ts'), "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n");
  writeFileSync(join(dir, 'lazy.ts'), "export const y = () => import('node:fs');\n");
  await assert.rejects(
    build({ entryPoints: [join(dir, 'entry.ts')], bundle: true, write: false, platform: 'browser', format: 'esm', plugins: [browserOnly], logLevel: 'silent' }),
    /entry\.ts imports node:fs statically: the browser build cannot contain Node built-ins/,
  );
  const lazy = await build({ entryPoints: [join(dir, 'lazy.ts')], bundle: true, write: false, platform: 'browser', format: 'esm', plugins: [browserOnly], logLevel: 'silent' });
  assert.match(lazy.outputFiles[0]!.text, /node:fs is not available in the browser/, 'a dynamic one becomes a stub that rejects');
});

test('imports point one way: the browser uses host, snapshot, report, instrument; none of them uses the browser', () => {
  for (const file of sourceFiles('src')) {
    if (file.startsWith(join('src', 'browser'))) continue;
    assert.doesNotMatch(readFileSync(file, 'utf8'), /from '[./]*browser\//, file);
  }
  for (const file of sourceFiles('src/browser')) {
    assert.doesNotMatch(readFileSync(file, 'utf8'), /from '\.\.\/(\.\.\/)?cli\//, `${file} must not import the CLI`);
  }
});
