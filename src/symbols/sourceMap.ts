// Source maps for Wasm (Emscripten `-gsource-map`): every mapping sits on generated line 1 and its
// generated *column* is a module byte offset (from the start of the file, not the code section).
//
// The source-map package decodes the VLQ mappings (SourceMapConsumer; its Wasm-backed parser needs
// no `initialize` call in Node with 0.7.x). We copy them into typed arrays sorted by offset and look
// up by binary search ourselves, with the same rule as the DWARF line table: of several mappings
// at one offset, the last wins (Emscripten writes one mapping per DWARF row, in row order). A
// mapping without a source ends the previous mapping's reach. A lookup never crosses below a
// lower bound (the start of the function body), so a call is never given another function's line.

import sourceMap from 'source-map';
import { isAbsolutePath, joinPath, normalizePath } from './paths.js';
import { lastAtOrBefore } from './sorted.js';

/** A source map as JSON-parsed (version 3). */
export interface RawSourceMapLike {
  version: number | string;
  sources: string[];
  mappings: string;
  names?: string[];
  sourceRoot?: string;
  file?: string;
  sourcesContent?: (string | null)[];
}

/** A mapping found for an offset. */
export interface SourcePosition {
  /** Source path: resolved against the map's directory when known, else as the map writes it. */
  source: string;
  line: number;
  /** 1-based column (source maps store 0-based). */
  column: number;
}

/**
 * Whether a map was written by AssemblyScript's asc: it names the standard library's sources
 * `~lib/…`, which are no files.
 */
export function isAscMap(sources: readonly string[]): boolean {
  return sources.some((s) => s.startsWith('~lib/'));
}

/** The decoded mappings of a Wasm source map. */
export class WasmSourceMap {
  private constructor(
    private readonly offsets: Uint32Array,
    private readonly lines: Uint32Array,
    private readonly columns: Uint32Array,
    /** Index into `sources`, or -1 for a mapping without a source. */
    private readonly sourceIndex: Int32Array,
    readonly sources: string[],
  ) {}

  /** Number of mappings. */
  get mappingCount(): number {
    return this.offsets.length;
  }

  /**
   * Decodes a map. `mapDir` is the directory the map was read from: relative sources are taken
   * relative to it (as a browser takes them relative to the map's URL). Except in an asc map:
   * asc names its sources relative to the directory it ran in (`assembly/index.ts`), and its
   * sourceRoot, `./<module name>`, is a folder for browser devtools (the text is embedded in
   * sourcesContent), not a path; both would put the file where it is not
   * (`build/release/assembly/index.ts`). Its sources are kept as asc wrote them.
   */
  static async load(raw: RawSourceMapLike | string, mapDir?: string): Promise<WasmSourceMap> {
    let json = typeof raw === 'string' ? (JSON.parse(raw) as RawSourceMapLike) : raw;
    if (isAscMap(json.sources)) {
      json = { ...json };
      delete json.sourceRoot;
      mapDir = undefined;
    }
    const consumer = await new sourceMap.SourceMapConsumer(json as sourceMap.RawSourceMap);
    try {
      const sourceIds = new Map<string, number>();
      const sources: string[] = [];
      const offsets: number[] = [];
      const lines: number[] = [];
      const columns: number[] = [];
      const ids: number[] = [];
      let sorted = true;
      consumer.eachMapping((m) => {
        if (m.generatedLine !== 1) return; // a Wasm map has one generated line
        let id = -1;
        if (m.source !== null && m.source !== undefined && m.originalLine !== null) {
          const path = resolveSource(m.source, mapDir);
          id = sourceIds.get(path) ?? -1;
          if (id < 0) {
            id = sources.length;
            sources.push(path);
            sourceIds.set(path, id);
          }
        }
        if (offsets.length > 0 && m.generatedColumn < offsets[offsets.length - 1]!) sorted = false;
        offsets.push(m.generatedColumn);
        lines.push(id < 0 ? 0 : m.originalLine);
        columns.push(id < 0 || m.originalColumn === null ? 0 : m.originalColumn + 1);
        ids.push(id);
      }, undefined, sourceMap.SourceMapConsumer.GENERATED_ORDER);
      let order = offsets.map((_, i) => i);
      if (!sorted) order = order.sort((a, b) => offsets[a]! - offsets[b]! || a - b); // stable: keeps row order
      return new WasmSourceMap(
        Uint32Array.from(order, (i) => offsets[i]!),
        Uint32Array.from(order, (i) => lines[i]!),
        Uint32Array.from(order, (i) => columns[i]!),
        Int32Array.from(order, (i) => ids[i]!),
        sources,
      );
    } finally {
      consumer.destroy();
    }
  }

  /** The mapping in effect at module offset `offset`, not looking below `lowerBound`. */
  lookup(offset: number, lowerBound: number): SourcePosition | undefined {
    const found = lastAtOrBefore(this.offsets, offset);
    if (found < 0 || this.offsets[found]! < lowerBound) return undefined;
    const id = this.sourceIndex[found]!;
    if (id < 0 || this.lines[found] === 0) return undefined;
    return { source: this.sources[id]!, line: this.lines[found]!, column: this.columns[found]! };
  }
}

/** A source as a path: file:// URLs become paths; relative ones are joined to the map's directory. */
function resolveSource(source: string, mapDir: string | undefined): string {
  if (source.startsWith('file://')) {
    try {
      return normalizePath(decodeURIComponent(new URL(source).pathname));
    } catch {
      return source;
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) return source; // webpack://, http://: kept as written
  if (isAbsolutePath(source) || !mapDir) return normalizePath(source);
  return joinPath(mapDir, source);
}
