/**
 * Byte-level edits of Wasm modules for tests: a stripped copy of a fixture whose code is
 * unchanged (function indices and code offsets stay the same), so that what the instrumenter
 * finds without names can be checked against the names the original carries.
 */

function readU32(bytes: Uint8Array, at: number): [value: number, next: number] {
  let value = 0;
  let shift = 0;
  let b: number;
  do {
    b = bytes[at++]!;
    value |= (b & 0x7f) << shift;
    shift += 7;
  } while (b & 0x80);
  return [value >>> 0, at];
}

/** `module` without its custom sections whose name `drop` accepts (e.g. the name section). */
export function withoutCustomSections(module: Uint8Array, drop: (name: string) => boolean): Uint8Array {
  const kept: Uint8Array[] = [module.subarray(0, 8)];
  let at = 8;
  while (at < module.length) {
    const start = at;
    const id = module[at++]!;
    const [size, payload] = readU32(module, at);
    const end = payload + size;
    let name: string | null = null;
    if (id === 0) {
      const [length, text] = readU32(module, payload);
      name = new TextDecoder().decode(module.subarray(text, text + length));
    }
    if (name === null || !drop(name)) kept.push(module.subarray(start, end));
    at = end;
  }
  const out = new Uint8Array(kept.reduce((n, k) => n + k.length, 0));
  let o = 0;
  for (const k of kept) {
    out.set(k, o);
    o += k.length;
  }
  return out;
}
