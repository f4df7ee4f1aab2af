// Writes test/symbols/expected/*.json: what llvm-dwarfdump-14 and llvm-symbolizer-14 say about our
// own fixtures, so that the core assertions run where LLVM is not installed.
//
//   npx tsx test/symbols/support/regenerate.ts
//
// Per fixture: every line-table row a lookup can return in files under /wtm (our sources), and the
// frames of every call instruction. Rerun after test/symbols/fixtures/build.sh.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OWN_ROOT, own, read } from './fixtures.js';
import { dwarfdumpLineRows, llvmSymbolize, lookupableRows } from './llvm.js';
import { findCalls } from './wasmCalls.js';

export const EXPECTED_FIXTURES = ['sites.O2.wasm', 'sites.O0.wasm', 'sites.v5.wasm', 'shapes.wasm', 'sites.em.wasm'];

/** The JSON layout of an expected file. */
export interface Expected {
  tool: string;
  /** [address, file, line, column] from llvm-dwarfdump's rows, file path from llvm-symbolizer. */
  rows: [number, string, number, number][];
  /** [funcIndex, codeOffset, frames innermost first: [function, file, line, column]]. */
  sites: [number, number, [string, string, number, number][]][];
}

export const EXPECTED_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'expected');

function generate(name: string): Expected {
  const path = own(name);
  const rows = lookupableRows(dwarfdumpLineRows(path));
  const files = llvmSymbolize(path, rows.map((r) => r.address), false);
  const keptRows: Expected['rows'] = [];
  rows.forEach((r, i) => {
    const file = files[i]![0]?.file;
    if (file?.startsWith(`${OWN_ROOT}/`)) keptRows.push([r.address, file, r.line, r.column]);
  });
  const calls = findCalls(read(path));
  const frames = llvmSymbolize(path, calls.map((c) => c.codeOffset), true);
  return {
    tool: 'llvm-dwarfdump-14 --debug-line, llvm-symbolizer-14 --inlining --functions=linkage (LLVM 14.0.6)',
    rows: keptRows,
    sites: calls.map((c, i) => [c.funcIndex, c.codeOffset, frames[i]!.map((f) => [f.function, f.file, f.line, f.column])]),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  mkdirSync(EXPECTED_DIR, { recursive: true });
  for (const name of EXPECTED_FIXTURES) {
    const e = generate(name);
    const out = join(EXPECTED_DIR, `${name.replace(/\.wasm$/, '')}.json`);
    // one row / site per line: small diffs when a fixture is rebuilt
    const text = `{\n"tool": ${JSON.stringify(e.tool)},\n"rows": [\n${e.rows.map((r) => JSON.stringify(r)).join(',\n')}\n],\n"sites": [\n${e.sites.map((s) => JSON.stringify(s)).join(',\n')}\n]\n}\n`;
    writeFileSync(out, text);
    console.log(`${out}: ${e.rows.length} rows, ${e.sites.length} sites`);
  }
}
