// Small pieces on hand-made input: the section reader, path rules, line programs byte by byte.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LineTable, customSectionString, readNameSection, readWasmModule } from '../../src/symbols/index.js';
import { ByteReader, DecodeError } from '../../src/symbols/byteReader.js';
import { joinPath, normalizePath, normalizeRoot, relativeToRoot } from '../../src/symbols/paths.js';
import { own, read } from './support/fixtures.js';

describe('ByteReader', () => {
  test('LEB128: small, multi-byte, padded, large, signed', () => {
    const r = new ByteReader(new Uint8Array([0x05, 0xe5, 0x8e, 0x26, 0x80, 0x80, 0x00, 0x7f, 0x80, 0x7f,
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]));
    assert.equal(r.uleb(), 5);
    assert.equal(r.uleb(), 624485);
    assert.equal(r.uleb(), 0); // padded zero
    assert.equal(r.sleb(), -1);
    assert.equal(r.sleb(), -128);
    assert.equal(r.uleb(), 2 ** 64 - 1); // rounded, not thrown: DWARF constants can be 64-bit
  });

  test('reads past the end throw DecodeError', () => {
    const r = new ByteReader(new Uint8Array([0x80, 0x80]));
    assert.throws(() => r.uleb(), DecodeError);
    assert.throws(() => new ByteReader(new Uint8Array(2)).u32(), DecodeError);
    assert.throws(() => new ByteReader(new Uint8Array([0x61, 0x62])).cstring(), DecodeError);
  });
});

describe('Wasm section reader', () => {
  test('agrees with the engine on imports and defined functions', () => {
    const bytes = read(own('sites.O2.wasm'));
    const info = readWasmModule(bytes);
    const mod = new WebAssembly.Module(bytes as BufferSource);
    assert.equal(info.functionImportCount, WebAssembly.Module.imports(mod).filter((i) => i.kind === 'function').length);
    assert.deepEqual(info.errors, []);
    assert.ok(info.sections.some((s) => s.name === '.debug_line'));
    // bodies tile the code section: each starts after the previous one's end and its size LEB
    for (let i = 1; i < info.bodies.length; i++) assert.ok(info.bodies[i]!.start > info.bodies[i - 1]!.end);
    assert.ok(info.bodies[info.bodies.length - 1]!.end === info.codePayloadSize);
  });

  test('custom strings and the name section', () => {
    const info = readWasmModule(read(own('sites.sep.wasm')));
    assert.equal(customSectionString(info, 'external_debug_info'), 'sites.sep.debug.wasm');
    const errors: string[] = [];
    // subsection 0 (module name "m"), subsection 1 (two names), subsection 2 (skipped)
    const names = readNameSection(new Uint8Array([0, 2, 1, 0x6d, 1, 8, 2, 0, 1, 0x61, 3, 2, 0x62, 0x63, 2, 1, 0]), errors);
    assert.deepEqual(errors, []);
    assert.equal(names.moduleName, 'm');
    assert.deepEqual([...names.functionNames], [[0, 'a'], [3, 'bc']]);
  });

  test('a truncated name section keeps the names before the damage', () => {
    const errors: string[] = [];
    const names = readNameSection(new Uint8Array([1, 9, 2, 0, 1, 0x61, 3, 2, 0x62]), errors);
    assert.equal(errors.length, 1);
    assert.equal(names.functionNames.size, 0); // the subsection itself is cut: nothing read from it
  });

  test('garbage: errors, no throw', () => {
    assert.ok(readWasmModule(new Uint8Array([0, 0x61, 0x73, 0x6d, 2, 0, 0, 0])).errors[0]!.includes('version'));
    assert.ok(readWasmModule(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 10, 0x80])).errors.length > 0);
  });
});

describe('paths', () => {
  test('joinPath: an absolute part restarts; dots fold', () => {
    assert.equal(joinPath('/build', './libc-bottom-half/crt', 'crt1.c'), '/build/libc-bottom-half/crt/crt1.c');
    assert.equal(joinPath('/build', '/usr/include', 'stdio.h'), '/usr/include/stdio.h');
    assert.equal(joinPath('/build', 'x', '/abs/y.c'), '/abs/y.c');
    assert.equal(joinPath(undefined, './build', 'a/../b.c'), 'build/b.c');
    assert.equal(joinPath('.', '.', 'a.c'), 'a.c');
    assert.equal(joinPath('/a/b', '../../../c.c'), '/c.c');
    assert.equal(joinPath('C:\\proj', 'src\\x.c'), 'C:/proj/src/x.c');
  });

  test('normalizePath keeps leading .. of relative paths and backslashes in POSIX names', () => {
    assert.equal(normalizePath('../x/./y//z'), '../x/y/z');
    assert.equal(normalizePath('/a/b\\c'), '/a/b\\c');
    assert.equal(normalizePath('\\\\srv\\share\\f.c'), '//srv/share/f.c');
  });

  test('relativeToRoot and normalizeRoot', () => {
    assert.equal(relativeToRoot('/wtm/src/a.c', '/wtm'), 'src/a.c');
    assert.equal(relativeToRoot('/wtmx/a.c', '/wtm'), '/wtmx/a.c');
    assert.equal(relativeToRoot('/a.c', '/'), 'a.c');
    assert.equal(normalizeRoot('sub/', '/home/u'), '/home/u/sub');
    assert.equal(normalizeRoot('/', undefined), '/');
    assert.equal(normalizeRoot('', '/x'), undefined);
  });
});

/** Builds a .debug_line unit (DWARF32). */
function lineUnit(version: 4 | 5, header: number[], program: number[]): Uint8Array {
  const params = [1, ...(version >= 4 ? [1] : []), 1, 0xfb /* line_base -5 */, 14, 13, 0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1];
  const afterHeaderLength = [...params, ...header];
  const v5 = version === 5 ? [4, 0] : [];
  const body = [version, 0, ...v5, ...u32(afterHeaderLength.length), ...afterHeaderLength, ...program];
  return new Uint8Array([...u32(body.length), ...body]);
}
const u32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
const str = (s: string): number[] => [...new TextEncoder().encode(s), 0];
const setAddress = (a: number): number[] => [0, 5, 2, ...u32(a)];
const END = [0, 1, 1];
const COPY = 1;
const advancePc = (n: number): number[] => [2, n];
const advanceLine = (n: number): number[] => [3, n & 0x7f];

describe('line programs, byte by byte', () => {
  // v4 header: include_directories ["inc"], files [a.c (dir 0), b.h (dir 1)]
  const v4Header = [...str('inc'), 0, ...str('a.c'), 0, 0, 0, ...str('b.h'), 1, 0, 0, 0];

  test('v4: dir 0 is comp_dir, rows looked up as the last row at or before the address', () => {
    const unit = lineUnit(4, v4Header, [
      ...setAddress(0x10), ...advanceLine(9), COPY, // 0x10 a.c:10
      ...advancePc(4), 4, 2, COPY, // 0x14 b.h:10 (set_file 2)
      COPY, // 0x14 again: the last row at an address wins
      ...advancePc(8), ...END, // end at 0x1c
    ]);
    const t = LineTable.parse({ sections: { line: unit }, compDirs: new Map([[0, '/cd']]) });
    assert.deepEqual(t.warnings, []);
    assert.equal(t.lookup(0x0f), undefined);
    assert.equal(t.lookup(0x10)?.file, '/cd/a.c');
    assert.equal(t.lookup(0x13)?.line, 10);
    assert.equal(t.lookup(0x14)?.file, '/cd/inc/b.h');
    assert.equal(t.lookup(0x1b)?.file, '/cd/inc/b.h');
    assert.equal(t.lookup(0x1c), undefined, 'end_sequence is exclusive');
  });

  test('special opcodes advance address and line together', () => {
    // opcode 13 + (line_delta - line_base) + line_range * addr_delta: +2 lines, +3 bytes → 13 + 7 + 42 = 62
    const unit = lineUnit(4, v4Header, [...setAddress(0x20), COPY, 62, ...advancePc(1), ...END]);
    const t = LineTable.parse({ sections: { line: unit }, compDirs: new Map() });
    assert.deepEqual([t.lookup(0x22)?.line, t.lookup(0x23)?.line], [1, 3]);
    assert.equal(t.lookup(0x23)?.file, 'a.c', 'no comp_dir known: the path stays relative');
  });

  test('DW_LNE_define_file adds a file', () => {
    const unit = lineUnit(4, v4Header, [0, 8, 3, ...str('c.c'), 1, 0, 0, ...setAddress(0x30), 4, 3, COPY, ...advancePc(2), ...END]);
    const t = LineTable.parse({ sections: { line: unit }, compDirs: new Map([[0, '/cd']]) });
    assert.equal(t.lookup(0x30)?.file, '/cd/inc/c.c');
  });

  test('a sequence whose addresses go backwards is dropped with a warning', () => {
    const unit = lineUnit(4, v4Header, [...setAddress(0x40), COPY, ...setAddress(0x38), COPY, ...setAddress(0x48), ...END]);
    const t = LineTable.parse({ sections: { line: unit }, compDirs: new Map() });
    assert.equal(t.lookup(0x40), undefined);
    assert.ok(t.warnings.some((w) => w.includes('out of order')), t.warnings.join());
  });

  test('dead code (address 0 or a tombstone) is dropped silently', () => {
    const unit = lineUnit(4, v4Header, [
      ...setAddress(0), COPY, ...advancePc(8), ...END,
      ...setAddress(0xffffffff), COPY, ...advancePc(8), ...END,
      ...setAddress(0x50), COPY, ...advancePc(8), ...END,
    ]);
    const t = LineTable.parse({ sections: { line: unit }, compDirs: new Map() });
    assert.deepEqual(t.warnings, []);
    assert.equal(t.deadSequences, 2);
    assert.equal(t.lookup(4), undefined);
    assert.equal(t.lookup(0x50)?.line, 1);
  });

  test('an unknown file number drops the sequence, not just the row', () => {
    const unit = lineUnit(4, v4Header, [...setAddress(0x60), COPY, 4, 9, ...advancePc(2), COPY, ...advancePc(2), ...END]);
    const t = LineTable.parse({ sections: { line: unit }, compDirs: new Map() });
    assert.equal(t.lookup(0x60), undefined);
    assert.ok(t.warnings.some((w) => w.includes('unknown file numbers')));
  });

  test('v5: directory and file entry formats, strings in .debug_line_str, dir 0 = comp_dir', () => {
    const lineStr = new Uint8Array([...str('/comp'), ...str('sub'), ...str('x.c')]);
    const header = [
      1, 1, 0x1f, // directory format: DW_LNCT_path, DW_FORM_line_strp
      2, ...u32(0), ...u32(6), // directories: "/comp", "sub"
      3, 1, 0x1f, 2, 0x0b, 5, 0x1e, // file format: path line_strp, directory_index data1, MD5 data16
      2, ...u32(10), 0, ...new Array(16).fill(0), ...u32(10), 1, ...new Array(16).fill(0), // files: x.c (dir 0), x.c (dir 1)
    ];
    const unit = lineUnit(5, header, [...setAddress(0x70), 4, 0, COPY, ...advancePc(2), 4, 1, COPY, ...advancePc(2), ...END]);
    const t = LineTable.parse({ sections: { line: unit, lineStr }, compDirs: new Map([[0, '/ignored']]) });
    assert.deepEqual(t.warnings, []);
    assert.equal(t.lookup(0x70)?.file, '/comp/x.c');
    assert.equal(t.lookup(0x72)?.file, '/comp/sub/x.c');
    assert.equal(t.units[0]!.version, 5);
  });

  test('a unit of an unsupported version is skipped; the next unit is still read', () => {
    const bad = lineUnit(4, v4Header, [...setAddress(0x80), COPY, ...advancePc(2), ...END]);
    bad[4] = 7; // version 7
    const good = lineUnit(4, v4Header, [...setAddress(0x90), COPY, ...advancePc(2), ...END]);
    const t = LineTable.parse({ sections: { line: new Uint8Array([...bad, ...good]) }, compDirs: new Map() });
    assert.equal(t.lookup(0x80), undefined);
    assert.equal(t.lookup(0x90)?.line, 1);
    assert.ok(t.warnings.some((w) => w.includes('unsupported line table version 7')));
  });

  test('rows after the last end_sequence are not used', () => {
    const unit = lineUnit(4, v4Header, [...setAddress(0xa0), COPY, ...advancePc(2), COPY]);
    const t = LineTable.parse({ sections: { line: unit }, compDirs: new Map() });
    assert.equal(t.lookup(0xa0), undefined);
    assert.ok(t.warnings.some((w) => w.includes('no end')));
  });
});
