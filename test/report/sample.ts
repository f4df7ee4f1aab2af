// Small snapshots with known contents, shared by the report and CLI tests.
import { Snapshot, type TraceInput } from '../../src/snapshot/index.js';

export const HASH_A = 'aa'.repeat(32);
export const HASH_B = 'bb'.repeat(32);

/**
 * Old: a.c:10 ← a.c:1 twice (100 B each), b.c:5 ← a.c:2 (5000 B), a.c:10 ← a.c:3 (50 B), and
 * a 3-deep stack cut at 2 frames: c.c:7 ← c.c:8 (+1 older), 8 B. Limit 2.
 */
export function oldTraces(): TraceInput[] {
  return [
    { size: 100, traceback: [['a.c', 10], ['a.c', 1]], totalNframe: 2 },
    { size: 100, traceback: [['a.c', 10], ['a.c', 1]], totalNframe: 2 },
    { size: 5000, traceback: [['b.c', 5], ['a.c', 2]], totalNframe: 2 },
    { size: 50, traceback: [['a.c', 10], ['a.c', 3]], totalNframe: 2 },
    { size: 8, traceback: [['c.c', 7], ['c.c', 8]], totalNframe: 3 },
  ];
}

/** New: old + 20000 B at b.c:5 ← a.c:2, one 100 B block at a.c:10 ← a.c:1 freed, d.c:1 ← a.c:4 (1 B) added. */
export function newTraces(): TraceInput[] {
  return [
    { size: 100, traceback: [['a.c', 10], ['a.c', 1]], totalNframe: 2 },
    { size: 5000, traceback: [['b.c', 5], ['a.c', 2]], totalNframe: 2 },
    { size: 20000, traceback: [['b.c', 5], ['a.c', 2]], totalNframe: 2 },
    { size: 50, traceback: [['a.c', 10], ['a.c', 3]], totalNframe: 2 },
    { size: 8, traceback: [['c.c', 7], ['c.c', 8]], totalNframe: 3 },
    { size: 1, traceback: [['d.c', 1], ['a.c', 4]], totalNframe: 2 },
  ];
}

export function oldSnapshot(hash = HASH_A): Snapshot {
  return new Snapshot(oldTraces(), 2, { moduleName: 'app.wasm', moduleHash: hash, tracedCurrent: 5258, tracedPeak: 6000, timestamp: Date.UTC(2024, 0, 2, 3, 4, 5) });
}

export function newSnapshot(hash = HASH_A): Snapshot {
  return new Snapshot(newTraces(), 2, { moduleName: 'app.wasm', moduleHash: hash, tracedCurrent: 25159, tracedPeak: 30000, timestamp: Date.UTC(2024, 0, 2, 3, 5, 0) });
}
