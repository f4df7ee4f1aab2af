/**
 * Which functions can reach the allocator.
 *
 * Only those carry shadow-stack code (DESIGN.md: "only functions that can reach the allocator
 * pay"). Edges: direct calls; indirect calls, which may reach any table function of the same
 * signature; and imports that may call back into the module's exports (anything but WASI),
 * which reach the allocator as soon as one export does.
 *
 * A table that is imported or exported is open: the outside world may put into it functions the
 * module never saw (Emscripten's addFunction, a side module's functions), of any signature, and
 * may call the module's functions it holds. So a call_indirect through an open table, and a
 * call_ref (its reference may come from outside), is treated as an import that may re-enter;
 * and a function in an open table is an entry, as an export is. Without this, an allocation made
 * from such a callee took its caller's previous call site as its own frame.
 *
 * A function whose reference the code takes (ref.func, in a body or a global's initializer)
 * can be put into any table with table.set or called by call_ref, so it counts as a table
 * function, as those in element segments do.
 */
import binaryen from 'binaryen';
import { walkPostOrder } from './expressionTree.js';
import {
  callIndirectGetParams,
  callIndirectTableName,
  callIndirectGetResults,
  callTargetName,
  expressionId,
  functionGetBody,
  getExpressionId,
  refFuncName,
  type Ref,
} from './binaryenRaw.js';

const CALL = expressionId('Call');
const CALL_INDIRECT = expressionId('CallIndirect');
const CALL_REF = expressionId('CallRef');
const REF_FUNC = expressionId('RefFunc');

/** Import modules whose functions never call back into the module. */
const NON_REENTRANT_IMPORT_MODULES = new Set(['wasi_snapshot_preview1', 'wasi_unstable', 'tracemalloc']);

/** Key of a function signature, as used to match call_indirect with table entries. */
export function signatureKey(params: number, results: number): string {
  return `${params}:${results}`;
}

/** Who calls whom in a module, as far as reachability needs it. */
export interface CallGraph {
  /** Direct callers of each function (internal names). */
  callers: Map<string, string[]>;

  /** Functions making a call_indirect with each signature. */
  signatureCallers: Map<string, string[]>;
  /** Functions making a call_ref. */
  callRefCallers: string[];
  /** Tables the outside world can see (imported or exported), each with the name a user knows it by: its export name, else `module.base` of its import. */
  openTables: Map<string, string>;
  /** Functions making a call_indirect through an open table. */
  openTableCallers: string[];
  /** Functions placed in an open table: callable from outside, as exports are. */
  openTableFunctions: Set<string>;
  /** Imported functions that may call back into the module. */
  reentrantImports: string[];
  /** Functions exported by the module. */
  exported: Set<string>;
  /** Signature of each function placed in a table or whose reference is taken (reachable by call_indirect and call_ref). */
  tableSignature: Map<string, string>;
}

/** Builds the call graph of `module` (one walk over every function body). */
export function buildCallGraph(module: binaryen.Module): CallGraph {
  const graph: CallGraph = {
    callers: new Map(),

    signatureCallers: new Map(),
    callRefCallers: [],
    openTables: new Map(),
    openTableCallers: [],
    openTableFunctions: new Set(),
    reentrantImports: [],
    exported: new Set(),
    tableSignature: new Map(),
  };
  for (let i = 0; i < module.getNumTables(); i++) {
    const table = binaryen.getTableInfo(module.getTableByIndex(i));
    if (table.module) graph.openTables.set(table.name, `${table.module}.${table.base}`);
  }
  for (let i = 0; i < module.getNumExports(); i++) {
    const e = binaryen.getExportInfo(module.getExportByIndex(i));
    if (e.kind === binaryen.ExternalFunction) graph.exported.add(e.value);
    else if (e.kind === binaryen.ExternalTable) graph.openTables.set(e.value, e.name);
  }
  const addressTaken = new Set<string>();
  for (let i = 0; i < module.getNumGlobals(); i++) {
    const init = binaryen.getGlobalInfo(module.getGlobalByIndex(i)).init;
    if (init === 0) continue; // an imported global
    walkPostOrder(init, () => undefined, (expr: Ref) => {
      if (getExpressionId(expr) === REF_FUNC) addressTaken.add(refFuncName(expr));
    });
  }
  for (let i = 0; i < module.getNumFunctions(); i++) {
    const ref = module.getFunctionByIndex(i);
    const info = binaryen.getFunctionInfo(ref);
    if (info.module) {
      if (!NON_REENTRANT_IMPORT_MODULES.has(info.module)) graph.reentrantImports.push(info.name);
      continue;
    }
    const direct = new Set<string>();
    const signatures = new Set<string>();
    let callsRef = false;
    let callsOpenTable = false;
    walkPostOrder(functionGetBody(ref), () => undefined, (expr: Ref) => {
      const id = getExpressionId(expr);
      if (id === CALL) direct.add(callTargetName(expr));
      else if (id === REF_FUNC) addressTaken.add(refFuncName(expr));
      else if (id === CALL_INDIRECT) {
        signatures.add(signatureKey(callIndirectGetParams(expr), callIndirectGetResults(expr)));
        if (graph.openTables.has(callIndirectTableName(expr))) callsOpenTable = true;
      } else if (id === CALL_REF) callsRef = true;
    });
    for (const callee of direct) push(graph.callers, callee, info.name);

    for (const sig of signatures) push(graph.signatureCallers, sig, info.name);
    if (callsRef) graph.callRefCallers.push(info.name);
    if (callsOpenTable) graph.openTableCallers.push(info.name);
  }
  for (let i = 0; i < module.getNumElementSegments(); i++) {
    const seg = binaryen.getElementSegmentInfo(module.getElementSegmentByIndex(i));
    const open = graph.openTables.has(seg.table);
    for (const name of seg.data) {
      const info = binaryen.getFunctionInfo(module.getFunction(name));
      graph.tableSignature.set(name, signatureKey(info.params, info.results));
      if (open) graph.openTableFunctions.add(name);
    }
  }
  for (const name of addressTaken) {
    if (graph.tableSignature.has(name)) continue;
    const info = binaryen.getFunctionInfo(module.getFunction(name));
    graph.tableSignature.set(name, signatureKey(info.params, info.results));
  }
  return graph;
}

/**
 * The allocator functions reached only from inside the allocator (wasi-libc's `dlmalloc` behind
 * `malloc`, and behind `internal_memalign` behind `posix_memalign`): neither exported, nor in a
 * table, nor imported, and called only by allocator functions or by functions that are
 * themselves called only from inside the allocator. They need no wrapper: an outer one reports.
 */
export function innerAllocators(graph: CallGraph, allocators: Set<string>, imported: Set<string>): Set<string> {
  const entry = (f: string): boolean => imported.has(f) || graph.exported.has(f) || graph.tableSignature.has(f);
  // Grow the set of functions only called from inside the allocator until it stops changing.
  const inside = new Set(allocators);
  const onlyFromInside = (f: string): boolean => {
    const callers = graph.callers.get(f) ?? [];
    return !entry(f) && callers.length > 0 && callers.every((c) => inside.has(c) && c !== f);
  };
  const internal = new Set<string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const [callee] of graph.callers) {
      if (inside.has(callee) || !onlyFromInside(callee)) continue;
      inside.add(callee);
      internal.add(callee);
      changed = true;
    }
  }
  const inner = new Set<string>();
  for (const a of allocators) {
    const callers = graph.callers.get(a) ?? [];
    if (!entry(a) && callers.length > 0 && callers.every((c) => allocators.has(c) || internal.has(c))) inner.add(a);
  }
  return inner;
}

/** The reachability result. */
export interface Reachability {
  /** Functions (internal names) that can reach an allocator, allocators included. */
  reaching: Set<string>;
  /** Signatures of call_indirect that can reach an allocator. */
  reachingSignatures: Set<string>;
  /** Whether a call_ref can reach an allocator (some table function does, or the outside world may re-enter). */
  callRefReaches: boolean;
  /** Open tables (see the top of this file) whose every call_indirect can reach an allocator, with their user-facing names. */
  reachingOpenTables: ReadonlyMap<string, string>;
}

/** Computes the functions that can reach any of `allocators`. */
export function findReachingFunctions(graph: CallGraph, allocators: Iterable<string>): Reachability {
  const reaching = new Set<string>();
  const reachingSignatures = new Set<string>();
  let callRefReaches = false;
  let entriesReach = false;
  const work: string[] = [];
  const mark = (name: string): void => {
    if (reaching.has(name)) return;
    reaching.add(name);
    work.push(name);
  };
  const callRefReach = (): void => {
    if (callRefReaches) return;
    callRefReaches = true;
    for (const caller of graph.callRefCallers) mark(caller);
  };
  for (const a of allocators) mark(a);
  while (work.length > 0) {
    const f = work.pop()!;
    for (const caller of graph.callers.get(f) ?? []) mark(caller);
    const sig = graph.tableSignature.get(f);
    if (sig !== undefined && !reachingSignatures.has(sig)) {
      reachingSignatures.add(sig);
      for (const caller of graph.signatureCallers.get(sig) ?? []) mark(caller);
      callRefReach();
    }
    // The outside world reaches the allocator through f: whatever it may call can re-enter.
    if ((graph.exported.has(f) || graph.openTableFunctions.has(f)) && !entriesReach) {
      entriesReach = true;
      for (const imp of graph.reentrantImports) mark(imp);
      for (const caller of graph.openTableCallers) mark(caller);
      callRefReach();
    }
  }
  return { reaching, reachingSignatures, callRefReaches, reachingOpenTables: entriesReach ? graph.openTables : new Map() };
}

function push(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
