// The DWARF line table: every row LLVM prints is what our lookup returns.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Symbolizer, readWasmModule } from '../../src/symbols/index.js';
import { OWN_ROOT, missing, own, read, shared } from './support/fixtures.js';
import { DWARFDUMP, SYMBOLIZER, dwarfdumpLineRows, haveTool, llvmSymbolize, lookupableRows } from './support/llvm.js';
import { EXPECTED_DIR, EXPECTED_FIXTURES, type Expected } from './support/regenerate.js';

const llvmMissing = !haveTool(DWARFDUMP) || !haveTool(SYMBOLIZER) ? `${DWARFDUMP} / ${SYMBOLIZER} not installed (Debian llvm-14)` : undefined;

/** Modules checked against live LLVM output: ours, and the project's shared fixtures once built. */
const LIVE = [
  own('sites.O2.wasm'),
  own('sites.O0.wasm'),
  own('sites.v5.wasm'),
  own('shapes.wasm'),
  own('sites.em.wasm'),
  own('sites.sep.debug.wasm'),
  shared('wasi/alloc_basic.wasm'),
  shared('wasi/alloc_basic.O0.wasm'),
  shared('wasi/containers.wasm'),
  shared('emscripten/alloc_basic.g.wasm'),
  shared('rust/alloc_rust.wasm'),
];

describe('line table against committed llvm-dwarfdump output', () => {
  for (const name of EXPECTED_FIXTURES) {
    test(name, async () => {
      const expected = JSON.parse(readFileSync(join(EXPECTED_DIR, name.replace(/\.wasm$/, '.json')), 'utf8')) as Expected;
      assert.ok(expected.rows.length > 0, 'expected rows in our own sources');
      const sym = await Symbolizer.fromModule(read(own(name)));
      for (const [address, file, line, column] of expected.rows) {
        const ours = sym.lineAt(address);
        assert.deepEqual(
          ours && [ours.filename, ours.lineno, ours.column ?? 0],
          [file, line, column],
          `row at 0x${address.toString(16)}`,
        );
      }
      assert.deepEqual(sym.warnings, []);
    });
  }
});

describe('line table against live llvm-dwarfdump-14 and llvm-symbolizer-14', () => {
  for (const path of LIVE) {
    test(path.slice(path.lastIndexOf('fixtures')), async (t) => {
      const why = llvmMissing ?? missing(path);
      if (why) return t.skip(why);
      const rows = lookupableRows(dwarfdumpLineRows(path));
      assert.ok(rows.length > 100, `${rows.length} rows`);
      // The file path of a row as LLVM resolves it (comp_dir + include dir + name).
      const files = llvmSymbolize(path, rows.map((r) => r.address), false);
      const sym = await Symbolizer.fromModule(read(path));
      let checked = 0;
      rows.forEach((r, i) => {
        const ours = sym.lineAt(r.address);
        const want = [files[i]![0]?.file, r.line, r.column];
        assert.deepEqual(ours && [ours.filename, ours.lineno, ours.column ?? 0], want, `row at 0x${r.address.toString(16)}`);
        checked++;
      });
      assert.equal(checked, rows.length);
    });
  }
});

describe('line table paths', () => {
  test('a v5 table (.debug_line_str, directory 0 = comp_dir) gives the same paths as v4', async () => {
    const v4 = await Symbolizer.fromModule(read(own('sites.O2.wasm')), { root: OWN_ROOT });
    const v5 = await Symbolizer.fromModule(read(own('sites.v5.wasm')), { root: OWN_ROOT });
    assert.deepEqual(v5.describe().dwarf?.lineTableVersions, [4, 5]); // wasi-libc stays v4
    const files = (s: Symbolizer, codeSize: number): Set<string> => {
      const out = new Set<string>();
      for (let a = 0; a < codeSize; a++) {
        const row = s.lineAt(a);
        if (row && !row.filename.startsWith('/')) out.add(row.filename);
      }
      return out;
    };
    const size = (b: Uint8Array): number => readWasmModule(b).codePayloadSize;
    const f4 = files(v4, size(read(own('sites.O2.wasm'))));
    const f5 = files(v5, size(read(own('sites.v5.wasm'))));
    assert.ok(f4.has('src/sites.c') && f4.has('src/util.h'), [...f4].join(', '));
    assert.ok(f5.has('src/sites.c') && f5.has('src/util.h'), [...f5].join(', '));
  });

  test('relative comp_dir and include directories are joined, then folded', async () => {
    // wasi-libc (Debian) is built with comp_dir "." or "./build" and include dirs like "./libc-bottom-half/crt"
    const bytes = read(own('sites.O2.wasm'));
    const sym = await Symbolizer.fromModule(bytes);
    const seen = new Set<string>();
    for (let a = 0; a < readWasmModule(bytes).codePayloadSize; a++) {
      const row = sym.lineAt(a);
      if (row) seen.add(row.filename);
    }
    assert.ok(seen.has('build/libc-bottom-half/crt/crt1-command.c'), [...seen].join('\n'));
    for (const f of seen) assert.ok(!/(^|\/)\.\.?\//.test(f) && !f.includes('//'), f);
  });
});
