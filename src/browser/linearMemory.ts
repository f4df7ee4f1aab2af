/**
 * The linear memory of a traced instance, for the panel's "linear memory" figure: exported by
 * most modules, imported by some (sqlite-wasm takes `env.memory`). The browser routes record an
 * imported one here when they instantiate, since the instance does not expose its imports.
 */
import type { TracedInstance } from '../host/tracedModule.js';

const imported = new WeakMap<WebAssembly.Instance, WebAssembly.Memory>();

/** Remembers the memory among `imports`, if any, as `instance`'s. */
export function recordImportedMemory(instance: WebAssembly.Instance, imports: WebAssembly.Imports | undefined): void {
  for (const namespace of Object.values(imports ?? {})) {
    for (const value of Object.values(namespace)) {
      if (value instanceof WebAssembly.Memory) {
        imported.set(instance, value);
        return;
      }
    }
  }
}

/** The instance's linear memory: its first exported memory, else the one it imported; null if neither is known. */
export function linearMemoryOf(traced: TracedInstance): WebAssembly.Memory | null {
  for (const value of Object.values(traced.instance.exports)) if (value instanceof WebAssembly.Memory) return value;
  return imported.get(traced.instance) ?? null;
}
