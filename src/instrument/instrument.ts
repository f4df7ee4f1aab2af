/**
 * The instrumenter: original module bytes in, traced module bytes out.
 *
 * Steps, each in its own module: find the allocator (allocators.ts), find the functions that
 * can reach it (callGraph.ts), give every call on those paths a site id paired with its
 * original byte offset (callOffsets.ts), add the shadow stack (shadowStack.ts), wrap the
 * allocator (wrapAllocator.ts), add `__tracemalloc_init` and the site table (siteTable.ts).
 */
import binaryen from 'binaryen';
import {
  KNOWN_ALLOCATORS,
  detectAllocators,
  type AllocatorFunction,
  type AllocatorSpec,
  type FunctionFacts,
} from './allocators.js';
import { buildCallGraph, findReachingFunctions, innerAllocators, signatureKey, type Reachability } from './callGraph.js';
import { findCallInstructions, type CallInstruction } from './callOffsets.js';
import {
  callIndirectGetParams,
  callIndirectGetResults,
  callIndirectTableName,
  callTargetName,
  expressionId,
  getExpressionId,
  type Ref,
} from './binaryenRaw.js';
import { readBinary } from './binaryenFeatures.js';
import { AT_ENTRY_DEPTH, addShadowStack } from './shadowStack.js';
import { G_BASE, G_DEPTH, G_GUARD, G_MASK, addTracerGlobalsAndImports } from './shadowStackGlobals.js';
import {
  INIT_EXPORT, MAX_FRAMES, SLOT_BLOCK_BYTES, SLOT_BYTES_EXPORT, STACK_RESTORE_EXPORT, STACK_STATE_EXPORT, UNTRACED_EXPORT_PREFIX,
} from './abi.js';
import { InstrumentError } from './errors.js';
import { SITE_TABLE_SECTION, UNKNOWN, encodeSiteTable, isInstrumented, type Site } from './siteTable.js';
import { addUntracedEntry, wrapAllocator } from './wrapAllocator.js';
import { allocatorsFromGlue } from './emscriptenGlue.js';
import { allocatorsBehindBindgen } from './wasmBindgen.js';
import { inferAllocatorsFromShape } from './allocatorShapes.js';
import { assemblyScriptPlumbing } from './assemblyscript.js';
import { memoriesOf, type MemoryShape } from './memories.js';
import { sha256Hex } from './sha256.js';
import { healAfterUnwinds, isCatchingImport } from './unwinding.js';
import { readWasmModule } from '../symbols/index.js';

const CALL = expressionId('Call');
const CALL_INDIRECT = expressionId('CallIndirect');

/** Options of `instrument`. */
export interface InstrumentOptions {
  /** Name the allocator functions instead of detecting them. */
  allocators?: AllocatorSpec[];
  /**
   * The Emscripten JS glue of the module (its text): release builds export the allocator under
   * minified names (`f`, `Ia`) that only the glue maps to `_malloc`/`_free`.
   */
  glue?: { source: string; name?: string };
  /**
   * Also call `tracemalloc.enterAllocator()` / `tracemalloc.leaveAllocator()` around every
   * outermost allocator call (docs/abi.md §2): what `wasm-tracemalloc bench` times the allocator
   * and finds who grew the memory with. Off by default: plain tracing never pays for it.
   */
  allocatorHooks?: boolean;
}

/** What `instrument` did, for `--explain` and for tests. */
export interface InstrumentReport {
  allocators: AllocatorFunction[];
  /** Functions that carry shadow-stack code. */
  instrumentedFunctions: number;
  totalFunctions: number;
  /**
   * Imported or exported tables (export name, or import `module.name`) whose indirect calls are
   * call sites whatever their signature: the outside world may put functions into them that
   * re-enter the module (callGraph.ts).
   */
  openTables: string[];
  sites: number;
  /** Sites whose original byte offset could not be found (symbolized by function only). */
  sitesWithoutOffset: number;
  /** What the instrumenter could not decide (e.g. no realloc found in a stripped module). */
  warnings: string[];
  /** Time spent instrumenting (reading, rewriting, validating, writing), not loading Binaryen. */
  elapsedMs: number;
}

/** The traced module and what went into it. */
export interface InstrumentResult {
  bytes: Uint8Array;
  sites: Site[];
  originalHash: string;
  report: InstrumentReport;
}

/**
 * Makes exceptions and longjmp that end in a catch leave the allocator guard, and the depth of
 * the shadow stack in functions that keep one (`depthLocals`: function → its entry-depth local),
 * as before (unwinding.ts): after Emscripten's `invoke_*` trampolines and at Wasm `catch`
 * bodies. Only modules that can catch are walked.
 */
function healUnwinds(module: binaryen.Module, facts: FunctionFacts[], hasTags: boolean, depthLocals: ReadonlyMap<string, number>): void {
  const catching = new Set(facts.filter((f) => f.importModule !== null && isCatchingImport(f.importModule, f.importBase ?? '')).map((f) => f.name));
  if (catching.size === 0 && !hasTags) return;
  for (const f of facts) if (f.importModule === null) healAfterUnwinds(module, module.getFunction(f.name), catching, depthLocals.get(f.name) ?? null);
}

/**
 * Instruments `original` (the bytes of a .wasm module) for tracing. `originalHash`: its SHA-256
 * in lowercase hex, when the caller has it already (hashing a 5 MB module here takes ~40 ms).
 */
export function instrument(original: Uint8Array, options: InstrumentOptions = {}, originalHash?: string): InstrumentResult {
  const started = performance.now();
  checkIsWasmModule(original);
  if (isInstrumented(original)) {
    throw new InstrumentError('this module is already instrumented by wasm-tracemalloc (it has a tracemalloc.sites section); instrument the original instead');
  }
  checkMemories(memoriesOf(original));
  originalHash ??= sha256Hex(original);
  const codeCalls = findCallInstructions(original);
  let module: binaryen.Module;
  try {
    module = readBinary(original);
  } catch (e) {
    const engine = whyInvalid(original);
    const binaryenSays = (e as Error).message;
    throw new InstrumentError(
      engine === null
        ? `Binaryen cannot read this module (it may use a feature the instrumenter does not handle yet): ${binaryenSays}`
        : `the module is not valid WebAssembly (truncated or corrupt?): ${engine}`,
    );
  }
  try {
    // A module that throws Wasm exceptions itself has a tag section (id 13): only then can a catch body unwind an allocator.
    const hasTags = readWasmModule(original).sections.some((s) => s.id === 13);
    const result = instrumentModule(module, originalHash, codeCalls?.functions ?? null, options, hasTags);
    result.report.elapsedMs = performance.now() - started;
    return result;
  } finally {
    module.dispose();
  }
}

function instrumentModule(
  module: binaryen.Module,
  originalHash: string,
  callsByDefinedFunction: CallInstruction[][] | null,
  options: InstrumentOptions,
  hasTags: boolean,
): InstrumentResult {
  if (!module.hasMemory()) throw new InstrumentError('the module has no linear memory, so it has no allocator to trace');
  if (module.getMemoryInfo().is64) throw new InstrumentError('memory64 modules are not supported yet (the trace table records 32-bit pointers)');

  const facts = functionFacts(module);
  const indexByName = new Map(facts.map((f) => [f.name, f.index]));
  const importCount = facts.filter((f) => f.importModule !== null).length;
  const graph = buildCallGraph(module);
  const named = [...(options.allocators ?? []), ...glueSpecs(options.glue)];
  // A stripped wasm-bindgen module has no allocator names, but its exported shims lead to it.
  const behindBindgen = named.length === 0 && !facts.some((f) => hasKnownName(f)) ? allocatorsBehindBindgen(module, facts) : [];
  const byName = detectAllocators(facts, [...named, ...behindBindgen], (name) => graph.callers.get(name)?.length ?? 0);
  // No name section naming the allocator (Emscripten -O2/-O3): realloc & co. by their shape.
  const shapes = facts.some((f) => f.importModule === null && f.name in KNOWN_ALLOCATORS) ? { found: [], warnings: [] } : inferAllocatorsFromShape(module, facts, byName);
  const detected = [...byName, ...shapes.found];
  const detectedNames = new Set(detected.map((a) => a.name));
  const inner = innerAllocators(graph, detectedNames, new Set(detected.filter((a) => a.imported).map((a) => a.name)));
  const allocators = detected.filter((a) => !inner.has(a.name));
  // Frees need no call-site stack (the table looks the block up by pointer), so only the allocating
  // functions decide which functions keep one: a loop that only frees pays nothing.
  const reach = findReachingFunctions(graph, allocators.filter((a) => a.shape !== 'free' && a.shape !== 'as_free').map((a) => a.name));
  const allocatorNames = new Set(allocators.map((a) => a.name));
  // AssemblyScript: the standard library's calls and a constructor's own __new are not call sites.
  const plumbing = assemblyScriptPlumbing(allocators);

  const hooks = options.allocatorHooks === true;
  addTracerGlobalsAndImports(module, hooks);
  const sites: Site[] = [];
  let sitesWithoutOffset = 0;
  let instrumentedFunctions = 0;
  const depthLocals = new Map<string, number>();
  for (const f of facts) {
    if (f.importModule !== null || allocatorNames.has(f.name) || !reach.reaching.has(f.name)) continue;
    if (plumbing?.(f.name, null)) continue; // every call it makes is plumbing: no stack code at all
    const fn = module.getFunction(f.name);
    const binaryCalls = callsByDefinedFunction?.[f.index - importCount] ?? [];
    let next = 0;
    instrumentedFunctions++;
    const depthLocal = addShadowStack(module, fn, binaryen.getFunctionInfo(fn).results, (call) => {
      const callee = getExpressionId(call) === CALL ? (indexByName.get(callTargetName(call)) ?? -1) : -1;
      // Pair with the next original call instruction to the same callee (Binaryen drops dead code, never adds calls).
      let codeOffset = UNKNOWN;
      for (let j = next; j < binaryCalls.length; j++) {
        if (binaryCalls[j]!.callee === callee) {
          codeOffset = binaryCalls[j]!.codeOffset;
          next = j + 1;
          break;
        }
      }
      if (!isSite(call, reach)) return 0;
      if (plumbing?.(f.name, getExpressionId(call) === CALL ? callTargetName(call) : null)) return AT_ENTRY_DEPTH;
      if (codeOffset === UNKNOWN) sitesWithoutOffset++;
      sites.push({ funcIndex: f.index, codeOffset, calleeIndex: callee === -1 ? UNKNOWN : callee });
      return sites.length;
    });
    depthLocals.set(f.name, depthLocal);
  }
  healUnwinds(module, facts, hasTags, depthLocals);
  const wrapped = allocators.map((a) => ({ allocator: a, original: wrapAllocator(module, a, hooks) }));
  // Side modules (Emscripten dynamic linking) allocate through these exports without a JS call.
  const exportNamesOf = new Map(facts.map((f) => [f.name, f.exportNames]));
  for (const { allocator, original } of wrapped) {
    const names = exportNamesOf.get(allocator.name) ?? [];
    if (names.length === 0) continue;
    const untraced = addUntracedEntry(module, allocator, original);
    for (const e of names) module.addFunctionExport(untraced, `${UNTRACED_EXPORT_PREFIX}${e}`);
  }
  const originals = [
    ...wrapped,
    // Unwrapped inner allocators can give the slot block too (AssemblyScript's __alloc, behind __new).
    ...detected.filter((a) => inner.has(a.name)).map((a) => ({ allocator: a, original: a.name })),
  ];
  addInitFunction(module, originals);
  addStackStateFunctions(module);
  module.addCustomSection(SITE_TABLE_SECTION, encodeSiteTable({ maxFrames: MAX_FRAMES, originalHash, sites }));
  module.runPasses(['strip-dwarf']);

  if (!module.validate()) throw new InstrumentError('internal error: the instrumented module does not validate; please report it with the input module');
  binaryen.setDebugInfo(true);
  const bytes = module.emitBinary();
  return {
    bytes,
    sites,
    originalHash,
    report: { allocators, instrumentedFunctions, totalFunctions: facts.length, openTables: [...reach.reachingOpenTables.values()], sites: sites.length, sitesWithoutOffset, warnings: shapes.warnings, elapsedMs: 0 },
  };
}

/** Whether a function carries a known allocator name (then name-based detection applies). */
function hasKnownName(f: FunctionFacts): boolean {
  return [f.name, ...f.exportNames, f.importBase ?? ''].some((n) => n in KNOWN_ALLOCATORS);
}

function glueSpecs(glue: InstrumentOptions['glue']): AllocatorSpec[] {
  if (glue === undefined) return [];
  try {
    return allocatorsFromGlue(glue.source, glue.name);
  } catch (e) {
    throw new InstrumentError((e as Error).message);
  }
}

/** Refuses memories the trace table cannot follow, naming the feature. */
function checkMemories(memories: MemoryShape[]): void {
  if (memories.length > 1) {
    throw new InstrumentError(`the module has ${memories.length} linear memories (multi-memory): not supported yet; the tracer follows one memory's allocator`);
  }
  const memory = memories[0];
  if (memory?.shared) {
    throw new InstrumentError('the module has a shared memory (a threaded build): not supported yet; tracing allocations from several threads needs a thread-safe trace table');
  }
  if (memory?.memory64) throw new InstrumentError('memory64 modules are not supported yet (the trace table records 32-bit pointers)');
}

/**
 * What the engine's validator says is wrong with `bytes` (it names the problem and the offset;
 * Binaryen's reader only says it failed), or null if the engine accepts them.
 */
function whyInvalid(bytes: Uint8Array): string | null {
  try {
    new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
    return null;
  } catch (e) {
    return (e as Error).message.replace(/^WebAssembly\.Module\(\): /, '');
  }
}

function isSite(call: Ref, reach: Reachability): boolean {
  const id = getExpressionId(call);
  if (id === CALL) return reach.reaching.has(callTargetName(call));
  if (id === CALL_INDIRECT) {
    return reach.reachingSignatures.has(signatureKey(callIndirectGetParams(call), callIndirectGetResults(call)))
      || reach.reachingOpenTables.has(callIndirectTableName(call));
  }
  return reach.callRefReaches;
}

function functionFacts(module: binaryen.Module): FunctionFacts[] {
  const exportsByName = new Map<string, string[]>();
  for (let i = 0; i < module.getNumExports(); i++) {
    const e = binaryen.getExportInfo(module.getExportByIndex(i));
    if (e.kind !== binaryen.ExternalFunction) continue;
    const list = exportsByName.get(e.value) ?? [];
    list.push(e.name);
    exportsByName.set(e.value, list);
  }
  const facts: FunctionFacts[] = [];
  for (let i = 0; i < module.getNumFunctions(); i++) {
    const info = binaryen.getFunctionInfo(module.getFunctionByIndex(i));
    const params = binaryen.expandType(info.params);
    const results = binaryen.expandType(info.results);
    facts.push({
      name: info.name,
      index: i,
      importModule: info.module || null,
      importBase: info.module ? info.base : null,
      exportNames: exportsByName.get(info.name) ?? [],
      paramCount: params.length,
      resultCount: results.length,
      allI32: [...params, ...results].every((t) => t === binaryen.i32),
    });
  }
  return facts;
}

/**
 * `__tracemalloc_init()`: takes the slot block from the program's own (unwrapped) allocator,
 * twice its size so that an aligned block fits inside, and points the shadow stack at it.
 */
function addInitFunction(module: binaryen.Module, originals: Array<{ allocator: AllocatorFunction; original: string }>): void {
  const i32 = binaryen.i32;
  const request = 2 * SLOT_BLOCK_BYTES;
  const pick = (shape: string): string | undefined => originals.find((o) => o.allocator.shape === shape)?.original;
  let allocate: Ref;
  const viaMalloc = pick('malloc') ?? pick('rust_alloc');
  const viaAligned = pick('aligned_alloc');
  const viaCalloc = pick('calloc');
  if (viaMalloc !== undefined) {
    const isRust = viaMalloc === pick('rust_alloc') && pick('malloc') === undefined;
    allocate = module.call(viaMalloc, isRust ? [module.i32.const(request), module.i32.const(16)] : [module.i32.const(request)], i32);
  } else if (viaAligned !== undefined) {
    allocate = module.call(viaAligned, [module.i32.const(16), module.i32.const(request)], i32);
  } else if (viaCalloc !== undefined) {
    allocate = module.call(viaCalloc, [module.i32.const(1), module.i32.const(request)], i32);
  } else {
    throw new InstrumentError('the module has no malloc-like function to take the shadow-stack block from; name one with --malloc');
  }
  const block = 0;
  module.addFunction(
    INIT_EXPORT,
    binaryen.none,
    i32,
    [i32],
    module.block(null, [
      module.if(module.global.get(G_MASK, i32), module.return(module.i32.const(1))),
      module.local.set(block, allocate),
      module.if(module.i32.eqz(module.local.get(block, i32)), module.return(module.i32.const(0))),
      module.global.set(
        G_BASE,
        module.i32.and(module.i32.add(module.local.get(block, i32), module.i32.const(SLOT_BLOCK_BYTES - 1)), module.i32.const(-SLOT_BLOCK_BYTES)),
      ),
      module.global.set(G_MASK, module.i32.const(SLOT_BLOCK_BYTES - 1)),
      module.i32.const(1),
    ], i32),
  );
  module.addFunctionExport(INIT_EXPORT, INIT_EXPORT);
  module.addFunction(SLOT_BYTES_EXPORT, binaryen.none, i32, [], module.i32.const(request));
  module.addFunctionExport(SLOT_BYTES_EXPORT, SLOT_BYTES_EXPORT);
}

/**
 * `__tracemalloc_stack_state() → depth | guard` and `__tracemalloc_stack_restore(state)`: what
 * the host needs to put the shadow stack back after an exception unwound Wasm frames.
 */
function addStackStateFunctions(module: binaryen.Module): void {
  const i32 = binaryen.i32;
  const state = module.i32.or(module.global.get(G_DEPTH, i32), module.global.get(G_GUARD, i32));
  module.addFunction(STACK_STATE_EXPORT, binaryen.none, i32, [], state);
  module.addFunctionExport(STACK_STATE_EXPORT, STACK_STATE_EXPORT);
  const saved = (): number => module.local.get(0, i32);
  module.addFunction(STACK_RESTORE_EXPORT, i32, binaryen.none, [], module.block(null, [
    module.global.set(G_DEPTH, module.i32.and(saved(), module.i32.const(-4))),
    module.global.set(G_GUARD, module.i32.and(saved(), module.i32.const(3))),
  ]));
  module.addFunctionExport(STACK_RESTORE_EXPORT, STACK_RESTORE_EXPORT);
}

function checkIsWasmModule(bytes: Uint8Array): void {
  const magic = [0x00, 0x61, 0x73, 0x6d];
  if (bytes.length < 4 || magic.some((b, i) => bytes[i] !== b)) {
    throw new InstrumentError('not a WebAssembly module: the file does not start with the bytes "\\0asm"');
  }
  if (bytes.length < 8) {
    throw new InstrumentError(`the module is truncated: it ends after ${bytes.length} bytes, inside the 8-byte WebAssembly header`);
  }
  const version = bytes[4]! | (bytes[5]! << 8);
  const layer = bytes[6]! | (bytes[7]! << 8);
  if (layer === 1) throw new InstrumentError('this is a WebAssembly component, not a core module; instrument the core module inside it');
  if (version !== 1) throw new InstrumentError(`unsupported WebAssembly binary version ${version} (expected 1)`);
}
