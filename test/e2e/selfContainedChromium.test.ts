// A self-contained module (`instrument --self-contained`) in headless Chromium (Debian's
// /usr/bin/chromium through playwright-core): the page loads it with a plain
// WebAssembly.instantiate and a 5-function WASI shim, nothing of wasm-tracemalloc, drives the
// tracer through its __tracemalloc_* exports and reads the table's header in the one memory at
// __tracemalloc_memory_base() + __tracemalloc_layout(). The figures must be the program's own
// tally (it counts its outermost allocator calls, printed on stdout) and those of the same module
// traced in Node. Skipped, with the reason, where Chromium is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { Header } from '../../src/host/tableLayout.js';

const CHROMIUM = '/usr/bin/chromium';
const CLI = 'dist/cli/main.js';

interface PageFigures {
  stdout: string;
  exitCode: number;
  current: number;
  peak: number;
  allocations: number;
  frees: number;
  liveBlocks: number;
}

/** Runs in the page: instantiate with a WASI shim, start tracing, run _start, read the header. */
async function runInPage({ bytes, header }: { bytes: number[]; header: typeof Header }): Promise<PageFigures> {
  let stdout = '';
  let memory: WebAssembly.Memory;
  class Exit {
    constructor(readonly code: number) {}
  }
  const wasi = {
    fd_write(fd: number, iovs: number, count: number, written: number): number {
      const view = new DataView(memory.buffer);
      let n = 0;
      for (let i = 0; i < count; i++) {
        const ptr = view.getUint32(iovs + 8 * i, true);
        const len = view.getUint32(iovs + 8 * i + 4, true);
        if (fd === 1) stdout += new TextDecoder().decode(new Uint8Array(memory.buffer, ptr, len));
        n += len;
      }
      view.setUint32(written, n, true);
      return 0;
    },
    fd_fdstat_get(_fd: number, buf: number): number {
      new Uint8Array(memory.buffer, buf, 24).fill(0);
      new DataView(memory.buffer).setUint8(buf, 2); // a character device
      return 0;
    },
    fd_seek: (): number => 70, // ESPIPE
    fd_close: (): number => 0,
    proc_exit(code: number): never {
      throw new Exit(code);
    },
  };
  const { instance } = await WebAssembly.instantiate(new Uint8Array(bytes), { wasi_snapshot_preview1: wasi });
  const e = instance.exports as Record<string, (...args: number[]) => number> & { memory: WebAssembly.Memory };
  memory = e.memory;
  if (e.__tracemalloc_init!() !== 1) throw new Error('__tracemalloc_init failed');
  if (e.__tracemalloc_start!(1) !== 0) throw new Error('__tracemalloc_start failed');
  let exitCode = 0;
  try {
    e._start!();
  } catch (x) {
    if (!(x instanceof Exit)) throw x;
    exitCode = x.code;
  }
  const at = e.__tracemalloc_memory_base!() + e.__tracemalloc_layout!();
  const view = new DataView(memory.buffer);
  const u64 = (field: number): number => Number(view.getBigUint64(at + field, true));
  return {
    stdout,
    exitCode,
    current: u64(header.current),
    peak: u64(header.peak),
    allocations: u64(header.allocations),
    frees: u64(header.frees),
    liveBlocks: view.getUint32(at + header.liveBlocks, true),
  };
}

test('self-contained alloc_basic in Chromium: the program\'s own tally, read from the merged table', { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (Debian package chromium)` }, async (t) => {
  const output = join(mkdtempSync(join(tmpdir(), 'wtm-sc-chromium-')), 'alloc_basic.sc.wasm');
  const cli = spawnSync(process.execPath, [CLI, 'instrument', '--self-contained', 'fixtures/wasi/alloc_basic.wasm', '-o', output], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(cli.status, 0, cli.stderr);
  const bytes = [...readFileSync(output)];

  let browser: Browser | undefined;
  let figures: PageFigures;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    const page = await browser.newPage();
    // tsx (esbuild, keepNames) wraps functions and classes in __name(...): define it in the page.
    await page.evaluate('globalThis.__name = (target) => target');
    figures = await page.evaluate(runInPage, { bytes, header: Header });
  } finally {
    await browser?.close();
  }
  // "alloc_basic: allocs=23 frees=7 live_blocks=13 live_bytes=2252 peak_bytes=2672 checksum=… ok"
  const tally = /allocs=(\d+) frees=(\d+) live_blocks=(\d+) live_bytes=(\d+) peak_bytes=(\d+)/.exec(figures.stdout);
  assert.ok(tally, figures.stdout);
  const [allocs, frees, liveBlocks, liveBytes, peakBytes] = tally.slice(1).map(Number) as [number, number, number, number, number];
  t.diagnostic(`Chromium: ${JSON.stringify({ ...figures, stdout: undefined })}; program's tally: ${tally[0]}`);
  assert.equal(figures.exitCode, 0);
  assert.deepEqual(
    [figures.current, figures.peak, figures.allocations, figures.liveBlocks],
    [liveBytes, peakBytes, allocs, liveBlocks],
    'traced [current, peak, allocations, live blocks] vs the program\'s own tally',
  );
  // The table also counts a realloc's old block as removed; the program counts only free() calls.
  assert.ok(figures.frees >= frees && figures.allocations - figures.frees === figures.liveBlocks, JSON.stringify(figures));
});
