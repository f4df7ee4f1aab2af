/**
 * Which errors are the user's to fix (bad input, missing file, refused overwrite) and get one
 * line on stderr, as opposed to bugs, which keep their stack trace.
 */
import { AllocatorNotFoundError } from '../instrument/allocators.js';
import { InstrumentError } from '../instrument/errors.js';
import { NotTracingError } from '../host/tracer.js';
import { SnapshotFormatError } from '../snapshot/index.js';
import { FileExistsError } from '../snapshot/file.js';
import { TracingSetupError } from '../host/errors.js';
import { EnvironmentError } from '../host/environment.js';

/** An error the CLI reports as one line (its message says what was wrong and what to do). */
export class UsageError extends Error {
  override name = 'UsageError';
}

const USER_ERROR_CODES = new Set(['ENOENT', 'EACCES', 'EPERM', 'EISDIR', 'ENOTDIR', 'EEXIST', 'EFBIG', 'ENOSPC', 'EDQUOT', 'EROFS']);

/** The one line the CLI prints for a user error: the library's wording, in the CLI's terms. */
export function userErrorMessage(e: unknown): string {
  if (e instanceof FileExistsError) return `refusing to overwrite ${e.path}: the file exists (pass --force to replace it)`;
  return (e as Error).message;
}

/** Whether `e` is an error the user can act on from its message alone. */
export function isUserError(e: unknown): boolean {
  if (
    e instanceof UsageError ||
    e instanceof InstrumentError ||
    e instanceof AllocatorNotFoundError ||
    e instanceof NotTracingError ||
    e instanceof SnapshotFormatError ||
    e instanceof FileExistsError ||
    e instanceof TracingSetupError ||
    e instanceof EnvironmentError
  ) {
    return true;
  }
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && USER_ERROR_CODES.has(code);
}
