// Frames of call sites: every call instruction of a module, against llvm-symbolizer --inlining;
// SITE markers found; -O0 and -O2 builds agree.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Symbolizer, type SymbolFrame } from '../../src/symbols/index.js';
import { stackDifference } from './support/compare.js';
import { OWN_ROOT, markers, missing, own, read, shared } from './support/fixtures.js';
import { SYMBOLIZER, haveTool, llvmSymbolize } from './support/llvm.js';
import { EXPECTED_DIR, EXPECTED_FIXTURES, type Expected } from './support/regenerate.js';
import { type CallSite, findCalls } from './support/wasmCalls.js';

const llvmMissing = haveTool(SYMBOLIZER) ? undefined : `${SYMBOLIZER} not installed (Debian llvm-14)`;

describe('frames against committed llvm-symbolizer output', () => {
  for (const name of EXPECTED_FIXTURES) {
    test(name, async () => {
      const expected = JSON.parse(readFileSync(join(EXPECTED_DIR, name.replace(/\.wasm$/, '.json')), 'utf8')) as Expected;
      const bytes = read(own(name));
      // the test's own walk of the code finds the same call instructions as when the file was written
      assert.deepEqual(findCalls(bytes).map((c) => [c.funcIndex, c.codeOffset]), expected.sites.map((s) => [s[0], s[1]]));
      const sym = await Symbolizer.fromModule(bytes);
      let withLines = 0;
      for (const [funcIndex, codeOffset, frames] of expected.sites) {
        const ours = sym.framesForSite(funcIndex, codeOffset);
        const llvm = frames.map(([fn, file, line, column]) => ({ function: fn, file, line, column }));
        assert.equal(stackDifference(ours, llvm), undefined, `site ${funcIndex}@0x${codeOffset.toString(16)}: ${JSON.stringify(ours)}`);
        if (ours[0]!.origin === 'dwarf') withLines++;
      }
      assert.ok(withLines > expected.sites.length * 0.8, `${withLines} of ${expected.sites.length} sites have lines`);
    });
  }
});

const LIVE = [
  own('sites.O2.wasm'),
  own('sites.O0.wasm'),
  own('sites.v5.wasm'),
  own('shapes.wasm'),
  own('sites.em.wasm'),
  shared('wasi/alloc_basic.wasm'),
  shared('wasi/alloc_basic.O0.wasm'),
  shared('wasi/containers.wasm'),
  shared('wasi/churn.wasm'),
  shared('emscripten/alloc_basic.g.wasm'),
  shared('rust/alloc_rust.wasm'),
];

describe('frames of every call instruction against live llvm-symbolizer-14 --inlining', () => {
  for (const path of LIVE) {
    test(path.slice(path.lastIndexOf('fixtures')), async (t) => {
      const why = llvmMissing ?? missing(path);
      if (why) return t.skip(why);
      const bytes = read(path);
      const calls = findCalls(bytes);
      assert.ok(calls.length > 10);
      const llvm = llvmSymbolize(path, calls.map((c) => c.codeOffset), true);
      const sym = await Symbolizer.fromModule(bytes);
      calls.forEach((c, i) => {
        const ours = sym.framesForSite(c.funcIndex, c.codeOffset);
        assert.equal(stackDifference(ours, llvm[i]!), undefined, `call ${c.funcIndex}@0x${c.codeOffset.toString(16)}`);
      });
      assert.deepEqual(sym.warnings, []);
    });
  }
});

/** Calls that allocate (by the name section's name of the callee; frees are not SITE lines). */
function allocatorCalls(sym: Symbolizer, calls: CallSite[]): CallSite[] {
  const alloc = /^(dl)?(malloc|calloc|realloc|aligned_alloc|posix_memalign|memalign)$|^operator new/; // Emscripten: dlmalloc…
  return calls.filter((c) => c.callee >= 0 && alloc.test(sym.functionName(c.callee)));
}

/** "file:line" of the frames of all allocator calls that fall in files ending with one of `files`. */
function allocationLines(sym: Symbolizer, calls: CallSite[], files: string[]): Set<string> {
  const out = new Set<string>();
  for (const c of allocatorCalls(sym, calls)) {
    const frames: readonly SymbolFrame[] = sym.framesForSite(c.funcIndex, c.codeOffset);
    const f = frames[0]!;
    if (f.origin !== 'names' && files.some((x) => f.filename.endsWith(x))) out.add(`${f.filename.slice(f.filename.lastIndexOf('/') + 1)}:${f.lineno}`);
  }
  return out;
}

describe('SITE lines', () => {
  const siteLines = (): Set<string> => {
    const out = new Set<string>();
    for (const file of ['sites.c', 'util.h']) {
      for (const line of markers(own(`src/${file}`)).values()) out.add(`${file}:${line}`);
    }
    return out;
  };

  for (const name of ['sites.O0.wasm', 'sites.O2.wasm', 'sites.v5.wasm', 'sites.em.wasm']) {
    test(`${name}: each allocator call is on a SITE line, and each SITE line has one`, async () => {
      const bytes = read(own(name));
      const sym = await Symbolizer.fromModule(bytes, { root: OWN_ROOT });
      assert.deepEqual(allocationLines(sym, findCalls(bytes), ['src/sites.c', 'src/util.h']), siteLines());
    });
  }

  test('-O2 inlining: the inlined helper shows its own line, then the caller\'s line', async () => {
    const bytes = read(own('sites.O2.wasm'));
    const sym = await Symbolizer.fromModule(bytes, { root: OWN_ROOT });
    const calls = markers(own('src/sites.c'), 'CALL');
    const dupLine = markers(own('src/util.h')).get('dup_text')!;
    const stacks = allocatorCalls(sym, findCalls(bytes))
      .map((c) => sym.framesForSite(c.funcIndex, c.codeOffset))
      .filter((s) => s[0]!.filename === 'src/util.h');
    const callers = stacks.map((s) => `${s[1]!.functionName} ${s[1]!.filename}:${s[1]!.lineno}`).sort();
    assert.deepEqual(callers, [
      `copy_text src/sites.c:${calls.get('copy_text')}`,
      `main src/sites.c:${calls.get('dup_text_main')}`,
    ]);
    for (const s of stacks) assert.deepEqual([s[0]!.functionName, s[0]!.lineno], ['dup_text', dupLine]);
  });

  test('-O0 and -O2 builds of the same source give the same allocation lines', async () => {
    const lines = async (name: string): Promise<Set<string>> => {
      const bytes = read(own(name));
      return allocationLines(await Symbolizer.fromModule(bytes, { root: OWN_ROOT }), findCalls(bytes), ['src/sites.c', 'src/util.h']);
    };
    const o0 = await lines('sites.O0.wasm');
    assert.deepEqual(await lines('sites.O2.wasm'), o0);
    assert.deepEqual(await lines('sites.em.wasm'), o0);
  });

  test('shared fixture alloc_basic: -O0 and -O2 agree, and on the SITE lines', async (t) => {
    const o0 = shared('wasi/alloc_basic.O0.wasm');
    const o2 = shared('wasi/alloc_basic.wasm');
    const why = missing(o0) ?? missing(o2);
    if (why) return t.skip(why);
    const lines = async (path: string): Promise<Set<string>> => {
      const bytes = read(path);
      return allocationLines(await Symbolizer.fromModule(bytes), findCalls(bytes), ['alloc_basic.c']);
    };
    const site = new Set([...markers(shared('src/c/alloc_basic.c')).values()].map((l) => `alloc_basic.c:${l}`));
    const a = await lines(o0);
    const b = await lines(o2);
    for (const l of site) {
      assert.ok(a.has(l), `-O0 has ${l}`);
      assert.ok(b.has(l), `-O2 has ${l}`);
    }
    assert.deepEqual(new Set([...a].filter((l) => site.has(l))), new Set([...b].filter((l) => site.has(l))));
  });
});

describe('shared fixtures: every SITE line appears in some call\'s stack', () => {
  // Container growth and Rust collections allocate deep inside libc++ / std: the marked line is the
  // nearest frame in the fixture's own file, so any depth of a stack counts.
  const cases: [string, string][] = [
    ['wasi/alloc_basic.wasm', 'src/c/alloc_basic.c'],
    ['wasi/alloc_basic.O0.wasm', 'src/c/alloc_basic.c'],
    ['wasi/containers.wasm', 'src/cpp/containers.cpp'],
    ['emscripten/alloc_basic.g.wasm', 'src/c/alloc_basic.c'],
    ['rust/alloc_rust.wasm', 'src/rust/alloc_rust/src/main.rs'],
  ];
  for (const [module, source] of cases) {
    test(module, async (t) => {
      const why = missing(shared(module)) ?? missing(shared(source));
      if (why) return t.skip(why);
      const bytes = read(shared(module));
      const sym = await Symbolizer.fromModule(bytes);
      const base = source.slice(source.lastIndexOf('/') + 1);
      const seen = new Set<number>();
      for (const c of findCalls(bytes)) {
        for (const f of sym.framesForSite(c.funcIndex, c.codeOffset)) {
          if (f.origin === 'dwarf' && f.filename.endsWith(`/${base}`)) seen.add(f.lineno);
        }
      }
      const missingLines = [...markers(shared(source))].filter(([, line]) => !seen.has(line));
      assert.deepEqual(missingLines, []);
    });
  }
});
