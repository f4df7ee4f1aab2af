// The interned tables (src/snapshot/store.ts): deduplication by value, including when two
// different tracebacks share a hash bucket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StoreBuilder, UNKNOWN_TOTAL, hashFrames } from '../../src/snapshot/store.js';

/** Two different one-frame sequences [a] and [b] with the same 30-bit hash (birthday search). */
function collidingPair(): [number, number] {
  const seen = new Map<number, number>();
  for (let id = 0; ; id++) {
    const h = hashFrames([id], 0, 1);
    const other = seen.get(h);
    if (other !== undefined) return [other, id];
    seen.set(h, id);
  }
}

test('tracebacks whose frames share a hash stay distinct and are found again', () => {
  const [a, b] = collidingPair();
  assert.equal(hashFrames([a], 0, 1), hashFrames([b], 0, 1));
  const builder = new StoreBuilder();
  const file = builder.internFilename('x.c');
  for (let line = 0; line <= Math.max(a, b); line++) builder.internFrame(file, line); // frame id = line
  const ta = builder.internTraceback([a], UNKNOWN_TOTAL);
  const tb = builder.internTraceback([b], UNKNOWN_TOTAL);
  const tb7 = builder.internTraceback([b], 7);
  assert.notEqual(ta, tb);
  assert.notEqual(tb, tb7);
  assert.equal(builder.internTraceback([a], UNKNOWN_TOTAL), ta);
  assert.equal(builder.internTraceback([b], UNKNOWN_TOTAL), tb);
  assert.equal(builder.internTraceback([b], 7), tb7);
  const store = builder.build();
  assert.equal(store.sequenceCount, 2, '[b] with two totals is one sequence');
  assert.equal(store.tbSeq[tb], store.tbSeq[tb7]);
  assert.equal(store.findSequence([a]), store.tbSeq[ta]);
  assert.equal(store.findSequence([b]), store.tbSeq[tb]);
  assert.equal(store.findSequence([a, b]), -1);
});

test('files and frames are found by value, and missing ones say -1', () => {
  const builder = new StoreBuilder();
  const f = builder.internFilename('a.c');
  const fr = builder.internFrame(f, 2 ** 32 - 1);
  assert.equal(builder.internFrame(builder.internFilename('a.c'), 2 ** 32 - 1), fr);
  const store = builder.build();
  assert.equal(store.findFile('a.c'), f);
  assert.equal(store.findFile('b.c'), -1);
  assert.equal(store.findFrame(f, 2 ** 32 - 1), fr);
  assert.equal(store.findFrame(f, 1), -1);
  assert.equal(store.frame(fr).toString(), 'a.c:4294967295');
});
