// The Symbolizer API: separate debug files, root, caching, describe(), unknown offsets.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Symbolizer, UNKNOWN_CODE_OFFSET } from '../../src/symbols/index.js';
import { OWN_ROOT, own, read } from './support/fixtures.js';
import { findCalls } from './support/wasmCalls.js';

describe('separate DWARF (-gseparate-dwarf)', () => {
  test('found beside the module through external_debug_info, frames as from the debug file itself', async () => {
    const main = await Symbolizer.fromFile(own('sites.sep.wasm'), { root: OWN_ROOT });
    const direct = await Symbolizer.fromFile(own('sites.sep.debug.wasm'), { root: OWN_ROOT });
    const d = main.describe();
    assert.equal(d.externalDebugInfo, 'sites.sep.debug.wasm');
    assert.equal(d.dwarf?.source, 'external');
    assert.ok(d.dwarf?.file?.endsWith('sites.sep.debug.wasm'));
    const calls = findCalls(read(own('sites.sep.wasm')));
    assert.ok(calls.length > 10);
    let withLines = 0;
    for (const c of calls) {
      const frames = main.framesForSite(c.funcIndex, c.codeOffset);
      // names frames carry module offsets, and the two files place their code sections differently
      const moduleOffsetFree = (fs: readonly { origin: string; lineno: number }[], codeStart: number) =>
        fs.map((f) => (f.origin === 'names' ? { ...f, lineno: f.lineno - codeStart } : f));
      assert.deepEqual(
        moduleOffsetFree(frames, main.codeSectionOffset),
        moduleOffsetFree(direct.framesForSite(c.funcIndex, c.codeOffset), direct.codeSectionOffset),
      );
      if (frames[0]!.origin === 'dwarf') withLines++;
    }
    assert.ok(withLines > calls.length * 0.8);
    assert.deepEqual(main.warnings, []);
  });

  test('given as bytes (debugFile)', async () => {
    const sym = await Symbolizer.fromModule(read(own('sites.sep.wasm')), { debugFile: read(own('sites.sep.debug.wasm')), root: OWN_ROOT });
    assert.equal(sym.describe().dwarf?.source, 'external');
    const c = findCalls(read(own('sites.sep.wasm'))).find((x) => sym.functionName(x.funcIndex) === 'make_table')!;
    assert.equal(sym.framesForSite(c.funcIndex, c.codeOffset)[0]!.filename, 'src/sites.c');
  });

  test('without modulePath or debugFile: a warning names the file, frames fall back to names', async () => {
    const bytes = read(own('sites.sep.wasm'));
    const sym = await Symbolizer.fromModule(bytes);
    assert.ok(sym.warnings.some((w) => w.includes("'sites.sep.debug.wasm'") && w.includes('debugFile')), sym.warnings.join('\n'));
    const c = findCalls(bytes)[0]!;
    assert.equal(sym.framesForSite(c.funcIndex, c.codeOffset)[0]!.origin, 'names');
  });

  test('a debug file of another build is refused: its addresses would give wrong lines', async () => {
    const sym = await Symbolizer.fromModule(read(own('sites.sep.wasm')), { debugFile: read(own('sites.O2.wasm')) });
    assert.ok(sym.warnings.some((w) => w.includes('does not match the module')), sym.warnings.join('\n'));
    assert.equal(sym.describe().dwarf, null);
  });

  test('a missing debug file: a warning', async () => {
    const sym = await Symbolizer.fromModule(read(own('sites.sep.wasm')), { debugFile: own('nope.debug.wasm') });
    assert.ok(sym.warnings.some((w) => w.includes('nope.debug.wasm') && w.includes('not found')), sym.warnings.join('\n'));
  });
});

describe('root', () => {
  const site = async (root: string | undefined): Promise<string> => {
    const bytes = read(own('sites.O2.wasm'));
    const sym = await Symbolizer.fromModule(bytes, root === undefined ? {} : { root });
    const c = findCalls(bytes).find((x) => sym.functionName(x.funcIndex) === 'make_table' && sym.functionName(x.callee) === 'calloc')!;
    return sym.framesForSite(c.funcIndex, c.codeOffset)[0]!.filename;
  };

  test('paths under root are relative to it; without root they are absolute as DWARF gives them', async () => {
    assert.equal(await site(undefined), '/wtm/src/sites.c');
    assert.equal(await site('/wtm'), 'src/sites.c');
    assert.equal(await site('/wtm/'), 'src/sites.c');
    assert.equal(await site('/wtm/src/../src'), 'sites.c');
  });

  test('paths outside root stay absolute; a root that is a mere prefix of a name does not cut it', async () => {
    assert.equal(await site('/elsewhere'), '/wtm/src/sites.c');
    assert.equal(await site('/wt'), '/wtm/src/sites.c');
  });
});

describe('caching and lookups', () => {
  test('framesForSite returns the same frozen array for the same site', async () => {
    const bytes = read(own('sites.O2.wasm'));
    const sym = await Symbolizer.fromModule(bytes);
    const c = findCalls(bytes)[3]!;
    const a = sym.framesForSite(c.funcIndex, c.codeOffset);
    assert.equal(sym.framesForSite(c.funcIndex, c.codeOffset), a);
    assert.ok(Object.isFrozen(a) && Object.isFrozen(a[0]));
  });

  test('an unknown code offset (0xffffffff in the site table): the function, line 0', async () => {
    const sym = await Symbolizer.fromModule(read(own('sites.O2.wasm')));
    const make = Array.from({ length: 40 }, (_, i) => i).find((i) => sym.functionName(i) === 'make_table')!;
    assert.deepEqual(sym.framesForSite(make, UNKNOWN_CODE_OFFSET), [
      { filename: 'make_table', lineno: 0, functionName: 'make_table', origin: 'names' },
    ]);
  });

  test('a code offset outside the named function: symbolized by offset, with a warning', async () => {
    const bytes = read(own('sites.O2.wasm'));
    const sym = await Symbolizer.fromModule(bytes);
    const c = findCalls(bytes).find((x) => sym.functionName(x.funcIndex) === 'make_table')!;
    const frames = sym.framesForSite(c.funcIndex + 1, c.codeOffset);
    assert.equal(frames[0]!.functionName, 'make_table'); // DWARF knows the code at that offset
    assert.ok(sym.warnings.some((w) => w.includes(`function ${c.funcIndex + 1}`) && w.includes(`lies in function ${c.funcIndex}`)), sym.warnings.join('\n'));
  });
});

describe('describe()', () => {
  test('DWARF 4 module with names', async () => {
    const d = (await Symbolizer.fromModule(read(own('sites.O2.wasm')))).describe();
    assert.equal(d.dwarf?.source, 'embedded');
    assert.deepEqual(d.dwarf?.lineTableVersions, [4]);
    assert.deepEqual(d.dwarf?.unitVersions, [4]);
    assert.ok(d.dwarf!.units > 5 && d.dwarf!.lineRows > 1000);
    assert.ok(d.names!.functions > 10);
    assert.equal(d.sourceMap, null);
    assert.match(d.summary, /^DWARF 4, \d+ units, \d+ line rows \(embedded\); name section: \d+ functions; no source map$/);
  });

  test('DWARF 5 units are reported', async () => {
    const d = (await Symbolizer.fromModule(read(own('sites.v5.wasm')))).describe();
    assert.deepEqual(d.dwarf?.unitVersions, [4, 5]);
    assert.match(d.summary, /^DWARF 4\/5/);
  });
});
