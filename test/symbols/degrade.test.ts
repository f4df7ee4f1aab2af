// Bad debug information degrades to names with a warning: never a crash, never a wrong line.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LineTable, Symbolizer, type SymbolFrame, customSection, readWasmModule } from '../../src/symbols/index.js';
import { OWN_ROOT, editCustomSections, own, read } from './support/fixtures.js';
import { type CallSite, findCalls } from './support/wasmCalls.js';

const original = read(own('sites.O2.wasm'));
const calls = findCalls(original);

async function framesOf(bytes: Uint8Array): Promise<{ sym: Symbolizer; frames: (readonly SymbolFrame[])[] }> {
  const sym = await Symbolizer.fromModule(bytes, { root: OWN_ROOT });
  return { sym, frames: calls.map((c) => sym.framesForSite(c.funcIndex, c.codeOffset)) };
}

/** Damaged frames must be the intact ones, or names frames (no line claimed). */
function assertNoWrongLine(intact: (readonly SymbolFrame[])[], damaged: (readonly SymbolFrame[])[], what: string): void {
  damaged.forEach((stack, i) => {
    for (const f of stack) {
      if (f.origin === 'names') continue;
      const same = intact[i]!.some((g) => g.origin === f.origin && g.filename === f.filename && g.lineno === f.lineno && g.column === f.column);
      assert.ok(same, `${what}: site ${i} claims ${f.filename}:${f.lineno}, intact ${JSON.stringify(intact[i])}`);
    }
  });
}

function withSection(name: string, edit: (p: Uint8Array) => Uint8Array): Uint8Array {
  return editCustomSections(original, (n, p) => (n === name ? edit(p) : p));
}

const debugLine = customSection(readWasmModule(original), '.debug_line')!;
const lineUnits = LineTable.parse({ sections: { line: debugLine }, compDirs: new Map() }).units;
const sitesUnit = lineUnits.find((u) => Array.from({ length: u.fileCount }, (_, i) => u.file(i)).some((f) => f?.endsWith('src/sites.c')))!;

describe('damaged .debug_line', () => {
  test('truncated inside the unit of sites.c: its sites get names, and a warning says why', async () => {
    const intact = await framesOf(original);
    const cut = withSection('.debug_line', (p) => p.subarray(0, sitesUnit.offset + 60));
    const { sym, frames } = await framesOf(cut);
    assert.ok(sym.warnings.some((w) => w.startsWith(`.debug_line unit at 0x${sitesUnit.offset.toString(16)}:`) && w.includes('truncated')), sym.warnings.join('\n'));
    assertNoWrongLine(intact.frames, frames, 'cut');
    const inMain = calls
      .map((c, i) => [c, frames[i]!] as [CallSite, readonly SymbolFrame[]])
      .filter(([c]) => sym.functionName(c.funcIndex) === '__original_main'); // wasi-libc's name for main(void)
    assert.ok(inMain.length > 0);
    for (const [c, stack] of inMain) {
      // .debug_info is intact: the functions (inlined ones too) are still named
      assert.equal(stack[0]!.origin, 'names');
      assert.equal(stack[0]!.lineno, sym.codeSectionOffset + c.codeOffset);
      assert.equal(stack[stack.length - 1]!.functionName, 'main');
    }
  });

  test('every truncation point: no throw, no wrong line', async () => {
    const intact = await framesOf(original);
    const points = new Set<number>();
    for (let n = 0; n <= debugLine.length; n += Math.ceil(debugLine.length / 40)) points.add(n);
    for (const u of lineUnits) for (const d of [-1, 0, 1, 4, 30]) points.add(Math.max(0, u.offset + d));
    for (const n of points) {
      const { sym, frames } = await framesOf(withSection('.debug_line', (p) => p.subarray(0, n)));
      assertNoWrongLine(intact.frames, frames, `cut at ${n}`);
      sym.describe();
    }
  });

  test('an unknown version: that unit is skipped with a warning, the others still give lines', async () => {
    const intact = await framesOf(original);
    const patched = withSection('.debug_line', (p) => {
      const q = p.slice();
      new DataView(q.buffer).setUint16(sitesUnit.offset + 4, 9, true);
      return q;
    });
    const { sym, frames } = await framesOf(patched);
    assert.ok(sym.warnings.some((w) => w.includes('unsupported line table version 9')), sym.warnings.join('\n'));
    assertNoWrongLine(intact.frames, frames, 'version 9');
    const dlmalloc = calls.findIndex((c) => sym.functionName(c.funcIndex) === 'dlmalloc');
    assert.equal(frames[dlmalloc]![0]!.origin, 'dwarf', 'libc units are untouched');
  });

  test('sequences moved past the end of the code are dropped, not guessed', async () => {
    const intact = await framesOf(original);
    // every DW_LNE_set_address (00 05 02 a0 a1 a2 a3) in the sites.c unit now points 1 byte back
    const patched = withSection('.debug_line', (p) => {
      const q = p.slice();
      const end = sitesUnit.offset + 4 + new DataView(q.buffer).getUint32(sitesUnit.offset, true);
      for (let i = sitesUnit.offset; i + 7 <= end; i++) {
        if (q[i] === 0 && q[i + 1] === 5 && q[i + 2] === 2) {
          const dv = new DataView(q.buffer, i + 3, 4);
          dv.setUint32(0, dv.getUint32(0, true) + 0x10000, true); // far past the code: dead, dropped
        }
      }
      return q;
    });
    const { frames } = await framesOf(patched);
    assertNoWrongLine(intact.frames, frames, 'moved sequences');
  });
});

describe('damaged .debug_info, .debug_abbrev, .debug_str', () => {
  for (const name of ['.debug_info', '.debug_abbrev', '.debug_str', '.debug_ranges']) {
    test(`${name} truncated anywhere: no throw; lines stay, names may go`, async () => {
      const intact = await framesOf(original);
      const size = customSection(readWasmModule(original), name)!.length;
      for (let n = 0; n < size; n += Math.ceil(size / 25)) {
        const { sym, frames } = await framesOf(withSection(name, (p) => p.subarray(0, n)));
        sym.describe();
        frames.forEach((stack, i) => {
          // the innermost location comes from .debug_line alone: it must be unchanged
          const f = stack[0]!;
          const g = intact.frames[i]![0]!;
          if (f.origin === 'dwarf') {
            assert.deepEqual([f.lineno, f.column], [g.lineno, g.column], `${name} cut at ${n}, site ${i}`);
            assert.ok(g.filename.endsWith(f.filename), `${g.filename} vs ${f.filename}`); // comp_dir may be lost
          }
        });
      }
    });
  }
});

describe('random damage', () => {
  test('bit flips in debug sections and names never throw', async () => {
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const names = ['.debug_line', '.debug_info', '.debug_abbrev', '.debug_str', '.debug_ranges', 'name'];
    for (let i = 0; i < 120; i++) {
      const target = names[i % names.length]!;
      const damaged = withSection(target, (p) => {
        const q = p.slice();
        for (let k = 0; k < 4; k++) q[rand(q.length)] ^= 1 << rand(8);
        return q;
      });
      const { sym } = await framesOf(damaged);
      sym.describe();
      void sym.warnings;
    }
  });

  test('not a module, or a truncated module: names frames and a warning', async () => {
    for (const bytes of [new Uint8Array([1, 2, 3]), original.subarray(0, 5000), original.subarray(0, original.length - 7)]) {
      const sym = await Symbolizer.fromModule(bytes);
      assert.ok(sym.warnings.length > 0);
      const f = sym.framesForSite(5, 100);
      assert.equal(f.length >= 1, true);
    }
  });
});
