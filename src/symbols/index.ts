// Symbolization: call sites of an original Wasm module → source frames (file, line, function).
// See docs/symbols.md.

export {
  Symbolizer,
  UNKNOWN_CODE_OFFSET,
  type DebugInfoDescription,
  type FrameOrigin,
  type SourceLocation,
  type SymbolFrame,
  type SymbolizerOptions,
} from './symbolizer.js';
export { type Demangler, type WasmBindgenGlue, demanglerFrom, guardedDemangler, loadDemangler, looksMangled, setDemanglerLoader } from './demangle.js';
export { type RawSourceMapLike, WasmSourceMap } from './sourceMap.js';
export { LineTable, type LineRow, type LineUnit } from './dwarf/lineTable.js';
export { DebugInfo } from './dwarf/info.js';
export type { DwarfSections } from './dwarf/forms.js';
export {
  type FunctionBody,
  type NameSection,
  type WasmModuleInfo,
  type WasmSection,
  bodyIndexAt,
  customSection,
  customSectionString,
  readNameSection,
  readWasmModule,
} from './wasmModule.js';
export { DecodeError } from './byteReader.js';
