// The text tracemalloc prints: str(Trace), str(Statistic), str(StatisticDiff),
// Traceback.format and _format_size — ported from CPython's tests, plus CPython itself as
// the oracle on many values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Frame, Snapshot, Statistic, StatisticDiff, Traceback, formatSize } from '../../src/snapshot/index.js';
import { askPython, pythonSkip, rng } from './helpers.js';
import { createSnapshots, tb } from './fixtures.js';

test('str of a trace, its traceback and a frame (test_trace_format)', () => {
  const [snapshot] = createSnapshots();
  const trace = snapshot.traces[0]!;
  assert.equal(String(trace), 'b.py:4: 10 B');
  assert.equal(String(trace.traceback), 'b.py:4'); // CPython prints the oldest frame
  assert.equal(String(trace.traceback.at(-1)), 'b.py:4');
  assert.equal(String(trace.traceback.at(0)), 'a.py:2'); // ours is indexed most recent first
});

test('str of a statistic (test_statistic_format)', () => {
  const [snapshot] = createSnapshots();
  assert.equal(String(snapshot.statistics('lineno')[0]), 'b.py:1: size=66 B, count=1, average=66 B');
});

test('str of a statistic diff (test_statistic_diff_format)', () => {
  const [snapshot, snapshot2] = createSnapshots();
  assert.equal(
    String(snapshot2.compareTo(snapshot, 'lineno')[0]),
    'a.py:5: size=5002 B (+5000 B), count=2 (+1), average=2501 B',
  );
});

test('a statistic with no block prints no average', () => {
  assert.equal(String(new StatisticDiff(tb(['a.c', 1]), 0, -10240, 0, -3)), 'a.c:1: size=0 B (-10.0 KiB), count=0 (-3)');
  assert.equal(String(new Statistic(tb(['a.c', 1]), 0, 0)), 'a.c:1: size=0 B, count=0');
});

test('Traceback.format with a source line provider (test_format_traceback)', () => {
  const [snapshot] = createSnapshots();
  const getline = (filename: string, lineno: number): string => `  <${filename}, ${lineno}>`;
  const t = snapshot.traces[0]!.traceback;
  assert.deepEqual(t.format(undefined, false, getline), ['  File "b.py", line 4', '    <b.py, 4>', '  File "a.py", line 2', '    <a.py, 2>']);
  assert.deepEqual(t.format(1, false, getline), ['  File "a.py", line 2', '    <a.py, 2>']);
  assert.deepEqual(t.format(-1, false, getline), ['  File "b.py", line 4', '    <b.py, 4>']);
  assert.deepEqual(t.format(null, true, getline), ['  File "a.py", line 2', '    <a.py, 2>', '  File "b.py", line 4', '    <b.py, 4>']);
  assert.deepEqual(t.format(1, true, getline), ['  File "a.py", line 2', '    <a.py, 2>']);
  assert.deepEqual(t.format(-1, true, getline), ['  File "b.py", line 4', '    <b.py, 4>']);
});

test('Traceback.format without a provider prints only the File lines, like an empty linecache', () => {
  assert.deepEqual(tb(['a.c', 3], ['m.c', 1]).format(), ['  File "m.c", line 1', '  File "a.c", line 3']);
});

test('Traceback.format matches CPython for every limit and order', { skip: pythonSkip() }, () => {
  const frames: [string, number][] = [['f0.c', 1], ['f1.c', 2], ['f2.c', 3], ['f3.c', 4], ['f4.c', 5]];
  // the oracle's getline: '  <file, line>  ' when line % 3, else '' (blank: no source line)
  const getline = (f: string, l: number): string => (l % 3 ? `  <${f}, ${l}>  ` : '');
  const cases: [number | null, boolean][] = [];
  for (const limit of [null, -6, -5, -3, -2, -1, 0, 1, 2, 3, 5, 6]) for (const mrf of [false, true]) cases.push([limit, mrf]);
  const expected = askPython({ ops: cases.map(([limit, mrf]) => ({ op: 'format', frames, limit, most_recent_first: mrf })) });
  const t = new Traceback(frames);
  cases.forEach(([limit, mrf], k) => assert.deepEqual(t.format(limit, mrf, getline), expected[k], `limit=${limit} mrf=${mrf}`));
});

test('format strips the source line as Python strips (its whitespace set, not JavaScript trim)', () => {
  const t = tb(['a.c', 1]);
  assert.deepEqual(t.format(null, false, () => '\x1c  x = 1 \u3000\n'), ['  File "a.c", line 1', '    x = 1']);
  assert.deepEqual(t.format(null, false, () => '\ufeffy'), ['  File "a.c", line 1', '    \ufeffy']); // BOM is not Python whitespace
  assert.deepEqual(t.format(null, false, () => ' \t '), ['  File "a.c", line 1']);
});

test('_format_size: units, thresholds and signs, by hand', () => {
  assert.equal(formatSize(0, false), '0 B');
  assert.equal(formatSize(0, true), '+0 B');
  assert.equal(formatSize(10239, false), '10239 B');
  assert.equal(formatSize(10240, false), '10.0 KiB');
  assert.equal(formatSize(-10240, true), '-10.0 KiB');
  assert.equal(formatSize(102399, false), '100.0 KiB'); // 99.999 KiB: below 100, printed rounded up
  assert.equal(formatSize(102400, false), '100 KiB');
  assert.equal(formatSize(10 * 1024 * 1024 - 1, false), '10240 KiB');
  assert.equal(formatSize(10 * 1024 * 1024, false), '10.0 MiB');
  assert.equal(formatSize(2 ** 60, false), '1048576 TiB');
  assert.equal(formatSize(1024, true), '+1024 B');
});

test('_format_size rounds halves to even like printf, not like toFixed', () => {
  assert.equal(formatSize(2.5, false), '2 B'); // toFixed would say 3
  assert.equal(formatSize(3.5, false), '4 B');
  assert.equal(formatSize(-0.5, true), '-0 B');
  assert.equal(formatSize(0.4, true), '+0 B');
  // 10.25 KiB = 10496 B: exactly halfway between 10.2 and 10.3, printed 10.2
  assert.equal(formatSize(10496, false), '10.2 KiB');
  assert.equal(formatSize(10752 + 256 + 512, false), '11.2 KiB'); // 11.25 → 11.2
  assert.equal(formatSize(11776 - 256, false), '11.2 KiB'); // 11.25 again from the other side
});

test('_format_size matches CPython on 20,000 values, integers and averages, with and without sign', { skip: pythonSkip() }, () => {
  const r = rng(1234);
  const values: [number, boolean][] = [];
  for (let i = 0; i < 20000; i++) {
    const mag = 2 ** (r() * 52);
    let v: number;
    const u = r();
    if (u < 0.4) v = Math.floor(mag);
    else if (u < 0.7) v = Math.floor(mag) / (1 + Math.floor(r() * 8)); // an average
    else if (u < 0.85) v = (Math.floor(r() * 4096) * 2 + 1) / 4 * 1024 ** Math.floor(r() * 5); // ties
    else v = Math.floor(r() * 200000) / 2;
    if (r() < 0.3) v = -v;
    values.push([v, r() < 0.5]);
  }
  values.push([10239.5, false], [102399.5, false], [-0.5, false], [0.5, true], [1.5, false]);
  const [expected] = askPython({ ops: [{ op: 'format_size', values }] }) as [string[]];
  const ours = values.map(([v, sign]) => formatSize(v, sign));
  const mismatches = values.map((v, k) => [v, ours[k], expected[k]]).filter(([, a, b]) => a !== b);
  assert.deepEqual(mismatches.slice(0, 10), []);
});

test('frames compare by code point, as Python strings do', () => {
  // U+FF21 is above every surrogate unit in UTF-16, but below U+1F600 as a code point
  assert.ok(Frame.compare(new Frame('\uFF21', 0), new Frame('😀', 0)) < 0);
  assert.ok('\uFF21' > '😀'); // what plain JavaScript would have done
  assert.ok(Frame.compare(new Frame('a', 2), new Frame('a', 10)) < 0);
  assert.ok(Frame.compare(new Frame('a', 10), new Frame('a ', 0)) < 0);
});

test('tracebacks compare from the oldest frame, a prefix first', () => {
  const older = tb(['z.c', 9], ['a.c', 1]); // oldest a.c:1
  const newer = tb(['a.c', 1], ['b.c', 1]); // oldest b.c:1
  assert.ok(Traceback.compare(older, newer) < 0);
  assert.ok(Traceback.compare(tb(['a.c', 1]), tb(['b.c', 0], ['a.c', 1])) < 0); // (a.c:1,) < (a.c:1, b.c:0)
  assert.equal(Traceback.compare(tb(['a.c', 1]), tb(['a.c', 1])), 0);
});

test('a traceback is a frozen sequence, most recent first, with totalNframe (test_create_snapshot, test_slices)', () => {
  const s = new Snapshot([{ size: 5, traceback: [['a.py', 2]], totalNframe: 10 }], 5);
  assert.equal(s.tracebackLimit, 5);
  assert.equal(s.traces.length, 1);
  const trace = s.traces[0]!;
  assert.equal(trace.size, 5);
  assert.equal(trace.traceback.totalNframe, 10);
  assert.equal(trace.traceback.length, 1);
  assert.equal(trace.traceback.at(0)!.filename, 'a.py');
  assert.equal(trace.traceback.at(0)!.lineno, 2);
  const t = tb(['a.c', 1], ['b.c', 2], ['c.c', 3]);
  assert.deepEqual([...t].map(String), ['a.c:1', 'b.c:2', 'c.c:3']);
  assert.deepEqual(t.frames.slice(0, 2).map(String), ['a.c:1', 'b.c:2']);
  assert.ok(Object.isFrozen(t.frames));
});

test('str of an empty traceback fails, as in CPython', () => {
  assert.throws(() => String(new Traceback([])), RangeError);
});

test('frames refuse line numbers and file names the dump format cannot hold', () => {
  assert.throws(() => new Frame('a.c', -1), RangeError);
  assert.throws(() => new Frame('a.c', 1.5), RangeError);
  assert.throws(() => new Frame('a\uD800.c', 1), TypeError);
  assert.equal(new Frame('😀', 0xffffffff).lineno, 0xffffffff);
});
