// The CI smoke of bench/tableReplay.bench.ts: it records one tree-sitter parse at the table's
// imports and replays it once through build/tracetable.wasm. No timing is asserted; what is
// checked is that the recording holds a parse's worth of operations and the table is complete.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

test('bench/tableReplay.bench.ts --record --parses 1 --rounds 1: a recorded parse, replayed', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/tableReplay.bench.ts', '--record', '--parses', '1', '--rounds', '1'], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const head = /^## tree-sitter's table operations replayed \(1 parses: (\d+) allocations, (\d+) frees, (\d+) reallocs; median of 1 rounds\)$/m.exec(r.stdout);
  assert.ok(head, r.stdout);
  const [allocations, frees, reallocs] = head.slice(1).map(Number) as [number, number, number];
  // A parse builds its tree and deletes it: tens of thousands of blocks, each freed again.
  assert.ok(allocations > 10_000, `allocations ${allocations}`);
  assert.ok(Math.abs(allocations - frees) < allocations / 100, `allocations ${allocations}, frees ${frees}`);
  assert.ok(reallocs > 0, `reallocs ${reallocs}`);
  const ns = '\\d+\\.\\d\\d';
  assert.match(r.stdout, new RegExp(`^\\| build/tracetable\\.wasm \\| ${ns} \\| ${ns} \\| ${ns} \\| -?${ns} \\| 1\\.000 \\|$`, 'm'));
});
