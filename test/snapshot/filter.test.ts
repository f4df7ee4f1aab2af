// Filters and fnmatch, ported from CPython's TestFilters and TestSnapshot.test_filter_traces
// (Lib/test/test_tracemalloc.py, 3.12), plus CPython's fnmatch as the oracle on random patterns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Filter, Snapshot, fnmatch } from '../../src/snapshot/index.js';
import { askPython, pythonSkip, rng } from './helpers.js';
import { createSnapshots } from './fixtures.js';

/** Traces as CPython's raw tuples minus the domain: [size, frames, total]. */
function raw(s: Snapshot): unknown[] {
  return s.traces.map((t) => [t.size, t.traceback.frames.map((f) => [f.filename, f.lineno]), t.traceback.totalNframe ?? null]);
}

test('filterTraces with an exclusive filter drops matching traces (test_filter_traces)', () => {
  const [snapshot] = createSnapshots();
  const before = raw(snapshot);
  const snapshot3 = snapshot.filterTraces([new Filter(false, 'b.py')]);
  assert.deepEqual(raw(snapshot3), [
    [10, [['a.py', 2], ['b.py', 4]], 3],
    [10, [['a.py', 2], ['b.py', 4]], 3],
    [10, [['a.py', 2], ['b.py', 4]], 3],
    [2, [['a.py', 5], ['b.py', 4]], 3],
    [7, [['<unknown>', 0]], 1],
  ]);
  assert.deepEqual(raw(snapshot), before, 'the original snapshot is untouched');
});

test('inclusive filters apply at once: a trace is kept if any of them matches (test_filter_traces)', () => {
  const [snapshot] = createSnapshots();
  const snapshot3 = snapshot.filterTraces([new Filter(false, 'b.py')]);
  const snapshot4 = snapshot3.filterTraces([new Filter(true, 'a.py', 2), new Filter(true, 'a.py', 5)]);
  assert.deepEqual(raw(snapshot4), [
    [10, [['a.py', 2], ['b.py', 4]], 3],
    [10, [['a.py', 2], ['b.py', 4]], 3],
    [10, [['a.py', 2], ['b.py', 4]], 3],
    [2, [['a.py', 5], ['b.py', 4]], 3],
  ]);
});

test('no filter gives a new snapshot with the same traces (test_filter_traces)', () => {
  const [snapshot] = createSnapshots();
  const copy = snapshot.filterTraces([]);
  assert.notEqual(copy, snapshot);
  assert.deepEqual(raw(copy), raw(snapshot));
  assert.equal(copy.tracebackLimit, snapshot.tracebackLimit);
});

test('filterTraces wants a list of filters, not a filter (test_filter_traces)', () => {
  const [snapshot] = createSnapshots();
  assert.throws(() => snapshot.filterTraces(new Filter(false, 'b.py') as unknown as Filter[]), {
    name: 'TypeError',
    message: 'filters must be a list of filters, not Filter',
  });
});

test('one failing exclusive filter is enough to drop a trace', () => {
  const [snapshot] = createSnapshots();
  const kept = snapshot.filterTraces([new Filter(true, '*'), new Filter(false, 'a.py', 5), new Filter(false, '<*')]);
  assert.deepEqual(
    kept.traces.map(String),
    ['b.py:4: 10 B', 'b.py:4: 10 B', 'b.py:4: 10 B', 'b.py:1: 66 B'],
  );
});

test('filter attributes and their defaults (test_filter_attributes)', () => {
  let f = new Filter(true, 'abc');
  assert.equal(f.inclusive, true);
  assert.equal(f.filenamePattern, 'abc');
  assert.equal(f.lineno, null);
  assert.equal(f.allFrames, false);
  f = new Filter(false, 'test.py', 123, true);
  assert.equal(f.inclusive, false);
  assert.equal(f.filenamePattern, 'test.py');
  assert.equal(f.lineno, 123);
  assert.equal(f.allFrames, true);
  assert.throws(() => {
    (f as { filenamePattern: string }).filenamePattern = 'x';
    // readonly at the type level; at run time the compiled pattern is private and unaffected
    assert.equal(f.matchFilename('test.py'), true);
    throw new TypeError('read-only');
  }, TypeError);
});

test('matchFrame with and without a line number (test_filter_match)', () => {
  const cases: [Filter, boolean[]][] = [
    [new Filter(true, 'abc'), [true, true, true, false, false, false]],
    [new Filter(false, 'abc'), [false, false, false, true, true, true]],
    [new Filter(true, 'abc', 5), [false, true, false, false, false, false]],
    [new Filter(false, 'abc', 5), [true, false, true, true, true, true]],
    [new Filter(true, 'abc', 0), [true, false, false, false, false, false]],
    [new Filter(false, 'abc', 0), [false, true, true, true, true, true]],
  ];
  for (const [f, expected] of cases) {
    const got = [
      f.matchFrame('abc', 0),
      f.matchFrame('abc', 5),
      f.matchFrame('abc', 10),
      f.matchFrame('12356', 0),
      f.matchFrame('12356', 5),
      f.matchFrame('12356', 10),
    ];
    assert.deepEqual(got, expected, `Filter(${f.inclusive}, ${f.filenamePattern}, ${f.lineno})`);
  }
});

test('matchFrame on file names (test_filter_match_filename)', () => {
  const m = (inclusive: boolean, filename: string, pattern: string): boolean => new Filter(inclusive, pattern).matchFrame(filename, 0);
  assert.equal(m(true, 'abc', 'abc'), true);
  assert.equal(m(true, '12356', 'abc'), false);
  assert.equal(m(true, '<unknown>', 'abc'), false);
  assert.equal(m(false, 'abc', 'abc'), false);
  assert.equal(m(false, '12356', 'abc'), true);
  assert.equal(m(false, '<unknown>', 'abc'), true);
});

test('jokers, case and separators as on POSIX (test_filter_match_filename_joker)', () => {
  const m = (filename: string, pattern: string): boolean => new Filter(true, pattern).matchFrame(filename, 0);
  // empty string
  assert.equal(m('abc', ''), false);
  assert.equal(m('', 'abc'), false);
  assert.equal(m('', ''), true);
  assert.equal(m('', '*'), true);
  // no *
  assert.equal(m('abc', 'abc'), true);
  assert.equal(m('abc', 'abcd'), false);
  assert.equal(m('abc', 'def'), false);
  // a*
  assert.equal(m('abc', 'a*'), true);
  assert.equal(m('abc', 'abc*'), true);
  assert.equal(m('abc', 'b*'), false);
  assert.equal(m('abc', 'abcd*'), false);
  // a*b
  assert.equal(m('abc', 'a*c'), true);
  assert.equal(m('abcdcx', 'a*cx'), true);
  assert.equal(m('abb', 'a*c'), false);
  assert.equal(m('abcdce', 'a*cx'), false);
  // a*b*c
  assert.equal(m('abcde', 'a*c*e'), true);
  assert.equal(m('abcbdefeg', 'a*bd*eg'), true);
  assert.equal(m('abcdd', 'a*c*e'), false);
  assert.equal(m('abcbdefef', 'a*bd*eg'), false);
  // case sensitive, no alternate separator (CPython's POSIX branch)
  assert.equal(m('aBC', 'ABc'), false);
  assert.equal(m('aBcDe', 'Ab*dE'), false);
  assert.equal(m('a/b', 'a\\b'), false);
  assert.equal(m('a\\b', 'a/b'), false);
  assert.equal(m('a/b\\c', 'a\\b/c'), false);
  assert.equal(m('a/b/c', 'a\\b\\c'), false);
  assert.equal(m('a.pyo', 'a.py'), false);
});

test('the .pyc → .py rule of CPython is not applied (Wasm file names are never .pyc)', () => {
  const m = (filename: string, pattern: string): boolean => new Filter(true, pattern).matchFrame(filename, 0);
  assert.equal(m('a.pyc', 'a.py'), false); // CPython: True
  assert.equal(m('a.py', 'a.pyc'), false); // CPython: True
  assert.equal(new Filter(true, 'a.pyc').filenamePattern, 'a.pyc'); // CPython: 'a.py'
});

test('matchTraceback with allFrames, inclusive and exclusive (test_filter_match_trace)', () => {
  const t1: [string, number][] = [['a.py', 2], ['b.py', 3]];
  const t2: [string, number][] = [['b.py', 4], ['b.py', 5]];
  const t3: [string, number][] = [['c.py', 5], ['<unknown>', 0]];
  const unknown: [string, number][] = [['<unknown>', 0]];
  const check = (f: Filter, expected: boolean[]): void =>
    assert.deepEqual([t1, t2, t3, unknown].map((t) => f.matchTraceback(t)), expected, `Filter(${f.inclusive}, ${f.filenamePattern}, all=${f.allFrames})`);
  check(new Filter(true, 'b.py', null, true), [true, true, false, false]);
  check(new Filter(true, 'b.py', null, false), [false, true, false, false]);
  check(new Filter(false, 'b.py', null, true), [false, false, true, true]);
  check(new Filter(false, 'b.py', null, false), [true, false, true, true]);
  check(new Filter(false, '<unknown>', null, false), [true, true, true, false]);
  check(new Filter(true, '<unknown>', null, true), [false, false, true, true]);
  check(new Filter(false, '<unknown>', null, true), [true, true, false, false]);
});

test('fnmatch bracket sets, by hand', () => {
  assert.equal(fnmatch('b', '[abc]'), true);
  assert.equal(fnmatch('d', '[abc]'), false);
  assert.equal(fnmatch('d', '[!abc]'), true);
  assert.equal(fnmatch('q', '[a-z]'), true);
  assert.equal(fnmatch('-', '[a-]'), true);
  assert.equal(fnmatch(']', '[]]'), true);
  assert.equal(fnmatch('[', '['), true); // unclosed: literal
  assert.equal(fnmatch('x', '[z-a]'), false); // empty range, empty set: never
  assert.equal(fnmatch('x', '[!z-a]'), true); // negated empty set: any character
  assert.equal(fnmatch('😀', '?'), true); // one code point, not one UTF-16 unit
  assert.equal(fnmatch('a\nb', 'a*b'), true);
});

test('fnmatch matches CPython on 6,000 random names and patterns', { skip: pythonSkip() }, () => {
  const r = rng(77);
  const patAlphabet = ['a', 'b', 'c', '-', '!', '[', ']', '*', '?', '^', '\\', '&', '~', '|', 'z', '😀', '.'];
  const nameAlphabet = ['a', 'b', 'c', '-', '!', '[', ']', '^', '\\', '&', 'z', '😀', '.', 'y', '/'];
  const word = (alphabet: string[], max: number): string => {
    let s = '';
    const n = Math.floor(r() * (max + 1));
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(r() * alphabet.length)]!;
    return s;
  };
  // half of the names are drawn from the pattern itself, so that many of them match
  const instantiate = (pat: string): string =>
    Array.from(pat, (ch) => (ch === '*' ? word(nameAlphabet, 2) : ch === '?' || ch === '[' ? word(nameAlphabet, 1) : ch)).join('');
  const cases: [string, string][] = [];
  for (let i = 0; i < 6000; i++) {
    let pat = word(patAlphabet, 7);
    if (r() < 0.5) pat = `${word(patAlphabet, 2)}[${word(patAlphabet, 5)}]${word(patAlphabet, 2)}`;
    cases.push([r() < 0.5 ? instantiate(pat) : word(nameAlphabet, 5), pat]);
  }
  const [expected] = askPython({ ops: [{ op: 'fnmatch', cases }] }) as [boolean[]];
  const mismatches = cases.filter(([n, p], k) => fnmatch(n, p) !== expected[k]).map(([n, p]) => [n, p, !fnmatch(n, p)]);
  assert.deepEqual(mismatches.slice(0, 10), []);
  assert.ok(expected.filter(Boolean).length > 600, `only ${expected.filter(Boolean).length} matches`);
});

test('filters read the most recent frame unless allFrames', () => {
  const s = new Snapshot(
    [
      { size: 1, traceback: [['lib.c', 10], ['main.c', 1]] },
      { size: 2, traceback: [['main.c', 2]] },
    ],
    2,
  );
  assert.deepEqual(s.filterTraces([new Filter(true, 'main.c')]).traces.map((t) => t.size), [2]);
  assert.deepEqual(s.filterTraces([new Filter(true, 'main.c', null, true)]).traces.map((t) => t.size), [1, 2]);
  assert.deepEqual(s.filterTraces([new Filter(false, 'main.c', 1, true)]).traces.map((t) => t.size), [2]);
});
