// Ground truth from outside the project: llvm-dwarfdump-14 and llvm-symbolizer-14 (Debian llvm-14).

import { spawnSync } from 'node:child_process';
import { normalizePath } from '../../../src/symbols/paths.js';

export const DWARFDUMP = 'llvm-dwarfdump-14';
export const SYMBOLIZER = 'llvm-symbolizer-14';

/** True when `tool --version` runs. */
export function haveTool(tool: string): boolean {
  const r = spawnSync(tool, ['--version'], { encoding: 'utf8' });
  return r.status === 0;
}

/** A row of `llvm-dwarfdump --debug-line`. */
export interface DumpRow {
  unitOffset: number;
  address: number;
  line: number;
  column: number;
  file: number;
  endSequence: boolean;
}

/** Runs `llvm-dwarfdump-14 --debug-line` and returns every row of every unit. */
export function dwarfdumpLineRows(wasmPath: string): DumpRow[] {
  const r = spawnSync(DWARFDUMP, ['--debug-line', wasmPath], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${DWARFDUMP} failed: ${r.stderr}`);
  const rows: DumpRow[] = [];
  let unitOffset = -1;
  for (const line of r.stdout.split('\n')) {
    const unit = /^debug_line\[(0x[0-9a-f]+)\]/.exec(line);
    if (unit) {
      unitOffset = Number(unit[1]);
      continue;
    }
    const m = /^(0x[0-9a-f]{16})\s+(\d+)\s+(\d+)\s+(\d+)\s+\d+\s+\d+\s*(.*)$/.exec(line);
    if (!m) continue;
    rows.push({
      unitOffset,
      address: Number(m[1]),
      line: Number(m[2]),
      column: Number(m[3]),
      file: Number(m[4]),
      endSequence: /\bend_sequence\b/.test(m[5]!),
    });
  }
  return rows;
}

/**
 * The rows a lookup can return: in each sequence, the last row at each address, without the
 * end_sequence row (LLVM's LineTable::lookupAddress picks the last row ≤ the address).
 */
export function lookupableRows(rows: DumpRow[]): DumpRow[] {
  const out: DumpRow[] = [];
  let seq: DumpRow[] = [];
  for (const row of rows) {
    if (row.endSequence) {
      const start = seq[0]?.address;
      // dead code (start 0 or a tombstone) and empty sequences cover nothing
      if (start !== undefined && start !== 0 && start < 0xfffffffe && row.address > start) {
        for (let i = 0; i < seq.length; i++) {
          if (i + 1 < seq.length && seq[i + 1]!.address === seq[i]!.address) continue;
          out.push(seq[i]!);
        }
      }
      seq = [];
    } else seq.push(row);
  }
  return out;
}

/** One frame printed by llvm-symbolizer. */
export interface LlvmFrame {
  function: string;
  file: string;
  line: number;
  column: number;
}

/**
 * Symbolizes code offsets with llvm-symbolizer-14 (`--inlining` on or off), in one process.
 * File paths come back normalized ('.' and '..' folded), as our frames are.
 */
export function llvmSymbolize(wasmPath: string, addresses: number[], inlining: boolean): LlvmFrame[][] {
  const input = addresses.map((a) => `0x${a.toString(16)}`).join('\n') + '\n';
  const args = [`--obj=${wasmPath}`, '--functions=linkage', '--demangle', '--output-style=LLVM', `--inlining=${inlining}`];
  const r = spawnSync(SYMBOLIZER, args, { input, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${SYMBOLIZER} failed: ${r.stderr}`);
  const blocks = r.stdout.split('\n\n');
  const out: LlvmFrame[][] = [];
  for (let i = 0; i < addresses.length; i++) {
    const lines = (blocks[i] ?? '').split('\n').filter((l) => l !== '');
    const frames: LlvmFrame[] = [];
    for (let k = 0; k + 1 < lines.length; k += 2) {
      const loc = /^(.*):(\d+):(\d+)$/.exec(lines[k + 1]!);
      if (!loc) continue;
      frames.push({ function: lines[k]!, file: normalizePath(loc[1]!), line: Number(loc[2]), column: Number(loc[3]) });
    }
    out.push(frames);
  }
  return out;
}

/**
 * Whether our function name and llvm-symbolizer's name the same function. LLVM 14's demangler
 * prints the return type of function templates (`void* f<int>(int)`) where cpp_demangle does not,
 * and keeps `&&` on forwarded parameter packs where cpp_demangle drops it,
 * and leaves Rust legacy escapes (`$LT$`, `..`) and the `::h<hash>` suffix in place.
 */
export function sameFunctionName(ours: string, llvm: string): boolean {
  if (llvm === '??') return true; // LLVM found no subprogram; we may still know the name section's
  const a = squash(ours);
  const b = squash(decodeRustLegacy(llvm));
  return a === b || b.endsWith(` ${a}`);
}

function squash(name: string): string {
  // cpp_demangle drops the `&&` of forwarded parameter packs (`tuple<int const&>&&` → `tuple<int const&>`)
  return name.replace(/&&/g, '').replace(/\s+/g, ' ').replace(/>\s+>/g, '>>').replace(/>\s+>/g, '>>').trim();
}

const RUST_ESCAPES: Record<string, string> = {
  SP: '@', BP: '*', RF: '&', LT: '<', GT: '>', LP: '(', RP: ')', C: ',',
};

/** rustc-demangle's legacy rules, applied to a name the Itanium demangler left half-done. */
function decodeRustLegacy(name: string): string {
  if (!/::h[0-9a-f]{16}$/.test(name)) return name;
  return name
    .replace(/::h[0-9a-f]{16}$/, '')
    .split('::')
    .map((seg) => {
      let s = seg.startsWith('_$') ? seg.slice(1) : seg;
      s = s.replace(/\$([A-Z]{1,2}|u[0-9a-f]{2,6})\$/g, (m, code: string) => {
        if (code.startsWith('u')) return String.fromCodePoint(parseInt(code.slice(1), 16));
        return RUST_ESCAPES[code] ?? m;
      });
      return s.replace(/\.\./g, '::');
    })
    .join('::');
}
