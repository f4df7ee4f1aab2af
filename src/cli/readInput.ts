/** Reading the files named on the command line, with errors that name the file and the problem. */
import { readFileSync } from 'node:fs';
import { UsageError } from './errors.js';

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'it is a directory',
};

/** The bytes of `path`, or a UsageError saying why they cannot be read. */
export function readInput(path: string, what: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as { code?: string }).code ?? '';
    throw new UsageError(`cannot read the ${what} ${path}: ${REASONS[code] ?? (e as Error).message}`);
  }
}
