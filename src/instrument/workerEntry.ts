/**
 * The file a worker thread of the instrumenter starts from (Binaryen in a worker: worker.ts;
 * the synchronous path of the global hook: host/instrumentSyncWorker.ts). Node only.
 */
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `entry` itself when it is compiled JavaScript. From TypeScript sources (tests, `tsx`): the
 * compiled copy in dist/ if it is newer than every source it is built from (src/instrument,
 * src/symbols and `entry`; tsx's loader takes ~30 s to load binaryen.js's 15 MB), else a
 * bootstrap that registers tsx first (Node 20 workers do not inherit it).
 */
export function workerEntry(entry: URL): URL | string {
  const file = fileURLToPath(entry);
  if (!file.endsWith('.ts')) return file;
  const src = dirname(dirname(file));
  const compiled = join(dirname(src), 'dist', relative(src, file).replace(/\.ts$/, '.js'));
  if (isNewerThanSources(compiled, [join(src, 'instrument'), join(src, 'symbols'), file])) return compiled;
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(entry.href)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}

/** Whether `file` exists and is newer than every .ts file in `sources` (folders, walked, or files). */
function isNewerThanSources(file: string, sources: string[]): boolean {
  let built: number;
  try {
    built = statSync(file).mtimeMs;
  } catch {
    return false;
  }
  const newest = (path: string): number => {
    const stat = statSync(path);
    if (!stat.isDirectory()) return path.endsWith('.ts') ? stat.mtimeMs : 0;
    return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
  };
  return sources.every((s) => newest(s) <= built);
}
