// The misbehaving program of the reliability tests (fixtures/src/c/misbehave.c) rebuilds to
// the committed bytes, like every fixture (fixtures/README.md); skipped (never passed) when
// the wasi toolchain is not installed or is another version.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SCRIPT = 'scripts/build-fixtures.sh';
const OUTPUTS = ['misbehave.max16m.wasm', 'misbehave.wasm'];

test('rebuilding the reliability fixtures gives the committed bytes', (t) => {
  const check = spawnSync('bash', [SCRIPT, '--check', 'reliability'], { encoding: 'utf8' });
  if (check.status !== 0) return t.skip(`wasi toolchain not installed: ${check.stderr.trim().replace(/\s+/g, ' ')}`);
  if (/warning:/.test(check.stderr)) return t.skip(`wasi toolchain is another version: ${check.stderr.trim()}`);
  const dir = mkdtempSync(join(tmpdir(), 'wtm-rel-fixtures-'));
  try {
    const r = spawnSync('bash', [SCRIPT, 'reliability'], { encoding: 'utf8', env: { ...process.env, OUT_DIR: dir, CACHE_DIR: join(dir, '.cache') } });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(readdirSync(join(dir, 'wasi')).sort(), OUTPUTS);
    for (const name of OUTPUTS) {
      assert.ok(readFileSync(join(dir, 'wasi', name)).equals(readFileSync(join('fixtures/wasi', name))), `${name} differs from the committed one`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
