/**
 * The files the panel offers to download, made in the page: the snapshot in the dump format
 * (`Snapshot.toBytes`, what `Snapshot.load` / `wasm-tracemalloc stats` read) and a gzip'd pprof
 * profile (report/pprofProfile.ts, gzip'd with the browser's CompressionStream).
 */
import { buildProfile } from '../report/pprofProfile.js';
import type { Snapshot } from '../snapshot/index.js';

/** The snapshot in the dump format. */
export function snapshotBytes(snapshot: Snapshot): Uint8Array {
  return snapshot.toBytes();
}

/** The snapshot as a gzip'd profile.proto (as `wasm-tracemalloc export -F pprof` writes). */
export async function toPprofBytes(snapshot: Snapshot): Promise<Uint8Array> {
  const raw = buildProfile(snapshot).encode();
  const stream = new Blob([raw as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Offers `bytes` as a file download named `name`. */
export function download(bytes: Uint8Array, name: string, type = 'application/octet-stream'): void {
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
