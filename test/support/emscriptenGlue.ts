// Emscripten's glue prints "still waiting on run dependencies" to stderr every 10 s while the
// module's instantiation is pending. Under the global hook a cache miss on a loaded machine can
// take that long (Binaryen instruments the module first): the glue's own progress message, not
// the program's output nor ours, so the tests that compare stderr leave it out.

/** `stderr` without the glue's "still waiting on run dependencies" blocks. */
export function withoutGlueProgress(stderr: string): string {
  return stderr.replace(/^still waiting on run dependencies:\n(dependency: .*\n)*\(end of list\)\n/gm, '');
}
