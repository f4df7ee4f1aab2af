/**
 * The linear memories a module declares (imported and defined), read from the binary before
 * Binaryen sees it: a module the tracer cannot handle (several memories, a shared memory of a
 * threaded build, memory64) is refused with one line that names the feature, instead of a
 * validator dump after the rewrite.
 */
import { ByteReader } from '../symbols/byteReader.js';
import { readWasmModule } from '../symbols/index.js';

/** What one memory is. */
export interface MemoryShape {
  imported: boolean;
  shared: boolean;
  memory64: boolean;
}

const SECTION_IMPORT = 2;
const SECTION_MEMORY = 5;
const LIMITS_HAS_MAX = 0x01;
const LIMITS_SHARED = 0x02;
const LIMITS_64 = 0x04;
const LIMITS_PAGE_SIZE = 0x08;

function readLimits(r: ByteReader): { shared: boolean; memory64: boolean } {
  const flags = r.u8();
  r.uleb();
  if (flags & LIMITS_HAS_MAX) r.uleb();
  if (flags & LIMITS_PAGE_SIZE) r.uleb();
  return { shared: (flags & LIMITS_SHARED) !== 0, memory64: (flags & LIMITS_64) !== 0 };
}

function skipValueType(r: ByteReader): void {
  const t = r.u8();
  if (t === 0x63 || t === 0x64) r.sleb(); // (ref null? heaptype)
}

/** The memories of `module`, imports first; [] when the sections cannot be read. */
export function memoriesOf(module: Uint8Array): MemoryShape[] {
  const info = readWasmModule(module);
  const out: MemoryShape[] = [];
  try {
    for (const s of info.sections) {
      if (s.id === SECTION_IMPORT) {
        const r = new ByteReader(module, s.start, s.end);
        const n = r.uleb();
        for (let i = 0; i < n; i++) {
          r.name();
          r.name();
          const kind = r.u8();
          if (kind === 0) r.uleb(); // function: type index
          else if (kind === 1) { skipValueType(r); readLimits(r); } // table
          else if (kind === 2) out.push({ imported: true, ...readLimits(r) }); // memory
          else if (kind === 3) { skipValueType(r); r.u8(); } // global
          else if (kind === 4) { r.u8(); r.uleb(); } // tag
          else return out; // an import kind this reader does not know: stop here
        }
      } else if (s.id === SECTION_MEMORY) {
        const r = new ByteReader(module, s.start, s.end);
        const n = r.uleb();
        for (let i = 0; i < n; i++) out.push({ imported: false, ...readLimits(r) });
      }
    }
  } catch {
    // A damaged section: the engine's validator reports it later, with its offset.
  }
  return out;
}
