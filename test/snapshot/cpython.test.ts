// Differential tests: the same random traces through CPython's tracemalloc and ours, the
// printed lines compared exactly (order included). Fixed seeds; see helpers.randomTraces for
// the corners they aim at (code point order, prefixes, recursion, ties, huge sizes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Filter, Snapshot } from '../../src/snapshot/index.js';
import { FILES, askPython, pythonSkip, randomTraces, rng, snapshotOf, type RawTrace } from './helpers.js';

const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];
const KEYS: ['filename' | 'lineno' | 'traceback', boolean][] = [
  ['filename', false],
  ['lineno', false],
  ['traceback', false],
  ['filename', true],
  ['lineno', true],
];

function pairs(): { olds: RawTrace[][]; news: RawTrace[][] } {
  const olds: RawTrace[][] = [];
  const news: RawTrace[][] = [];
  for (const seed of SEEDS) {
    // the new snapshot keeps part of the old traces and adds its own, as a program would
    const old = randomTraces(seed, { traces: 200 });
    const fresh = randomTraces(seed + 1000, { traces: 200 });
    const r = rng(seed);
    news.push([...old.filter(() => r() < 0.6), ...fresh.slice(0, 120)]);
    olds.push(old);
  }
  return { olds, news };
}

function request(snapshots: RawTrace[][], ops: object[]): object {
  return { snapshots: snapshots.map((traces) => ({ traces, limit: 5 })), ops };
}

test('statistics by every key, cumulative or not, print what CPython prints', { skip: pythonSkip() }, () => {
  const { olds } = pairs();
  const ops = olds.flatMap((_, snap) => KEYS.map(([key, cumulative]) => ({ op: 'statistics', snap, key, cumulative })));
  const expected = askPython(request(olds, ops));
  const ours = olds.flatMap((raw) => {
    const s = snapshotOf(raw);
    return KEYS.map(([key, cumulative]) => s.statistics(key, cumulative).map(String));
  });
  assert.equal(ours.length, expected.length);
  ours.forEach((lines, k) => assert.deepEqual(lines, expected[k], `seed ${SEEDS[Math.floor(k / KEYS.length)]} ${KEYS[k % KEYS.length]}`));
});

test('compareTo by every key prints what CPython prints, in both directions', { skip: pythonSkip() }, () => {
  const { olds, news } = pairs();
  const all = [...olds, ...news];
  const n = olds.length;
  const ops: object[] = [];
  for (let i = 0; i < n; i++) {
    for (const [key, cumulative] of KEYS) {
      ops.push({ op: 'compare', snap: n + i, old: i, key, cumulative });
      ops.push({ op: 'compare', snap: i, old: n + i, key, cumulative });
    }
  }
  const expected = askPython(request(all, ops));
  const ours: string[][] = [];
  for (let i = 0; i < n; i++) {
    const o = snapshotOf(olds[i]!);
    const m = snapshotOf(news[i]!);
    for (const [key, cumulative] of KEYS) {
      ours.push(m.compareTo(o, key, cumulative).map(String));
      ours.push(o.compareTo(m, key, cumulative).map(String));
    }
  }
  ours.forEach((lines, k) => assert.deepEqual(lines, expected[k], `case ${k}`));
});

test('compareTo against a filtered copy of itself (shared tables) prints what CPython prints', { skip: pythonSkip() }, () => {
  const raw = randomTraces(42, { traces: 300 });
  const filter = new Filter(false, '[ab]*', null, true);
  const s = snapshotOf(raw);
  const f = s.filterTraces([filter]);
  const filtered = f.traces.map((t): RawTrace => [t.size, t.traceback.frames.map((fr) => [fr.filename, fr.lineno]), t.traceback.totalNframe ?? null]);
  const ops = KEYS.map(([key, cumulative]) => ({ op: 'compare', snap: 0, old: 1, key, cumulative }));
  const expected = askPython(request([raw, filtered], ops));
  KEYS.forEach(([key, cumulative], k) => assert.deepEqual(s.compareTo(f, key, cumulative).map(String), expected[k]));
});

test('str of every trace is what CPython prints', { skip: pythonSkip() }, () => {
  const raw = randomTraces(9, { traces: 300 });
  const [expected] = askPython(request([raw], [{ op: 'traces', snap: 0 }]));
  assert.deepEqual(snapshotOf(raw).traces.map(String), expected);
});

test('random filters keep exactly the traces CPython keeps, in order', { skip: pythonSkip() }, () => {
  const r = rng(2024);
  const patterns = [...FILES, '*', '*.c', '?.c', '[a-c]*', '[!a]*', '*😀*', 'lib/*', '<*>', 'a*', 'nothing'];
  const raws: RawTrace[][] = [];
  const filterSets: [boolean, string, number | null, boolean][][] = [];
  for (let k = 0; k < 60; k++) {
    raws.push(randomTraces(500 + k, { traces: 120 }));
    const nf = Math.floor(r() * 4);
    const set: [boolean, string, number | null, boolean][] = [];
    for (let j = 0; j < nf; j++) {
      set.push([r() < 0.5, patterns[Math.floor(r() * patterns.length)]!, r() < 0.4 ? Math.floor(r() * 6) : null, r() < 0.5]);
    }
    filterSets.push(set);
  }
  const ops = filterSets.map((filters, snap) => ({ op: 'filter', snap, filters }));
  const expected = askPython(request(raws, ops));
  raws.forEach((raw, k) => {
    const kept = snapshotOf(raw).filterTraces(filterSets[k]!.map(([i, p, l, a]) => new Filter(i, p, l, a)));
    const got = kept.traces.map((t) => [t.size, t.traceback.frames.map((f) => [f.filename, f.lineno]), t.traceback.totalNframe ?? null]);
    assert.deepEqual(got, expected[k], `filters ${JSON.stringify(filterSets[k])}`);
  });
});

test('errors for a bad key or cumulative traceback happen where CPython raises', { skip: pythonSkip() }, () => {
  const raw = randomTraces(3, { traces: 10 });
  const cases: [string, boolean][] = [
    ['traceback', true],
    ['bogus', false],
    ['lineno', true],
  ];
  const expected = askPython(request([raw], cases.map(([key, cumulative]) => ({ op: 'error', snap: 0, key, cumulative }))));
  const s: Snapshot = snapshotOf(raw);
  cases.forEach(([key, cumulative], k) => {
    const e = expected[k] as [string, string] | null;
    if (e === null) assert.doesNotThrow(() => s.statistics(key as 'lineno', cumulative));
    else assert.throws(() => s.statistics(key as 'lineno', cumulative), RangeError, `CPython: ${e[0]}: ${e[1]}`);
  });
  assert.deepEqual(expected[1], ['ValueError', "unknown key_type: 'bogus'"]);
  assert.throws(() => s.statistics('bogus' as 'lineno'), { message: "unknown key_type: 'bogus'" });
});
