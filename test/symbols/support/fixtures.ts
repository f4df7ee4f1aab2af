// Where the test modules are, and small module surgery for the degradation tests.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ByteReader } from '../../../src/symbols/byteReader.js';
import { customSection as sectionPayload, readNameSection, readWasmModule } from '../../../src/symbols/index.js';

const here = dirname(fileURLToPath(import.meta.url));
/** test/symbols/fixtures: modules built by its build.sh, debug paths remapped to /wtm. */
export const OWN = join(here, '..', 'fixtures');
/** The project's shared fixtures (fixtures/ at the repository root), built by another script. */
export const SHARED = join(here, '..', '..', '..', 'fixtures');
/** The root our own fixtures' DWARF paths live under. */
export const OWN_ROOT = '/wtm';

export function own(name: string): string {
  return join(OWN, name);
}

export function shared(name: string): string {
  return join(SHARED, name);
}

export function read(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}

/** Why a shared fixture cannot be used, or undefined when it exists. */
export function missing(path: string): string | undefined {
  return existsSync(path) ? undefined : `${path} not built yet (fixtures/ is built by the fixtures script)`;
}

/** Lines of a source file carrying `/* SITE:name *\/`, `// SITE:name` or CALL markers: name → 1-based line. */
export function markers(sourcePath: string, kind: 'SITE' | 'CALL' = 'SITE'): Map<string, number> {
  const out = new Map<string, number>();
  readFileSync(sourcePath, 'utf8')
    .split('\n')
    .forEach((text, i) => {
      const m = new RegExp(`${kind}:([A-Za-z0-9_]+)`).exec(text);
      if (m) out.set(m[1]!, i + 1);
    });
  return out;
}

interface RawSection {
  id: number;
  name?: string;
  /** The whole section, header included. */
  bytes: Uint8Array;
  /** Payload after the custom section's name. */
  payload: Uint8Array;
}

function sectionsOf(module: Uint8Array): RawSection[] {
  const r = new ByteReader(module, 8);
  const out: RawSection[] = [];
  while (r.remaining > 0) {
    const start = r.pos;
    const id = r.u8();
    const size = r.uleb();
    const payloadStart = r.pos;
    r.skip(size);
    const s: RawSection = { id, bytes: module.subarray(start, r.pos), payload: module.subarray(payloadStart, r.pos) };
    if (id === 0) {
      const sub = new ByteReader(module, payloadStart, r.pos);
      s.name = sub.name();
      s.payload = module.subarray(sub.pos, r.pos);
    }
    out.push(s);
  }
  return out;
}

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

function customSection(name: string, payload: Uint8Array): Uint8Array {
  const nameBytes = new TextEncoder().encode(name);
  const body = [...uleb(nameBytes.length), ...nameBytes, ...payload];
  return new Uint8Array([0, ...uleb(body.length), ...body]);
}

/**
 * Rewrites a module's custom sections: `edit(name, payload)` returns the new payload, or null to
 * drop the section. Non-custom sections are kept byte for byte, so code offsets do not change
 * as long as the edited sections come after the code section (as DWARF and names do).
 */
export function editCustomSections(module: Uint8Array, edit: (name: string, payload: Uint8Array) => Uint8Array | null): Uint8Array {
  const parts: Uint8Array[] = [module.subarray(0, 8)];
  for (const s of sectionsOf(module)) {
    if (s.id !== 0) parts.push(s.bytes);
    else {
      const p = edit(s.name!, s.payload);
      if (p === s.payload) parts.push(s.bytes);
      else if (p !== null) parts.push(customSection(s.name!, p));
    }
  }
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The module without any custom section: what most release builds look like. */
export function stripAll(module: Uint8Array): Uint8Array {
  return editCustomSections(module, () => null);
}

/** The module without DWARF (names kept). */
export function stripDwarf(module: Uint8Array): Uint8Array {
  return editCustomSections(module, (name, p) => (name.startsWith('.debug_') ? null : p));
}

/** The function index the module's name section gives `name` (throws if it names none). */
export function functionIndex(module: Uint8Array, name: string): number {
  const names = readNameSection(sectionPayload(readWasmModule(module), 'name')!, []).functionNames;
  const found = [...names].find(([, n]) => n === name);
  if (!found) throw new Error(`the name section names no function ${name}`);
  return found[0];
}
