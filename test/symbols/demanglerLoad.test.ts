// The demangler (gecko-profiler-demangle, a 0.5 MB Wasm; in a page, a fetch) is loaded only for a
// module that may hold a mangled name: one in its name section, or DWARF with linkage names (the
// only DWARF names the symbolizer demangles). A C module needs neither. Checked with a loader
// that counts its calls and marks the names it demangles.
// (node --test runs each file in its own process: the loader set here leaves no trace elsewhere.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Symbolizer, setDemanglerLoader, type Demangler } from '../../src/symbols/index.js';
import { abbrevsHaveLinkageNames } from '../../src/symbols/dwarf/info.js';
import { customSection, readWasmModule } from '../../src/symbols/wasmModule.js';
import { stripDwarf } from './support/fixtures.js';

let loads = 0;
const marking: Demangler = (name) => (name.startsWith('_Z') || name.startsWith('_R') ? `demangled:${name}` : name);

/** A fresh Symbolizer of `bytes` with the counting loader; returns how many times it loaded. */
async function loadsFor(bytes: Uint8Array): Promise<{ loads: number; symbolizer: Symbolizer }> {
  setDemanglerLoader(async () => {
    loads++;
    return marking;
  });
  const before = loads;
  const symbolizer = await Symbolizer.fromModule(bytes);
  return { loads: loads - before, symbolizer };
}

test('a C module (DWARF, name section) does not load the demangler', async () => {
  const { loads: n } = await loadsFor(new Uint8Array(readFileSync('fixtures/wasi/alloc_basic.wasm')));
  assert.equal(n, 0);
});

test('a C++ module with DWARF loads it (its DWARF has linkage names)', async () => {
  const { loads: n } = await loadsFor(new Uint8Array(readFileSync('fixtures/wasi/containers.wasm')));
  assert.equal(n, 1);
});

test('a Rust module without DWARF loads it for its mangled name section, and uses it', async () => {
  const bytes = stripDwarf(new Uint8Array(readFileSync('fixtures/rust/alloc_rust.wasm')));
  const { loads: n, symbolizer } = await loadsFor(bytes);
  assert.equal(n, 1);
  const names = Array.from({ length: 400 }, (_, i) => symbolizer.functionName(i)).filter((s) => s.startsWith('demangled:'));
  assert.ok(names.length > 0, 'some function names went through the demangler');
});

test('abbrevsHaveLinkageNames: true for C++ DWARF, false for C, true (to be safe) for a malformed section', () => {
  const abbrevOf = (path: string): Uint8Array => customSection(readWasmModule(new Uint8Array(readFileSync(path))), '.debug_abbrev')!;
  assert.equal(abbrevsHaveLinkageNames(abbrevOf('fixtures/wasi/containers.wasm')), true);
  assert.equal(abbrevsHaveLinkageNames(abbrevOf('fixtures/wasi/alloc_basic.wasm')), false);
  assert.equal(abbrevsHaveLinkageNames(Uint8Array.of(1, 0x11, 1, 0x6e)), true, 'truncated');
});
