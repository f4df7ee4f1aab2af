// Names: the name section, demangling (C++ Itanium, Rust legacy and v0), stripped builds.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Symbolizer, guardedDemangler, loadDemangler, looksMangled } from '../../src/symbols/index.js';
import { missing, own, read, shared, stripAll, stripDwarf } from './support/fixtures.js';
import { findCalls } from './support/wasmCalls.js';

describe('demangling', () => {
  const cases: [string, string][] = [
    ['_ZNSt3__26vectorIiNS_9allocatorIiEEE9push_backERKi', 'std::__2::vector<int, std::__2::allocator<int> >::push_back(int const&)'],
    ['_Znwm', 'operator new(unsigned long)'],
    ['_ZdlPv', 'operator delete(void*)'],
    ['_ZN3geo5labelEi', 'geo::label(int)'],
    ['_ZN3geo4PolyIiE3addEi', 'geo::Poly<int>::add(int)'],
    // Rust legacy: the ::h<hash> suffix is dropped, so a rebuild keeps the same key
    ['_ZN5alloc7raw_vec11finish_grow17h6b7ec2d3b1a1d1f2E', 'alloc::raw_vec::finish_grow'],
    ['_ZN4core3ptr85drop_in_place$LT$std..rt..lang_start$LT$$LP$$RP$$GT$..$u7b$$u7b$closure$u7d$$u7d$$GT$17h0123456789abcdefE',
      'core::ptr::drop_in_place<std::rt::lang_start<()>::{{closure}}>'],
    // Rust v0
    ['_RNvCs1234_5names11make_buffer', 'names::make_buffer'],
    ['_RINvNtCs247YrygNUAC_4core3cmp6max_byjNvYjNtB2_3Ord3cmpECsi7GFBnvyxwE_1r', 'core::cmp::max_by::<usize, <usize as core::cmp::Ord>::cmp>'],
  ];
  for (const [mangled, want] of cases) {
    test(mangled, async () => {
      const demangle = await loadDemangler();
      assert.equal(demangle.error, undefined);
      assert.equal(demangle(mangled), want);
    });
  }

  test('names that are not mangled are left alone (demangle_any would strip an underscore)', async () => {
    const demangle = await loadDemangler();
    for (const n of ['malloc', '__original_main', '_start', '__rust_alloc', 'main', '_ZN', '_Rfoo', 'wasm-function[3]']) {
      assert.equal(demangle(n), n);
    }
  });

  test('guardedDemangler: a throwing or prefix-eating demangler leaves the name as is', () => {
    assert.equal(guardedDemangler(() => { throw new Error('x'); })('_Z3foov'), '_Z3foov');
    assert.equal(guardedDemangler((n) => n.slice(1))('_Z3foov'), '_Z3foov');
    assert.equal(guardedDemangler(() => 'f<>(void*, )')('_Z1fIJEEvPv'), 'f<>(void*)');
    assert.equal(looksMangled('_ZN4core3fmt5write17h0123456789abcdefE'), true);
    assert.equal(looksMangled('_RNvCs1_1a1b'), true);
    assert.equal(looksMangled('malloc'), false);
  });
});

describe('C++ names', () => {
  test('DWARF frames name methods, templates and libc++ as a debugger does', async () => {
    const bytes = read(own('shapes.wasm'));
    const sym = await Symbolizer.fromModule(bytes);
    const names = new Set(findCalls(bytes).flatMap((c) => sym.framesForSite(c.funcIndex, c.codeOffset).map((f) => f.functionName)));
    for (const n of [
      'geo::Poly<int>::add(int)',
      'geo::label(int)',
      'std::__2::vector<int, std::__2::allocator<int> >::push_back(int const&)',
      'main',
    ]) {
      assert.ok(names.has(n), `${n} among ${[...names].filter((x) => x.includes(n.slice(0, 8))).join(' | ')}`);
    }
  });

  test('name-section names are demangled', async () => {
    const sym = await Symbolizer.fromModule(read(own('shapes.wasm')));
    const all = Array.from({ length: 200 }, (_, i) => sym.functionName(i));
    assert.ok(all.includes('operator new(unsigned long)'), 'operator new');
    assert.ok(all.includes('geo::Poly<int>::add(int)'), 'geo::Poly<int>::add(int)');
    assert.ok(!all.some((n) => n.startsWith('_Z')), all.filter((n) => n.startsWith('_Z')).join(', '));
  });

  test('shared fixture containers.wasm: std::vector and std::map frames', async (t) => {
    const path = shared('wasi/containers.wasm');
    const why = missing(path);
    if (why) return t.skip(why);
    const bytes = read(path);
    const sym = await Symbolizer.fromModule(bytes);
    const names = findCalls(bytes).flatMap((c) => sym.framesForSite(c.funcIndex, c.codeOffset).map((f) => f.functionName));
    assert.ok(names.some((n) => /^std::__2::vector<int, std::__2::allocator<int> >::push_back\(/.test(n)), 'vector<int>::push_back');
    assert.ok(names.some((n) => /^std::__2::map<.*>::operator\[\]\(int const&\)$/.test(n)), 'map::operator[]');
  });
});

describe('Rust names', () => {
  test('name section: v0 and legacy symbols demangled, without hashes', async () => {
    const sym = await Symbolizer.fromModule(read(own('names.rust.wasm')));
    const all = Array.from({ length: 300 }, (_, i) => sym.functionName(i));
    for (const n of ['names::make_buffer', '<names::Registry>::insert_named', 'names::main', 'alloc::raw_vec::finish_grow']) {
      assert.ok(all.includes(n), n);
    }
    assert.ok(!all.some((n) => /::h[0-9a-f]{16}$|^_[RZ]/.test(n)), all.filter((n) => /::h[0-9a-f]{16}$|^_[RZ]/.test(n)).join(', '));
  });

  test('shared fixture alloc_rust.wasm: DWARF frames carry demangled, hash-free names', async (t) => {
    const path = shared('rust/alloc_rust.wasm');
    const why = missing(path);
    if (why) return t.skip(why);
    const bytes = read(path);
    const sym = await Symbolizer.fromModule(bytes);
    const frames = findCalls(bytes).flatMap((c) => sym.framesForSite(c.funcIndex, c.codeOffset));
    assert.ok(frames.some((f) => f.functionName.startsWith('alloc_rust::') && f.filename.endsWith('.rs')));
    assert.ok(frames.some((f) => f.functionName === 'alloc::raw_vec::finish_grow'));
    assert.ok(!frames.some((f) => /::h[0-9a-f]{16}|\$LT\$|^_ZN/.test(f.functionName)));
  });
});

describe('builds without line information', () => {
  test('stripped: wasm-function[N] with the call\'s module offset, every site distinct', async () => {
    const bytes = stripAll(read(own('sites.O2.wasm')));
    const sym = await Symbolizer.fromModule(bytes);
    assert.match(sym.describe().summary, /no DWARF; no name section; no source map/);
    const keys = new Set<string>();
    for (const c of findCalls(bytes)) {
      const frames = sym.framesForSite(c.funcIndex, c.codeOffset);
      assert.deepEqual(frames, [{
        filename: `wasm-function[${c.funcIndex}]`,
        lineno: sym.codeSectionOffset + c.codeOffset,
        functionName: `wasm-function[${c.funcIndex}]`,
        origin: 'names',
      }]);
      keys.add(`${frames[0]!.filename}:${frames[0]!.lineno}`);
    }
    assert.equal(keys.size, findCalls(bytes).length);
  });

  test('names only: the function name with the module offset (as browsers show wasm frames)', async () => {
    const bytes = stripDwarf(read(own('sites.O2.wasm')));
    const sym = await Symbolizer.fromModule(bytes);
    const calls = findCalls(bytes).filter((c) => sym.functionName(c.funcIndex) === 'make_table');
    assert.ok(calls.length > 0);
    for (const c of calls) {
      assert.deepEqual(sym.framesForSite(c.funcIndex, c.codeOffset), [
        { filename: 'make_table', lineno: sym.codeSectionOffset + c.codeOffset, functionName: 'make_table', origin: 'names' },
      ]);
    }
  });

  test('module offsets of names frames are the offsets V8 prints in wasm stack frames', async () => {
    // (module (import "env" "f" (func)) (func (export "run") nop nop (call 0)))
    const bytes = new Uint8Array([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
      0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type: () -> ()
      0x02, 0x09, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x01, 0x66, 0x00, 0x00, // import env.f
      0x03, 0x02, 0x01, 0x00, // function 1: type 0
      0x07, 0x07, 0x01, 0x03, 0x72, 0x75, 0x6e, 0x00, 0x01, // export "run"
      0x0a, 0x08, 0x01, 0x06, 0x00, 0x01, 0x01, 0x10, 0x00, 0x0b, // code: nop nop call 0
    ]);
    const { instance } = await WebAssembly.instantiate(bytes, { env: { f: () => { throw new Error('here'); } } });
    let stack = '';
    try {
      (instance.exports.run as () => void)();
    } catch (e) {
      stack = (e as Error).stack ?? '';
    }
    const v8 = /wasm-function\[1\]:0x([0-9a-f]+)/.exec(stack);
    assert.ok(v8, stack);
    const [call] = findCalls(bytes);
    const sym = await Symbolizer.fromModule(bytes);
    assert.deepEqual(sym.framesForSite(call!.funcIndex, call!.codeOffset), [
      { filename: 'wasm-function[1]', lineno: parseInt(v8[1]!, 16), functionName: 'wasm-function[1]', origin: 'names' },
    ]);
  });
});
