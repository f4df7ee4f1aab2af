/**
 * The linear memories a module declares (imported and defined), read from the binary before
 * Binaryen sees it: a module the tracer cannot handle (several memories, a shared memory of a
 * threaded build, memory64) is refused with one line that names the feature, instead of a
 * validator dump after the rewrite.
 */
import { ByteReader } from '../symbols/byteReader.js';
import { readWasmModule } from '../symbols/index.js';
import { importEntries, readLimits, type MemoryLimits } from '../symbols/wasmModule.js';

/** What one memory is. */
export interface MemoryShape extends MemoryLimits {
  imported: boolean;
}

const SECTION_IMPORT = 2;
const SECTION_MEMORY = 5;

/** The memories of `module`, imports first; [] when the sections cannot be read. */
export function memoriesOf(module: Uint8Array): MemoryShape[] {
  const info = readWasmModule(module);
  const out: MemoryShape[] = [];
  try {
    for (const s of info.sections) {
      if (s.id === SECTION_IMPORT) {
        for (const entry of importEntries(module, s)) if (entry.memory) out.push({ imported: true, ...entry.memory });
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
