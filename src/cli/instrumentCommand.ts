/**
 * `wasm-tracemalloc instrument in.wasm -o out.wasm`: writes the traced module. Refuses to
 * overwrite an existing file (or the input) unless `--force`, and writes atomically.
 */
import { readFileSync } from 'node:fs';
import { samePath } from './paths.js';
import { tableWasmUrl } from '../host/tableWasmNode.js';
import { instrumentInWorker } from '../instrument/worker.js';
import { writeBytesAtomicSync } from '../snapshot/file.js';
import { UsageError } from './errors.js';
import { readInput } from './readInput.js';
import { type AllocatorOptions, instrumentOptionsOf, moduleError } from './allocatorOptions.js';

/** Parsed options of `instrument`. */
export interface InstrumentCommandOptions extends AllocatorOptions {
  output: string;
  force?: boolean;
  explain?: boolean;
  /** Merge the trace table into the output (src/instrument/selfContained.ts). */
  selfContained?: boolean;
}

/** Runs the command; returns the exit code. */
export async function instrumentCommand(modulePath: string, options: InstrumentCommandOptions): Promise<number> {
  if (samePath(modulePath, options.output)) {
    throw new UsageError(`the output ${options.output} is the input module: write the instrumented copy to another file`);
  }
  const bytes = readInput(modulePath, 'module');
  let result;
  try {
    result = await instrumentInWorker(bytes, instrumentOptionsOf(options));
  } catch (e) {
    throw moduleError(e, modulePath);
  }
  let output = result.bytes;
  if (options.selfContained) {
    // Loaded only here: binaryen.js takes a second or two to load, and no other command needs it in this thread.
    const { mergeTraceTable } = await import('../instrument/selfContained.js');
    output = mergeTraceTable(result.bytes, readFileSync(tableWasmUrl));
  }
  writeBytesAtomicSync(options.output, output, { force: options.force === true });
  const r = result.report;
  if (options.explain) {
    process.stderr.write('allocator functions:\n');
    for (const a of r.allocators) process.stderr.write(`  ${a.shape.padEnd(14)} function ${a.index} "${a.name}": ${a.reason}\n`);
    for (const t of r.openTables) {
      process.stderr.write(`open table "${t}": imported or exported, so its indirect calls may reach functions from outside that re-enter; each is a call site\n`);
    }
  }
  for (const w of r.warnings) process.stderr.write(`wasm-tracemalloc: warning: ${w}\n`);
  process.stderr.write(
    `${options.output}: ${r.sites} call sites in ${r.instrumentedFunctions} of ${r.totalFunctions} functions` +
      (r.sitesWithoutOffset > 0 ? ` (${r.sitesWithoutOffset} without a byte offset: named by function only)` : '') +
      (options.selfContained ? '; self-contained (trace table merged in, no tracemalloc imports)' : '') +
      '\n',
  );
  return 0;
}
