// Snapshot files, for Node only (the rest of src/snapshot runs in browsers too).
//
// dumpSnapshot writes atomically: the bytes go to a temporary file in the same directory,
// which is flushed to disk and then moved into place, so a reader never sees half a file and
// a crash never leaves one. Unlike CPython's `Snapshot.dump`, it refuses to replace an existing
// file unless `{ force: true }` is passed: nothing the user had is lost without being asked.

import { closeSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { open, readFile, link, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Snapshot } from './snapshot.js';

/** Options of dumpSnapshot. */
export interface DumpOptions {
  /** Replace `path` if it exists (default false: fail with an error saying so). */
  readonly force?: boolean;
}

/** Thrown by dumpSnapshot when the target exists and `force` was not given. */
export class FileExistsError extends Error {
  readonly code = 'EEXIST';
  constructor(readonly path: string) {
    super(`refusing to overwrite ${path}: the file exists (pass { force: true } to replace it)`);
    this.name = 'FileExistsError';
  }
}

function tempPath(path: string): string {
  const rand = Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, '0');
  return join(dirname(path), `.${basename(path)}.${process.pid}.${rand}.tmp`);
}

function isErrno(e: unknown, ...codes: string[]): boolean {
  return typeof e === 'object' && e !== null && codes.includes((e as { code?: string }).code ?? '');
}

/** Moves the finished temp file to `path`: rename if forced, else a no-clobber link. */
function placeSync(temp: string, path: string, force: boolean): void {
  if (force) {
    renameSync(temp, path);
    return;
  }
  try {
    linkSync(temp, path); // fails with EEXIST instead of replacing: atomic no-clobber
  } catch (e) {
    if (isErrno(e, 'EEXIST')) throw new FileExistsError(path);
    throw e;
  }
  unlinkSync(temp);
}

/** Writes `snapshot` to `path` in the dump format (atomically; see DumpOptions). */
export function dumpSnapshotSync(snapshot: Snapshot, path: string, options: DumpOptions = {}): void {
  writeBytesAtomicSync(path, snapshot.toBytes(), options);
}

/**
 * Writes `bytes` to `path` atomically, refusing to replace an existing file unless forced.
 * The CLI writes instrumented modules and reports through it too.
 */
export function writeBytesAtomicSync(path: string, bytes: Uint8Array, options: DumpOptions = {}): void {
  const temp = tempPath(path);
  let fd: number;
  try {
    fd = openSync(temp, 'wx', 0o644);
  } catch (e) {
    throw namingDestination(e, path);
  }
  try {
    try {
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    placeSync(temp, path, options.force === true);
  } catch (e) {
    try {
      unlinkSync(temp);
    } catch {
      // already moved or never written
    }
    throw namingDestination(e, path);
  }
}

/**
 * A write error that names the file the user asked for, not the temporary file beside it
 * ("cannot write out.wasm: ENOENT: no such file or directory"), keeping its errno code.
 */
function namingDestination(e: unknown, path: string): unknown {
  if (e instanceof FileExistsError || typeof (e as { code?: unknown })?.code !== 'string') return e;
  const code = (e as { code: string }).code;
  // Node appends the syscall and its paths (`, open '….tmp'`, `, rename '….tmp' -> '…'`).
  const reason = (e as Error).message.replace(/,\s*\w+\s+'[^']*'(\s*->\s*'[^']*')?$/, '');
  return Object.assign(new Error(`cannot write ${path}: ${reason}`), { code });
}

/** Async dumpSnapshotSync. */
export async function dumpSnapshot(snapshot: Snapshot, path: string, options: DumpOptions = {}): Promise<void> {
  const bytes = snapshot.toBytes();
  const temp = tempPath(path);
  let handle;
  try {
    handle = await open(temp, 'wx', 0o644);
  } catch (e) {
    throw namingDestination(e, path);
  }
  try {
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.force === true) {
      await rename(temp, path);
    } else {
      try {
        await link(temp, path);
      } catch (e) {
        if (isErrno(e, 'EEXIST')) throw new FileExistsError(path);
        throw e;
      }
      await unlink(temp);
    }
  } catch (e) {
    await unlink(temp).catch(() => undefined);
    throw namingDestination(e, path);
  }
}

/** Reads a snapshot file; throws SnapshotFormatError if it is not a valid snapshot. */
export function loadSnapshotSync(path: string): Snapshot {
  return Snapshot.fromBytes(readFileSync(path));
}

/** Async loadSnapshotSync. */
export async function loadSnapshot(path: string): Promise<Snapshot> {
  return Snapshot.fromBytes(await readFile(path));
}
