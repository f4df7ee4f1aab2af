// A real program built by others: web-tree-sitter's debug/ build (Emscripten, with a name
// section, DWARF and a source map). Every call instruction's frames must equal llvm-symbolizer's.
// Two flaws of that build are met on the way: its sourceMappingURL names '.tree-sitter.wasm.map'
// (the map is 'tree-sitter.wasm.map' beside it), and the map refers to a source index past its
// list; nine DWARF line sequences end at 0xffffe7d1/2, far past the code.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Symbolizer } from '../../src/symbols/index.js';
import { stackDifference } from './support/compare.js';
import { SYMBOLIZER, haveTool, llvmSymbolize } from './support/llvm.js';
import { findCalls } from './support/wasmCalls.js';

// The package's exports map hides its files from resolution; it is a devDependency at a fixed place.
const WASM = join('node_modules', 'web-tree-sitter', 'debug', 'tree-sitter.wasm');

test('web-tree-sitter debug build: DWARF and names are used; the broken source map is refused with a warning', async () => {
  const sym = await Symbolizer.fromModule(readFileSync(WASM), { modulePath: WASM });
  const d = sym.describe();
  assert.ok(d.dwarf !== null && d.dwarf.units > 10, d.summary);
  assert.ok(d.names !== null && d.names.functions > 100, d.summary);
  assert.equal(d.sourceMappingURL, '.tree-sitter.wasm.map');
  // The named file is missing, so the map beside the module is read, and refused: never a wrong line.
  assert.ok(sym.warnings.some((w) => /source map .*debug\/tree-sitter\.wasm\.map: .*not used/.test(w)), sym.warnings.join('\n'));
});

test('web-tree-sitter debug build: the line of every call site equals llvm-symbolizer-14\'s', async (t) => {
  if (!haveTool(SYMBOLIZER)) return t.skip(`${SYMBOLIZER} not installed (Debian llvm-14)`);
  const bytes = readFileSync(WASM);
  const calls = findCalls(bytes);
  assert.ok(calls.length > 10000, `${calls.length} calls`);
  const llvm = llvmSymbolize(WASM, calls.map((c) => c.codeOffset), false);
  const sym = await Symbolizer.fromModule(bytes, { sourceMap: false });
  let withLines = 0;
  calls.forEach((c, i) => {
    const ours = sym.lineAt(c.codeOffset);
    const theirs = llvm[i]![0];
    if (theirs === undefined || theirs.line === 0) {
      assert.equal(ours?.lineno ?? 0, 0, `call at 0x${c.codeOffset.toString(16)}: LLVM has no line, we have ${JSON.stringify(ours)}`);
      return;
    }
    assert.deepEqual([ours?.filename, ours?.lineno], [theirs.file, theirs.line], `call at 0x${c.codeOffset.toString(16)}`);
    withLines++;
  });
  assert.ok(withLines > calls.length * 0.9, `${withLines} of ${calls.length} calls have DWARF lines`);
  assert.deepEqual(sym.warnings, ['.debug_line: 9 sequence(s) end past the code; ended with their function']);
});

test(
  'web-tree-sitter debug build: inlined frames of every call site equal llvm-symbolizer-14 --inlining',
  async (t) => {
    if (!haveTool(SYMBOLIZER)) return t.skip(`${SYMBOLIZER} not installed (Debian llvm-14)`);
    const bytes = readFileSync(WASM);
    const calls = findCalls(bytes);
    const llvm = llvmSymbolize(WASM, calls.map((c) => c.codeOffset), true);
    const sym = await Symbolizer.fromModule(bytes, { sourceMap: false });
    const differing = calls.filter((c, i) => stackDifference(sym.framesForSite(c.funcIndex, c.codeOffset), llvm[i]!) !== undefined);
    assert.equal(differing.length, 0, `${differing.length} of ${calls.length} stacks differ, first at 0x${differing[0]?.codeOffset.toString(16)}`);
  },
);
