/**
 * The site table: for each call-site id, where the call was in the original module.
 * Stored as the custom section `tracemalloc.sites` of the instrumented module (layout in
 * docs/abi.md §4) so that any host can symbolize a trace without the instrumenter's state.
 */

import { customSection, readWasmModule } from '../symbols/index.js';

/** Name of the custom section holding the site table. */
export const SITE_TABLE_SECTION = 'tracemalloc.sites';
const MAGIC = 'TMS1';
const HEADER_BYTES = 4 + 4 + 4 + 32;
const SITE_BYTES = 12;
/** Code offset or callee of a site that is not known. */
export const UNKNOWN = 0xffffffff;

/** One call site of the original module. */
export interface Site {
  /** Index of the calling function in the original module (imports counted). */
  funcIndex: number;
  /** Offset of the call instruction from the start of the code section payload, or UNKNOWN. */
  codeOffset: number;
  /** Original index of the called function, or UNKNOWN for indirect calls. */
  calleeIndex: number;
}

/** The decoded site table. `sites[id - 1]` is site `id`. */
export interface SiteTable {
  maxFrames: number;
  /** SHA-256 of the original module, lowercase hex. */
  originalHash: string;
  sites: Site[];
}

/** Encodes a site table into the bytes of its custom section. */
export function encodeSiteTable(table: SiteTable): Uint8Array {
  const bytes = new Uint8Array(HEADER_BYTES + SITE_BYTES * table.sites.length);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < 4; i++) bytes[i] = MAGIC.charCodeAt(i);
  view.setUint32(4, table.sites.length, true);
  view.setUint32(8, table.maxFrames, true);
  for (let i = 0; i < 32; i++) bytes[12 + i] = parseInt(table.originalHash.slice(2 * i, 2 * i + 2), 16);
  let at = HEADER_BYTES;
  for (const site of table.sites) {
    view.setUint32(at, site.funcIndex, true);
    view.setUint32(at + 4, site.codeOffset, true);
    view.setUint32(at + 8, site.calleeIndex, true);
    at += SITE_BYTES;
  }
  return bytes;
}

/** Decodes the bytes of a `tracemalloc.sites` section; throws a clear error if they are not one. */
export function decodeSiteTable(bytes: Uint8Array): SiteTable {
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (bytes.length < HEADER_BYTES || magic !== MAGIC) {
    throw new Error(`the ${SITE_TABLE_SECTION} section is not a version-1 site table (magic "${magic}")`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(4, true);
  if (bytes.length !== HEADER_BYTES + SITE_BYTES * count) {
    throw new Error(`the ${SITE_TABLE_SECTION} section is truncated: ${count} sites need ${HEADER_BYTES + SITE_BYTES * count} bytes, it has ${bytes.length}`);
  }
  let originalHash = '';
  for (let i = 0; i < 32; i++) originalHash += bytes[12 + i]!.toString(16).padStart(2, '0');
  const sites: Site[] = [];
  for (let i = 0, at = HEADER_BYTES; i < count; i++, at += SITE_BYTES) {
    sites.push({ funcIndex: view.getUint32(at, true), codeOffset: view.getUint32(at + 4, true), calleeIndex: view.getUint32(at + 8, true) });
  }
  return { maxFrames: view.getUint32(8, true), originalHash, sites };
}

/** Whether `module` was instrumented by wasm-tracemalloc (it carries a site table). */
export function isInstrumented(module: Uint8Array): boolean {
  return customSection(readWasmModule(module), SITE_TABLE_SECTION) !== undefined;
}
