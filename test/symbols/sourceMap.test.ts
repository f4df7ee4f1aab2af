// Source maps (Emscripten -gsource-map): module offsets, discovery, agreement with DWARF.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { Symbolizer, WasmSourceMap } from '../../src/symbols/index.js';
import { OWN, OWN_ROOT, markers, missing, own, read, shared, stripDwarf } from './support/fixtures.js';
import { findCalls } from './support/wasmCalls.js';

describe('source map of sites.em.wasm (written by Emscripten\'s wasm-sourcemap.py from its DWARF)', () => {
  test('for every call, the map gives the line and column DWARF gives', async () => {
    // Same module, same code: DWARF is looked up by code offset, the map by module offset.
    const bytes = read(own('sites.em.wasm'));
    const dwarf = await Symbolizer.fromModule(bytes, { root: OWN_ROOT });
    const mapped = await Symbolizer.fromModule(stripDwarf(bytes), { sourceMap: own('sites.em.wasm.map'), root: OWN });
    assert.equal(mapped.describe().dwarf, null);
    let compared = 0;
    for (const c of findCalls(bytes)) {
      const d = dwarf.framesForSite(c.funcIndex, c.codeOffset)[0]!;
      const m = mapped.framesForSite(c.funcIndex, c.codeOffset);
      assert.equal(m.length, 1);
      if (d.origin !== 'dwarf') {
        assert.equal(m[0]!.origin, 'names', `call at 0x${c.codeOffset.toString(16)}: no line in DWARF, none in the map`);
        continue;
      }
      assert.equal(m[0]!.origin, 'sourcemap');
      assert.deepEqual([m[0]!.lineno, m[0]!.column], [d.lineno, d.column], `call at 0x${c.codeOffset.toString(16)}`);
      if (d.filename.startsWith('src/')) assert.equal(m[0]!.filename, d.filename); // map sources are relative to the map
      compared++;
    }
    assert.ok(compared > 30, `${compared} calls compared`);
  });

  test('looking up a code offset as if it were a module offset would give other lines', async () => {
    const bytes = stripDwarf(read(own('sites.em.wasm')));
    const sym = await Symbolizer.fromModule(bytes, { sourceMap: own('sites.em.wasm.map') });
    const calls = findCalls(bytes);
    const differ = calls.filter((c) => {
      const right = sym.sourceMapAt(sym.codeSectionOffset + c.codeOffset);
      const wrong = sym.sourceMapAt(c.codeOffset);
      return JSON.stringify(right) !== JSON.stringify(wrong);
    });
    assert.ok(differ.length > calls.length / 2, 'the coordinate matters, so the test above means something');
  });
});

describe('source map discovery', () => {
  test('sourceMappingURL beside the module (modulePath): found and used', async () => {
    const sym = await Symbolizer.fromFile(own('sites.sm.wasm'), { root: OWN });
    const d = sym.describe();
    assert.equal(d.sourceMappingURL, 'sites.sm.wasm.map');
    assert.ok(d.sourceMap?.file?.endsWith('sites.sm.wasm.map'));
    assert.match(d.summary, /no DWARF; name section: \d+ functions; source map: \d+ sources/);
    const bytes = read(own('sites.sm.wasm'));
    const lines = new Set<number>();
    for (const c of findCalls(bytes)) {
      const f = sym.framesForSite(c.funcIndex, c.codeOffset)[0]!;
      if (f.origin === 'sourcemap' && f.filename === 'src/sites.c') lines.add(f.lineno);
    }
    // Binaryen inlined more in this build (make_table and calloc are gone) and a source map has no
    // inlining records, so only the sites that stayed calls are expected on their lines.
    const push = markers(own('src/sites.c')).get('push')!;
    const copy = markers(own('src/sites.c'), 'CALL').get('copy_text_main')!;
    assert.ok(lines.has(push) && lines.has(copy), `lines ${[...lines].join(', ')} include ${push} and ${copy}`);
  });

  test('without modulePath, the module\'s sourceMappingURL is reported, not guessed', async () => {
    const sym = await Symbolizer.fromModule(read(own('sites.sm.wasm')));
    assert.equal(sym.describe().sourceMap, null);
    assert.ok(sym.warnings.some((w) => w.includes("'sites.sm.wasm.map'") && w.includes('sourceMap')), sym.warnings.join('\n'));
  });

  test('sourceMap: false turns discovery off; a parsed map object is accepted', async () => {
    const off = await Symbolizer.fromFile(own('sites.sm.wasm'), { sourceMap: false });
    assert.equal(off.describe().sourceMap, null);
    const json = JSON.parse(readFileSync(own('sites.sm.wasm.map'), 'utf8'));
    const obj = await Symbolizer.fromModule(read(own('sites.sm.wasm')), { sourceMap: json });
    assert.equal(obj.describe().sourceMap?.sources, json.sources.length);
  });

  test('a broken map: a warning, names frames', async () => {
    const sym = await Symbolizer.fromModule(read(own('sites.sm.wasm')), { sourceMap: { version: 3, sources: ['a.c'], mappings: '!!!' } });
    assert.ok(sym.warnings.some((w) => w.startsWith('source map')), sym.warnings.join('\n'));
    const [c] = findCalls(read(own('sites.sm.wasm')));
    assert.equal(sym.framesForSite(c!.funcIndex, c!.codeOffset)[0]!.origin, 'names');
  });

  test('shared fixture: AssemblyScript module with its .map', async (t) => {
    const path = shared('assemblyscript/alloc_as.wasm');
    const why = missing(path) ?? missing(`${path}.map`);
    if (why) return t.skip(why);
    const sym = await Symbolizer.fromFile(path);
    const frames = findCalls(read(path)).map((c) => sym.framesForSite(c.funcIndex, c.codeOffset)[0]!);
    assert.ok(frames.some((f) => f.origin === 'sourcemap' && f.filename.endsWith('.ts')), sym.describe().summary);
  });
});

describe('WasmSourceMap', () => {
  test('the last mapping at an offset wins; a mapping without source ends the previous one', async () => {
    // generated columns 10, 10, 20 (no source), 30 — VLQ: "UAAA" = [10,0,0,0], "AAEA" = [0,0,2,0], "U" = [10], "UACA" = [10,0,1,0]
    const map = await WasmSourceMap.load({ version: 3, sources: ['x.c'], mappings: 'UAAA,AAEA,U,UACA' }, '/src');
    assert.deepEqual(map.lookup(10, 0), { source: '/src/x.c', line: 3, column: 1 });
    assert.deepEqual(map.lookup(15, 0), { source: '/src/x.c', line: 3, column: 1 });
    assert.equal(map.lookup(25, 0), undefined);
    assert.deepEqual(map.lookup(31, 0), { source: '/src/x.c', line: 4, column: 1 });
    assert.equal(map.lookup(5, 0), undefined);
    assert.equal(map.lookup(15, 12), undefined, 'a mapping below the lower bound (another function) is not used');
  });

  test('sources: file:// URLs become paths, URLs with another scheme are kept', async () => {
    const map = await WasmSourceMap.load({ version: 3, sources: ['file:///a/b%20c.c', 'webpack://x/y.c', '../z.c'], mappings: 'AAAA,CCAA,CCAA' }, '/m/n');
    assert.deepEqual(map.sources, ['/a/b c.c', 'webpack://x/y.c', '/m/z.c']);
  });

  test("sourceRoot applies, except in asc's maps, whose sources stay as asc named them", async () => {
    const c = await WasmSourceMap.load({ version: 3, sourceRoot: 'src', sources: ['a.c'], mappings: 'AAAA' }, '/m');
    assert.deepEqual(c.sources, ['/m/src/a.c']);
    // What asc writes for `asc assembly/index.ts -o build/release.wasm --sourceMap`, run in the
    // project: sources relative to the project, sourceRoot a devtools folder named after the output.
    const asc = {
      version: 3, sourceRoot: './release', sources: ['assembly/index.ts', '~lib/rt/itcms.ts'], mappings: 'AAAA,CCAA',
      sourcesContent: ['export function f(): void {}', ''],
    };
    assert.deepEqual((await WasmSourceMap.load(asc, '/proj/build')).sources, ['assembly/index.ts', '~lib/rt/itcms.ts']);
    assert.deepEqual((await WasmSourceMap.load(JSON.stringify(asc))).sources, ['assembly/index.ts', '~lib/rt/itcms.ts']);
  });
});
