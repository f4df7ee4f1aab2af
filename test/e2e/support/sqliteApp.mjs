// A plain program using @sqlite.org/sqlite-wasm, unaware of any tracer: the preload test runs it
// with and without `node --import wasm-tracemalloc/preload`. It prints its query results and, last,
// SQLite's own counters of its live heap (sqlite3_status64 MEMORY_USED and MALLOC_COUNT), and
// leaves its database open so that the heap at exit is not empty.
import sqlite3InitModule from '@sqlite.org/sqlite-wasm';

const sqlite3 = await sqlite3InitModule();
const db = new sqlite3.oo1.DB(':memory:');
db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT NOT NULL, v REAL); CREATE INDEX t_name ON t(name)');
db.transaction(() => {
  const insert = db.prepare('INSERT INTO t(name, v) VALUES (?, ?)');
  for (let i = 0; i < 2000; i++) insert.bind([`name-${(i * 7919) % 2000}`, i * 1.5]).stepReset();
  insert.finalize();
});
console.log(JSON.stringify([db.selectValue('SELECT count(*) FROM t'), db.selectValue('SELECT sum(v) FROM t'), db.selectArrays('SELECT name FROM t ORDER BY name LIMIT 3')]));

function status(op) {
  const { wasm, capi } = sqlite3;
  const mark = wasm.pstack.pointer;
  try {
    const [current, highwater] = wasm.pstack.allocChunks(2, 8);
    capi.sqlite3_status64(op, current, highwater, 0);
    return Number(wasm.peek64(current));
  } finally {
    wasm.pstack.restore(mark);
  }
}
console.log(JSON.stringify({ memoryUsed: status(0), mallocCount: status(9) }));
