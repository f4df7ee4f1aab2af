// dumpSnapshot / loadSnapshot (Node only): atomic writes that never replace a file unasked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Snapshot, SnapshotFormatError } from '../../src/snapshot/index.js';
import { FileExistsError, dumpSnapshot, dumpSnapshotSync, loadSnapshot, loadSnapshotSync } from '../../src/snapshot/file.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'tm-snapshot-'));
}

const snap = (size: number): Snapshot => new Snapshot([{ size, traceback: [['a.c', 1]], totalNframe: 1 }], 1, { moduleName: 'm.wasm' });

test('dumpSnapshotSync then loadSnapshotSync gives the same snapshot', () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'x.snap');
    dumpSnapshotSync(snap(42), path);
    const back = loadSnapshotSync(path);
    assert.deepEqual(back.traces.map(String), ['a.c:1: 42 B']);
    assert.equal(back.meta.moduleName, 'm.wasm');
    assert.deepEqual(readdirSync(dir), ['x.snap'], 'no temporary file is left');
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('dump refuses to replace an existing file and leaves it as it was', () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'x.snap');
    writeFileSync(path, 'precious');
    assert.throws(() => dumpSnapshotSync(snap(1), path), (e: unknown) => {
      assert.ok(e instanceof FileExistsError);
      assert.match(e.message, /refusing to overwrite .*x\.snap.*\{ force: true \}/);
      return true;
    });
    assert.equal(readFileSync(path, 'utf8'), 'precious');
    assert.deepEqual(readdirSync(dir), ['x.snap'], 'no temporary file is left');
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('dump with { force: true } replaces an existing file', () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'x.snap');
    dumpSnapshotSync(snap(1), path);
    dumpSnapshotSync(snap(2), path, { force: true });
    assert.deepEqual(loadSnapshotSync(path).traces.map((t) => t.size), [2]);
    assert.deepEqual(readdirSync(dir), ['x.snap']);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('the async helpers behave like the sync ones', async () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'x.snap');
    await dumpSnapshot(snap(7), path);
    await assert.rejects(dumpSnapshot(snap(8), path), FileExistsError);
    assert.deepEqual((await loadSnapshot(path)).traces.map((t) => t.size), [7]);
    await dumpSnapshot(snap(9), path, { force: true });
    assert.deepEqual((await loadSnapshot(path)).traces.map((t) => t.size), [9]);
    assert.deepEqual(readdirSync(dir), ['x.snap']);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('loading a damaged file throws SnapshotFormatError', () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'x.snap');
    dumpSnapshotSync(snap(1), path);
    writeFileSync(path, readFileSync(path).subarray(0, 30));
    assert.throws(() => loadSnapshotSync(path), SnapshotFormatError);
  } finally {
    rmSync(dir, { recursive: true });
  }
});
