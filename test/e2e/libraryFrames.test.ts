// C++ and Rust allocations are attributed to the user's line, not to the standard library's
// allocation helpers inlined into it (libc++'s <new>:245, Rust's alloc.rs). The lines come from
// the sources themselves (the SITE: marker of each allocating line), the figures from the
// hand-computed answers (fixtures/src/*/*.expected.json).
import v8 from 'node:v8';
v8.setFlagsFromString('--no-turbo-fast-api-calls');
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { runWasi } from '../../src/host/wasiRunner.js';
import { loadExpected, type ExpectedRun } from '../support/expected.js';

/** Line of the source line carrying `marker` (1-based), read from the source file. */
function markerLine(source: string, marker: string): number {
  const lines = readFileSync(source, 'utf8').split('\n');
  const found = lines.flatMap((l, i) => (new RegExp(`${marker}(?![\\w])`).test(l) ? [i + 1] : []));
  assert.equal(found.length, 1, `${marker} in ${source}`);
  return found[0]!;
}

async function traced(wasm: string, run: ExpectedRun, nframe: number) {
  const fd = openSync('/dev/null', 'w');
  try {
    const r = await runWasi(readFileSync(wasm), { args: run.args, env: run.env, stdout: fd, nframe, root: 'fixtures/src' });
    assert.equal(r.exitCode, run.exitCode);
    return r.snapshot;
  } finally {
    closeSync(fd);
  }
}

const LIBCXX_STRING = /\/c\+\+\/v1\/string$/;

test('C++ containers, nframe=1: every allocating line is the user\'s, with the known figures; only the out-of-line string growth stays in libc++', async () => {
  const run = loadExpected('fixtures/src/cpp/containers.expected.json').runs[0]!;
  const snapshot = await traced('fixtures/wasi/containers.wasm', run, 1);
  const got = snapshot.statistics('lineno').map((s) => {
    const f = s.traceback.at(0)!;
    return `${LIBCXX_STRING.test(f.filename) ? 'libc++ <string>' : `${f.filename}:${f.lineno}`} ${s.count} ${s.size}`;
  });
  const want = run.program.sites
    .filter((s) => s.liveBlocks > 0)
    .map((s) => {
      // The fixture's answer: string push_back grows through the out-of-line basic_string::push_back (depth 1 in libc++).
      const where = s.marker === 'SITE:string_push' ? 'libc++ <string>' : `cpp/containers.cpp:${markerLine('fixtures/src/cpp/containers.cpp', s.marker)}`;
      return `${where} ${s.liveBlocks} ${s.liveBytes}`;
    });
  assert.deepEqual(got.sort(), want.sort());
  assert.ok(!got.some((g) => g.includes('/new:')), 'no allocation is attributed to libc++\'s <new>');
});

test('C++ containers, nframe=2: the string growth\'s second frame is the user\'s push_back line', async () => {
  const run = loadExpected('fixtures/src/cpp/containers.expected.json').runs[0]!;
  const snapshot = await traced('fixtures/wasi/containers.wasm', run, 2);
  const growth = snapshot.statistics('traceback').filter((s) => LIBCXX_STRING.test(s.traceback.at(0)!.filename));
  const site = run.program.sites.find((s) => s.marker === 'SITE:string_push')!;
  assert.deepEqual(
    growth.map((s) => [s.traceback.at(1)!.filename, s.traceback.at(1)!.lineno, s.count, s.size]),
    [['cpp/containers.cpp', markerLine('fixtures/src/cpp/containers.cpp', 'SITE:string_push'), site.liveBlocks, site.liveBytes]],
  );
});

test('Rust, nframe=1: Box::new, Vec::with_capacity, vec![..], BTreeMap and Rc allocate at the user\'s line, not in alloc.rs', async () => {
  const run = loadExpected('fixtures/src/rust/alloc_rust.expected.json').runs[0]!;
  const snapshot = await traced('fixtures/rust/alloc_rust.wasm', run, 1);
  const stats = snapshot.statistics('lineno');
  assert.ok(!stats.some((s) => s.traceback.at(0)!.filename.endsWith('library/alloc/src/alloc.rs')), 'nothing left in alloc.rs');
  const byLine = new Map(stats.filter((s) => s.traceback.at(0)!.filename === 'rust/alloc_rust/src/main.rs').map((s) => [s.traceback.at(0)!.lineno, `${s.count} ${s.size}`]));
  // Allocations made inline at the user's line. (Vec::push and String::push grow through the
  // out-of-line RawVec::finish_grow: their frame 0 is in raw_vec.rs, like libc++'s string.)
  for (const marker of ['SITE:label', 'SITE:box_leak', 'SITE:vec_with_capacity', 'SITE:records', 'SITE:weights', 'SITE:btree_insert', 'SITE:rc']) {
    const site = run.program.sites.find((s) => s.marker === marker)!;
    assert.equal(byLine.get(markerLine('fixtures/src/rust/alloc_rust/src/main.rs', marker)), `${site.liveBlocks} ${site.liveBytes}`, marker);
  }
});
