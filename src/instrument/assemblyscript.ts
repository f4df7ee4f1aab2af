/**
 * AssemblyScript: which calls are the user's call sites.
 *
 * An AssemblyScript program allocates through its runtime: `new Point(1, 2)` calls
 * `Point#constructor`, which calls `__new` for `this`; `new Array<T>(n)`, string concatenation
 * and `Array#push` call into the standard library (`~lib/array/…`, `~lib/string/…`), which calls
 * `__new` or `__renew`. Python's tracemalloc shows the Python line that called `list.append`,
 * never the C code below it; likewise the allocation here belongs to the user's line that made
 * the object. So the calls made inside the standard library (`~lib/…` functions) are not call
 * sites, nor is a constructor's own call of the allocator (its `this`): the innermost recorded
 * frame is then the user's `new` or library call. Calls from the library back into user code
 * (a callback passed to `Array#map`) stay visible, since the user's functions keep their sites.
 */
import type { AllocatorFunction } from './allocators.js';

/** Prefix of the standard library's functions in asc's name section. */
const STD_LIBRARY = '~lib/';

/**
 * For an AssemblyScript module (its allocator is the `~lib/rt/` runtime's), a test of whether a
 * call is runtime plumbing rather than a call site; null for other modules.
 */
export function assemblyScriptPlumbing(allocators: AllocatorFunction[]): ((caller: string, callee: string | null) => boolean) | null {
  if (!allocators.some((a) => a.name.startsWith('~lib/rt/'))) return null;
  const allocatorNames = new Set(allocators.map((a) => a.name));
  return (caller, callee) =>
    caller.startsWith(STD_LIBRARY) || (callee !== null && allocatorNames.has(callee) && caller.endsWith('#constructor'));
}
