/**
 * SHA-256, synchronous, for the places that name a module by its hash and must also run in
 * browsers: the instrumenter (the site table records the original's hash), the check of an
 * `original` against it, the browser's module cache. Node's `crypto` is not there, and Web
 * Crypto's `subtle.digest` is asynchronous and missing outside secure contexts, so this is
 * @noble/hashes (~150 MB/s on V8). Node-only callers with a large module use `node:crypto`
 * (~25× faster) and hand the hash in (instrument's `originalHash`).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

/** SHA-256 of `bytes`, lowercase hex (as `createHash('sha256').digest('hex')`). */
export function sha256Hex(bytes: Uint8Array): string {
  return bytesToHex(sha256(bytes));
}
