/**
 * `wasm-tracemalloc instrument in.wasm -o out.wasm`: writes the traced module. Refuses to
 * overwrite an existing file (or the input) unless `--force`, and writes atomically.
 */
import { samePath } from './paths.js';
import type { AllocatorShape, AllocatorSpec } from '../instrument/allocators.js';
import { instrumentInWorker } from '../instrument/worker.js';
import { writeBytesAtomicSync } from '../snapshot/file.js';
import { UsageError } from './errors.js';
import { readInput } from './readInput.js';

/** Parsed options of `instrument`. */
export interface InstrumentCommandOptions {
  output: string;
  force?: boolean;
  explain?: boolean;
  malloc: string[];
  free: string[];
  calloc: string[];
  realloc: string[];
  glue?: string;
}

function specs(options: InstrumentCommandOptions): AllocatorSpec[] {
  const out: AllocatorSpec[] = [];
  const shapes: AllocatorShape[] = ['malloc', 'free', 'calloc', 'realloc'];
  for (const shape of shapes) {
    for (const value of options[shape as 'malloc']) {
      out.push({ function: /^\d+$/.test(value) ? Number(value) : value, shape });
    }
  }
  return out;
}

/** Runs the command; returns the exit code. */
export async function instrumentCommand(modulePath: string, options: InstrumentCommandOptions): Promise<number> {
  if (samePath(modulePath, options.output)) {
    throw new UsageError(`the output ${options.output} is the input module: write the instrumented copy to another file`);
  }
  const bytes = readInput(modulePath, 'module');
  const glue = options.glue === undefined ? undefined : { source: new TextDecoder().decode(readInput(options.glue, 'glue file')), name: options.glue };
  const result = await instrumentInWorker(bytes, { allocators: specs(options), ...(glue ? { glue } : {}) });
  writeBytesAtomicSync(options.output, result.bytes, { force: options.force === true });
  const r = result.report;
  if (options.explain) {
    process.stderr.write('allocator functions:\n');
    for (const a of r.allocators) process.stderr.write(`  ${a.shape.padEnd(14)} function ${a.index} "${a.name}": ${a.reason}\n`);
  }
  for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
  process.stderr.write(
    `${options.output}: ${r.sites} call sites in ${r.instrumentedFunctions} of ${r.totalFunctions} functions` +
      (r.sitesWithoutOffset > 0 ? ` (${r.sitesWithoutOffset} without a byte offset: named by function only)` : '') +
      '\n',
  );
  return 0;
}
