// The pure SHA-256 the instrumenter and the browser build use, against Node's crypto (an
// independent implementation, OpenSSL) and FIPS 180-4's published examples.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { sha256Hex } from '../../src/instrument/sha256.js';
import { xorshift32 } from '../support/random.js';

test('sha256Hex: FIPS 180-4 examples', () => {
  assert.equal(sha256Hex(new TextEncoder().encode('abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(sha256Hex(new Uint8Array(0)), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(
    sha256Hex(new TextEncoder().encode('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')),
    '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
  );
});

test('sha256Hex equals node:crypto on every length around the block edges, and on a real module', () => {
  const next = xorshift32(7);
  for (let n = 0; n <= 200; n++) {
    const bytes = Uint8Array.from({ length: n }, () => next() & 0xff);
    assert.equal(sha256Hex(bytes), createHash('sha256').update(bytes).digest('hex'), `length ${n}`);
  }
  const wasm = readFileSync('node_modules/sql.js/dist/sql-wasm.wasm');
  assert.equal(sha256Hex(wasm), createHash('sha256').update(wasm).digest('hex'));
});
