// Node's own WebAssembly passes through the global hook: fetch's HTTP parser (undici's llhttp,
// which exports malloc and free) is compiled by node:internal code on the first request. Its own
// file, so that nothing in this process has loaded llhttp before the hook is installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installWasmHook } from '../../src/host/globalHook.js';

test("fetch under the hook: undici's llhttp is compiled from node:internal and passes through untraced", async () => {
  const server = createServer((_req, res) => res.end('served'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const hook = await installWasmHook({ nframe: 1, cache: mkdtempSync(join(tmpdir(), 'wtm-hook-internal-')) });
  try {
    // Were llhttp instrumented, Node would instantiate it without the tracemalloc imports and the request would fail.
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    assert.equal(await response.text(), 'served');
    assert.equal(hook.instances.length, 0);
  } finally {
    hook.uninstall();
    server.close();
  }
});
