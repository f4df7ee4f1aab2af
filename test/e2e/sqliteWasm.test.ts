// A real Emscripten program written by others: @sqlite.org/sqlite-wasm 3.54.1-build1, loaded by
// its own glue (sqlite3InitModule) with Module.instantiateWasm set by withEmscriptenTracing.
//
// Ground truth: SQLite's own counters. sqlite3_status64(SQLITE_STATUS_MEMORY_USED) is the sum
// of sqlite3MallocSize() of its live blocks and SQLITE_STATUS_MALLOC_COUNT their number. Its
// default allocator (sqlite3MemMalloc, SQLITE_SYSTEM_MALLOC) rounds a request up to 8 and asks
// malloc for 8 more bytes to keep the size in front of the block, and MallocSize is that rounded
// size; so every SQLite block is traced as MallocSize + 8 bytes. Outside SQLite, Emscripten's
// libc allocates the environment once when SQLite first reads it (getenv, during init): the
// strings "K=V\0" of getEnvStrings() in one block and the pointer array (n + 1) × 4 in another.
// So at every step, exactly:
//     traced bytes  = MEMORY_USED + 8 · MALLOC_COUNT + (Σ |K=V| + 1) + 4 · (n + 1)
//     traced blocks = MALLOC_COUNT + 2
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sqlite3InitModule from '@sqlite.org/sqlite-wasm';
import { withEmscriptenTracing } from '../../src/host/emscripten.js';
import type { Tracemalloc } from '../../src/host/tracer.js';

type Sqlite3 = Awaited<ReturnType<typeof sqlite3InitModule>>;

const SQLITE_STATUS_MEMORY_USED = 0;
const SQLITE_STATUS_MALLOC_COUNT = 9;
const ROWS = 5000;
const wasm = new URL(import.meta.resolve('@sqlite.org/sqlite-wasm/sqlite3.wasm'));

/** sqlite3_status64(op): the current value. */
function status(sqlite3: Sqlite3, op: typeof SQLITE_STATUS_MEMORY_USED | typeof SQLITE_STATUS_MALLOC_COUNT): number {
  const { wasm: w, capi } = sqlite3;
  const mark = w.pstack.pointer;
  try {
    const [current, highwater] = w.pstack.allocChunks(2, 8) as [number, number];
    assert.equal(capi.sqlite3_status64(op, current, highwater, 0), 0);
    return Number(w.peek64(current));
  } finally {
    w.pstack.restore(mark);
  }
}

/** What Emscripten's libc allocates for the environment (getEnvStrings in the glue, with no ENV changes). */
function environmentBytes(): { bytes: number; blocks: number } {
  const lang = `${((globalThis as { navigator?: { language?: string } }).navigator?.language ?? 'C').replace('-', '_')}.UTF-8`;
  const program = process.argv.length > 1 ? process.argv[1]!.replace(/\\/g, '/') : './this.program';
  const env = { USER: 'web_user', LOGNAME: 'web_user', PATH: '/', PWD: '/', HOME: '/home/web_user', LANG: lang, _: program };
  const strings = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  const bytes = strings.reduce((n, s) => n + Buffer.byteLength(s) + 1, 0) + 4 * (strings.length + 1);
  return { bytes, blocks: 2 };
}

/** The workload, step by step; `check` runs after each step; returns every query result. */
function workload(sqlite3: Sqlite3, check: (step: string) => void): unknown[] {
  const results: unknown[] = [];
  check('init');
  const db = new sqlite3.oo1.DB(':memory:');
  check('open');
  db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT NOT NULL, v REAL); CREATE INDEX t_name ON t(name)');
  check('create');
  db.transaction(() => {
    const insert = db.prepare('INSERT INTO t(name, v) VALUES (?, ?)');
    for (let i = 0; i < ROWS; i++) insert.bind([`name-${(i * 7919) % ROWS}`, i * 1.5]).stepReset();
    insert.finalize();
  });
  check('insert');
  results.push(db.selectValue('SELECT count(*) FROM t'), db.selectValue('SELECT sum(v) FROM t'));
  results.push(db.selectArrays('SELECT id, name, v FROM t WHERE name LIKE ? ORDER BY name LIMIT 5', ['name-42%']));
  check('query');
  db.exec('DELETE FROM t WHERE id % 3 = 0');
  results.push(db.selectValue('SELECT count(*) FROM t'), db.selectArrays('SELECT name, count(*) FROM t GROUP BY substr(name, 1, 6) ORDER BY 1'));
  check('delete');
  db.exec('DROP TABLE t; VACUUM');
  check('drop');
  db.close();
  check('close');
  return results;
}

test('sqlite-wasm through its own glue: traced bytes = MEMORY_USED + 8·MALLOC_COUNT + the environment, at every step; same results', async () => {
  const original = await sqlite3InitModule();
  const expectedResults = workload(original, () => {});

  const { module: sqlite3, traced } = await withEmscriptenTracing(sqlite3InitModule, {}, { wasm, nframe: 1, moduleName: 'sqlite3.wasm' });
  // Found by their export names (the module has no name section); the report is kept in the cache too.
  assert.deepEqual(traced.report!.allocators.map((a) => `${a.shape}: ${a.reason}`), [
    'malloc: exported as "malloc"', 'free: exported as "free"', 'realloc: exported as "realloc"',
  ]);
  const tm: Tracemalloc = traced.tracemalloc;
  const environment = environmentBytes();
  const seen: string[] = [];
  const results = workload(sqlite3, (step) => {
    const used = status(sqlite3, SQLITE_STATUS_MEMORY_USED);
    const count = status(sqlite3, SQLITE_STATUS_MALLOC_COUNT);
    const [current] = tm.getTracedMemory();
    const stats = tm.takeSnapshot().statistics('filename');
    const blocks = stats.reduce((n, s) => n + s.count, 0);
    assert.equal(current, used + 8 * count + environment.bytes, `${step}: traced ${current} B, MEMORY_USED ${used}, MALLOC_COUNT ${count}`);
    assert.equal(blocks, count + environment.blocks, `${step}: traced blocks`);
    assert.equal(stats.reduce((n, s) => n + s.size, 0), current, `${step}: the snapshot adds up to the traced current`);
    seen.push(`${step}: ${count} blocks`);
  });
  assert.deepEqual(results, expectedResults, 'the traced program computes what the original does');
  assert.equal(seen.length, 8);
  // The workload did allocate: SQLite held well over a hundred blocks with the rows in.
  assert.ok(Number(seen[3]!.match(/(\d+) blocks/)![1]) > 100, seen.join(', '));
});
