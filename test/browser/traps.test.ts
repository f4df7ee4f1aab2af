// Calls after a trap, in headless Chromium: the instance the browser build's instantiateTraced
// hands out puts the shadow stack back when a call throws (src/host/trapRecovery.ts), with
// Binaryen in a Web Worker and the engine's own RuntimeError. The same module and expectations
// as test/reliability/traps.test.ts, which runs them under Node. Skipped, with the reason,
// without Chromium.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { TRAPS_WAT, assembleWat } from '../support/wat.js';
import { closeBrowser, modulePage, openPage, pageResult, serve, skipReason } from './support.js';

let origin: Awaited<ReturnType<typeof serve>> | undefined;
after(async () => {
  await closeBrowser();
  origin?.server.close();
});

const page = (bytes: Uint8Array): string => modulePage(`import * as wtm from '/dist/web/wasm-tracemalloc.js';`, `
const bytes = Uint8Array.from(atob('${Buffer.from(bytes).toString('base64')}'), (c) => c.charCodeAt(0));
let onHook = null;
const { instance, tracemalloc } = await wtm.instantiateTraced(bytes, { env: { hook: (n) => onHook?.(n) } }, { nframe: 8, moduleName: 'traps.wasm' });
const x = instance.exports;
const errors = [];
const expectThrow = (f) => {
  try { f(); errors.push('no error'); } catch (e) { errors.push(e.constructor.name + ': ' + e.message); }
};
x.work(40);
expectThrow(() => x.crash(48));
expectThrow(() => x.crash(48));
x.work(56);
onHook = (n) => { if (n === 44) throw new TypeError('the hook refused 44 bytes'); };
expectThrow(() => x.work(44));
onHook = null;
x.work(200);
const depths = (size) => tracemalloc.takeSnapshot().traces.filter((t) => t.size === size).map((t) => t.traceback.totalNframe);
window.result = { isInstance: instance instanceof WebAssembly.Instance, errors, d40: depths(40), d56: depths(56), d44: depths(44), d200: depths(200) };
`);

test('Chromium: after two traps and a throw out of malloc, allocations keep their own depth and are still reported', { skip: skipReason }, async () => {
  origin ??= await serve({ '/traps.html': page(assembleWat(TRAPS_WAT)) });
  const { page: p, errors } = await openPage(`${origin.url}/traps.html`, origin.url);
  const r = await pageResult<Record<string, unknown>>(p);
  assert.equal(r.isInstance, true);
  assert.deepEqual(r.errors, ['RuntimeError: unreachable', 'RuntimeError: unreachable', 'TypeError: the hook refused 44 bytes']);
  assert.deepEqual(r.d40, [3], 'work → inner → make → malloc');
  assert.deepEqual(r.d56, [3], 'the same depth after two traps, not 3 + 4 stale frames');
  assert.deepEqual(r.d44, [], 'malloc(44) never returned: not traced');
  assert.deepEqual(r.d200, [3], 'reported after the throw out of malloc (the guard was put back)');
  assert.deepEqual(errors.filter((e) => !/favicon|404/.test(e)), []);
  await p.close();
});
