/** Errors of the instrumenter, apart from the Binaryen code so that callers need not load it. */

/** Thrown for a module the instrumenter cannot or will not process; the message says why and what to do. */
export class InstrumentError extends Error {
  override name = 'InstrumentError';
}
