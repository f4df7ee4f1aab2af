// wasm-tracemalloc/snapshot: Python's tracemalloc Snapshot API in plain TypeScript.
//
// Pure: no Node built-ins, no engine, no I/O — runs in browsers, on traces from any source.
// Files: `./file.js` (Node only) has `dumpSnapshot` / `loadSnapshot`.
//
// Where the API reference is silent, CPython 3.12's Lib/tracemalloc.py decides; the few places
// where we differ on purpose are said at each declaration (Traceback order, Filter.pyc rule,
// no domains, sampling estimates).

/** A call site (`filename`, `lineno`) and a stack of them, most recent first. */
export { Frame, Traceback, type FrameLike, type SourceLineProvider } from './frame.js';
/** Grouped sizes and counts, and their differences between two snapshots. */
export { Statistic, StatisticDiff } from './statistic.js';
/** Include/exclude traces by file name pattern, line and frames. */
export { Filter } from './filter.js';
/** fnmatch, exactly as Python's on POSIX. */
export { fnmatch } from './fnmatch.js';
/** The snapshot, its traces, and the ways to make one. */
export { Snapshot, Trace, type TraceInput, type InternedTraces } from './snapshot.js';
/** `'filename' | 'lineno' | 'traceback'`. */
export type { GroupBy } from './group.js';
/** Where a snapshot comes from: module, traced memory, time, sampling. */
export type { SnapshotMeta, SnapshotMetaInput } from './meta.js';
/** The dump format: errors, and its constants for tools that sniff files. */
export { SnapshotFormatError, type SnapshotFormatErrorCode, MAGIC, FORMAT_VERSION, crc32 } from './format.js';
/** CPython's `_format_size`: "12.3 KiB", "+1024 B". */
export { formatSize } from './pytext.js';
