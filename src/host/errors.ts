/** Errors of the host that a user meets and can act on from the message alone. */

/**
 * Thrown when tracing cannot be set up as asked: a module that was not instrumented where an
 * instrumented one is needed, an instrumented one without its original, an original that does
 * not match, a glue file whose allocator exports cannot be read.
 */
export class TracingSetupError extends Error {
  override name = 'TracingSetupError';
}
