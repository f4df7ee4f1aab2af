// pprof export: decoded back with pprof-format, and read by `go tool pprof` where Go is installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { toPprof } from '../../src/report/pprof.js';
import { Snapshot } from '../../src/snapshot/index.js';
import { newSnapshot } from './sample.js';

const scratch = mkdtempSync(join(tmpdir(), 'wtm-pprof-'));

/** The decoded profile with its strings resolved: stacks leaf first, values [count, bytes]. */
function decode(bytes: Uint8Array) {
  const p = Profile.decode(gunzipSync(bytes));
  const str = (i: number | bigint): string => p.stringTable.strings[Number(i)]!;
  const fn = new Map(p.function.map((f) => [Number(f.id), f]));
  const loc = new Map(p.location.map((l) => [Number(l.id), l]));
  const frame = (id: number | bigint): string => {
    const l = loc.get(Number(id))!;
    assert.equal(l.line.length, 1);
    const f = fn.get(Number(l.line[0]!.functionId))!;
    return `${str(f.name)} [${str(f.filename)} ${Number(l.line[0]!.line)}]`;
  };
  return {
    profile: p,
    str,
    sampleTypes: p.sampleType.map((t) => `${str(t.type)}/${str(t.unit)}`),
    defaultType: str(p.defaultSampleType),
    samples: p.sample.map((s) => ({ stack: s.locationId.map(frame), value: s.value.map(Number) })),
    comments: p.comment.map(str),
  };
}

test('pprof: inuse_objects and inuse_space per stack, leaf first, functions named file:line', () => {
  const d = decode(toPprof(newSnapshot()));
  assert.deepEqual(d.sampleTypes, ['inuse_objects/count', 'inuse_space/bytes']);
  assert.equal(d.defaultType, 'inuse_space');
  assert.deepEqual(d.samples, [
    { stack: ['b.c:5 [b.c 5]', 'a.c:2 [a.c 2]'], value: [2, 25000] },
    { stack: ['a.c:10 [a.c 10]', 'a.c:1 [a.c 1]'], value: [1, 100] },
    { stack: ['a.c:10 [a.c 10]', 'a.c:3 [a.c 3]'], value: [1, 50] },
    { stack: ['c.c:7 [c.c 7]', 'c.c:8 [c.c 8]', '[truncated] [ 0]'], value: [1, 8] },
    { stack: ['d.c:1 [d.c 1]', 'a.c:4 [a.c 4]'], value: [1, 1] },
  ]);
  // one location per distinct frame: a.c:10 is shared by two stacks
  assert.equal(d.profile.location.length, 10);
  assert.ok(d.comments.some((c) => /no alloc_\*/.test(c)), 'the profile says it has no alloc_* values');
  assert.ok(d.comments.some((c) => /1 stacks were deeper/.test(c)));
  const mapping = d.profile.mapping[0]!;
  assert.equal(d.str(mapping.filename), 'app.wasm');
  assert.equal(d.str(mapping.buildId), 'aa'.repeat(32));
  assert.equal(Number(d.profile.timeNanos), Date.UTC(2024, 0, 2, 3, 5, 0) * 1e6);
});

test('pprof: a sampled snapshot carries the estimates and the sampling period', () => {
  const s = new Snapshot([{ size: 100, traceback: [['x.c', 1]] }], 1, { samplingInterval: 1000 });
  const d = decode(toPprof(s));
  const expected = s.statistics('traceback')[0]!;
  assert.deepEqual(d.samples[0]!.value, [expected.count, expected.size]);
  assert.equal(Number(d.profile.period), 1000);
  assert.equal(d.str(d.profile.periodType!.type), 'space');
});

test('pprof: an empty snapshot is a valid empty profile', () => {
  const d = decode(toPprof(new Snapshot([], 1)));
  assert.equal(d.samples.length, 0);
});

const go = spawnSync('go', ['version'], { encoding: 'utf8' });
const goMissing = go.error || go.status !== 0 ? 'go is not installed (Debian package golang-go)' : false;

test('go tool pprof -top reads the profile and shows the same totals', { skip: goMissing }, () => {
  const path = join(scratch, 'new.pb.gz');
  writeFileSync(path, toPprof(newSnapshot()));
  const r = spawnSync('go', ['tool', 'pprof', '-top', '-unit=B', '-nodefraction=0', path], { encoding: 'utf8', env: { ...process.env, HOME: scratch, PPROF_TMPDIR: scratch } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Type: inuse_space/);
  assert.match(r.stdout, /Showing nodes accounting for 25159B, 100% of 25159B total/);
  assert.match(r.stdout, /^\s+25000B\s+99\.37%\s+99\.37%\s+25000B\s+99\.37%\s+b\.c:5$/m);
  assert.match(r.stdout, /^\s+0\s+0%\s+100%\s+25000B\s+99\.37%\s+a\.c:2$/m);
  const objects = spawnSync('go', ['tool', 'pprof', '-sample_index=inuse_objects', '-top', path], { encoding: 'utf8', env: { ...process.env, HOME: scratch, PPROF_TMPDIR: scratch } });
  assert.equal(objects.status, 0, objects.stderr);
  assert.match(objects.stdout, /Showing nodes accounting for 6, 100% of 6 total/);
});
