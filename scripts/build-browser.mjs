// Builds the browser distribution into dist/web/ (docs/browser.md):
//   wasm-tracemalloc.js        ES module: the host, snapshot, report and panel (src/browser/index.ts)
//   wasm-tracemalloc.iife.js   the same as a classic script that installs the global hook (scriptTag.ts)
//   instrument-worker.js       the instrumenter's Web Worker; imports ./binaryen.js
//   binaryen.js                binaryen's own ES module, copied as it is (15 MB, its wasm inside)
//   tracetable.wasm            the trace table (build/tracetable.wasm)
//   mappings.wasm              source-map's mappings parser (for modules that have a source map)
//   demangle.wasm              gecko-profiler-demangle (C++ and Rust names; src/browser/demangle.ts)
// No Node built-in may be imported statically from the browser graph: the build fails, naming
// the importer. Dynamic imports of Node-only modules (paths Node takes, e.g. reading a debug
// file with node:fs) become a stub that rejects, so the browser gets an error, not a crash.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

/** Modules only Node can load, reached from shared code by dynamic import. */
const NODE_ONLY = /(^node:)|[\\/]tableWasmNode\.(ts|js)$/;

/** The esbuild plugin that keeps Node built-ins out of the browser graph (exported for its test). */
export const browserOnly = {
  name: 'browser-only',
  setup(b) {
    b.onResolve({ filter: /^node:|tableWasmNode/ }, (args) => {
      if (args.kind === 'dynamic-import') return { path: args.path, namespace: 'node-only' };
      if (!NODE_ONLY.test(args.path) && !args.path.startsWith('node:')) return undefined;
      return { errors: [{ text: `${relative('.', args.importer)} imports ${args.path} statically: the browser build cannot contain Node built-ins` }] };
    });
    b.onLoad({ filter: /.*/, namespace: 'node-only' }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`wasm-tracemalloc: ${args.path} is not available in the browser`)});`,
      loader: 'js',
    }));
    // source-map's url.js falls back to require("url") where there is no global URL; browsers have one.
    b.onResolve({ filter: /^url$/ }, () => ({ path: 'url', namespace: 'global-url' }));
    b.onLoad({ filter: /.*/, namespace: 'global-url' }, () => ({ contents: 'export const URL = globalThis.URL;', loader: 'js' }));
    // Binaryen stays its own file beside the worker.
    b.onResolve({ filter: /^binaryen$/ }, () => ({ path: './binaryen.js', external: true }));
  },
};

/**
 * The instrumenter's build id, the first part of the page cache's key (src/browser/moduleCache.ts):
 * a hash of every source the instrumented output depends on, and of binaryen's version.
 */
function instrumenterId() {
  const hash = createHash('sha256');
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else hash.update(path).update(readFileSync(path));
    }
  };
  for (const dir of ['src/instrument', 'src/symbols']) walk(dir);
  hash.update(readFileSync(join(dirname(require.resolve('binaryen')), 'package.json')));
  return hash.digest('hex').slice(0, 16);
}

const common = {
  bundle: true,
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  legalComments: 'eof',
  loader: { '.css': 'text' },
  plugins: [browserOnly],
  logLevel: 'warning',
};

/** Builds everything into `out` (dist/web/; the browser tests build a fresh copy elsewhere); returns the sizes. */
export async function buildBrowser(out = 'dist/web') {
  mkdirSync(out, { recursive: true });
  const started = performance.now();
  common.define = { __WTM_INSTRUMENTER_ID__: JSON.stringify(instrumenterId()) };
  await Promise.all([
    build({ ...common, entryPoints: { 'wasm-tracemalloc': 'src/browser/index.ts' }, format: 'esm', outdir: out }),
    build({ ...common, entryPoints: { 'instrument-worker': 'src/browser/instrumentWorker.ts' }, format: 'esm', outdir: out }),
    build({
      ...common,
      entryPoints: { 'wasm-tracemalloc.iife': 'src/browser/scriptTag.ts' },
      format: 'iife',
      outdir: out,
      // A classic script has no import.meta: its assets are found from its own <script src>.
      define: { ...common.define, 'import.meta.url': '__wtmScriptUrl' },
      banner: { js: 'var __wtmScriptUrl=(document.currentScript&&document.currentScript.src)||location.href;' },
    }),
  ]);
  copyFileSync(join(dirname(require.resolve('binaryen')), 'index.js'), join(out, 'binaryen.js'));
  copyFileSync('build/tracetable.wasm', join(out, 'tracetable.wasm'));
  // source-map's mappings parser, fetched by the symbolizer for modules that come with a source map.
  copyFileSync(join(dirname(require.resolve('source-map')), 'lib', 'mappings.wasm'), join(out, 'mappings.wasm'));
  // gecko-profiler-demangle's Wasm, fetched by src/browser/demangle.ts when a name needs demangling.
  copyFileSync(require.resolve('gecko-profiler-demangle/index_bg.wasm'), join(out, 'demangle.wasm'));

  const sizes = ['wasm-tracemalloc.js', 'wasm-tracemalloc.iife.js', 'instrument-worker.js', 'binaryen.js', 'tracetable.wasm']
    .map((f) => `${f} ${(statSync(join(out, f)).size / 1024).toFixed(0)} KiB`);
  return { out, sizes, seconds: (performance.now() - started) / 1000, line: `build:browser: ${out}/ in ${((performance.now() - started) / 1000).toFixed(1)} s: ${sizes.join(', ')}` };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) console.log((await buildBrowser()).line);
