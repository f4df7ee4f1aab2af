// Shared by the instrumenter's fuzz tests (test/instrument/fuzz.test.ts, and the oracle fuzz in
// test/reliability/fuzzOracle.test.ts): gives a `wasm-opt -ttf` module an allocator that every
// function calls — an exported `malloc`, and a call to it at the start of every defined function
// — so that every function can reach it and every call becomes a site. Binaryen does it in a
// plain-JS worker (binaryen.js loads in ~1.5 s there, ~30 s through the tests' TypeScript loader).
import { Worker } from 'node:worker_threads';

/** How the prepared module looks. */
export interface AddMallocOptions {
  /** The address the added malloc returns (it never allocates). */
  mallocReturns: number;
  /** Also export the memory as "fuzz_memory" (for tests that compare memories). */
  exportMemory: boolean;
  /** binaryen.Features names to write the module with, e.g. ['SIMD128', 'Multivalue']. */
  features: string[];
}

const ADD_MALLOC = `
  import { parentPort } from 'node:worker_threads';
  const binaryen = (await import(${JSON.stringify(import.meta.resolve('binaryen'))})).default;
  parentPort.on('message', ({ bytes, options }) => {
    try {
      const m = binaryen.readBinary(bytes);
      const n = m.getNumFunctions();
      for (let i = 0; i < n; i++) {
        const ref = m.getFunctionByIndex(i);
        const f = binaryen.getFunctionInfo(ref);
        if (f.module) continue;
        const call = m.drop(m.call('fuzz_malloc', [m.i32.const(8)], binaryen.i32));
        binaryen._BinaryenFunctionSetBody(ref, m.block(null, [call, f.body], f.results));
      }
      m.addFunction('fuzz_malloc', binaryen.i32, binaryen.i32, [], m.i32.const(options.mallocReturns));
      m.addFunctionExport('fuzz_malloc', 'malloc');
      if (options.exportMemory && m.hasMemory()) m.addMemoryExport('0', 'fuzz_memory');
      m.setFeatures(options.features.reduce((all, name) => all | binaryen.Features[name], 0));
      if (!m.validate()) throw new Error('invalid after adding malloc');
      const out = m.emitBinary();
      m.dispose();
      parentPort.postMessage(out);
    } catch {
      parentPort.postMessage(null);
    }
  });`;

let worker: Worker | null = null;

/** The module with the added malloc, or null if Binaryen could not process it. */
export function addMalloc(wasm: Uint8Array, options: AddMallocOptions): Promise<Uint8Array | null> {
  worker ??= new Worker(new URL(`data:text/javascript,${encodeURIComponent(ADD_MALLOC)}`));
  const w = worker;
  return new Promise((resolve) => {
    w.ref();
    w.once('message', (out: Uint8Array | null) => {
      w.unref();
      resolve(out);
    });
    w.postMessage({ bytes: wasm, options });
  });
}
