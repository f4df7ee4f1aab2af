// `npx tsx bench/run.ts --quick`, the CI smoke of the benchmark suite: it runs every workload
// under every variant once and prints its tables. No timing is asserted (the machine decides
// those); what is checked is that each table is complete and its numbers are numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

test('bench/run.ts --quick: every workload x variant has a ratio row and a memory row', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick'], {
    encoding: 'utf8',
    env: { ...process.env, BENCH_RUNS: '1' },
    timeout: 300_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const variants = ['uninstrumented', 'instrumented, not tracing', 'exact, nframe=1', 'exact, nframe=16', 'sampling 512 KiB, nframe=16', 'JS hook: new Error().stack per allocation'];
  const headers = [...r.stdout.matchAll(/^## (.+?): uninstrumented median [\d.]+ ms wall, [\d.]+ ms CPU(, [\d.]+ ms main-thread CPU)?$/gm)];
  const workloads = headers.map((m) => m[1]!);
  assert.deepEqual(workloads.map((w) => w.split(',')[0]), ['churn', 'containers (C++ new/delete', 'sqlite-wasm', 'tiktoken (Rust', '@jsquash/png (Rust']);
  // The main thread's CPU time (Linux): for every workload timed in one stretch, not for
  // containers, whose thousand short runs it cannot time (bench/threadCpu.ts).
  const linux = existsSync('/proc/thread-self/schedstat');
  assert.deepEqual(headers.map((m) => m[2] !== undefined), [linux, false, linux, linux, linux], 'main-thread CPU per workload');
  const pair = '\\d+\\.\\d\\dx \\| \\d+\\.\\d\\d-\\d+\\.\\d\\d \\|';
  for (const v of variants) {
    const ratioRows = r.stdout.split('\n').filter((l) => l.startsWith(`| ${v} |`));
    assert.equal(ratioRows.length, workloads.length, `ratio rows of ${v}`);
    ratioRows.forEach((row, i) => assert.match(row, new RegExp(`^\\| .+ \\| ${pair} ${pair}${headers[i]![2] !== undefined ? ` ${pair}` : ''}$`), row));
    for (const w of workloads) {
      assert.match(r.stdout, new RegExp(`^\\| ${w.replace(/[()+.]/g, '\\$&')} \\| ${v.replace(/[()+.]/g, '\\$&')} \\| \\d+ KiB \\| \\d+ KiB \\| \\d+\\.\\d\\dx \\|$`, 'm'));
    }
  }
  assert.match(r.stdout, /^\| fixtures\/wasi\/alloc_basic\.wasm \| \d+ KiB \| \d+ ms \| \d+ ms \| [\d.]+x \|$/m);
});
