/**
 * Which functions can reach the allocator.
 *
 * Only those carry shadow-stack code (DESIGN.md: "only functions that can reach the allocator
 * pay"). Edges: direct calls; indirect calls, which may reach any table function of the same
 * signature; and imports that may call back into the module's exports (anything but WASI),
 * which reach the allocator as soon as one export does.
 */
import binaryen from 'binaryen';
import { walkPostOrder } from './expressionTree.js';
import {
  callIndirectGetParams,
  callIndirectGetResults,
  callTargetName,
  expressionId,
  functionGetBody,
  getExpressionId,
  type Ref,
} from './binaryenRaw.js';

const CALL = expressionId('Call');
const CALL_INDIRECT = expressionId('CallIndirect');
const CALL_REF = expressionId('CallRef');

/** Import modules whose functions never call back into the module. */
const NON_REENTRANT_IMPORT_MODULES = new Set(['wasi_snapshot_preview1', 'wasi_unstable', 'tracemalloc']);

/** Key of a function signature, as used to match call_indirect with table entries. */
export function signatureKey(params: number, results: number): string {
  return `${params}:${results}`;
}

interface FunctionCalls {
  direct: Set<string>;
  indirectSignatures: Set<string>;
  callsRef: boolean;
}

/** The reachability result. */
export interface Reachability {
  /** Functions (internal names) that can reach an allocator, allocators included. */
  reaching: Set<string>;
  /** Signatures of call_indirect that can reach an allocator. */
  reachingSignatures: Set<string>;
  /** Whether a call_ref can reach an allocator (some table function does). */
  callRefReaches: boolean;
}

/** Computes the functions of `module` that can reach any of `allocators`. */
export function findReachingFunctions(module: binaryen.Module, allocators: Iterable<string>): Reachability {
  const calls = new Map<string, FunctionCalls>();
  const callers = new Map<string, string[]>();
  const signatureCallers = new Map<string, string[]>();
  const callRefCallers: string[] = [];
  const reentrantImports: string[] = [];
  const exported = new Set<string>();
  const tableSignature = new Map<string, string>();

  for (let i = 0; i < module.getNumFunctions(); i++) {
    const info = binaryen.getFunctionInfo(module.getFunctionByIndex(i));
    if (info.module) {
      if (!NON_REENTRANT_IMPORT_MODULES.has(info.module)) reentrantImports.push(info.name);
      continue;
    }
    const c: FunctionCalls = { direct: new Set(), indirectSignatures: new Set(), callsRef: false };
    calls.set(info.name, c);
    const body = functionGetBody(module.getFunctionByIndex(i));
    walkPostOrder(body, () => undefined, (expr: Ref) => {
      const id = getExpressionId(expr);
      if (id === CALL) c.direct.add(callTargetName(expr));
      else if (id === CALL_INDIRECT) c.indirectSignatures.add(signatureKey(callIndirectGetParams(expr), callIndirectGetResults(expr)));
      else if (id === CALL_REF) c.callsRef = true;
    });
    for (const callee of c.direct) push(callers, callee, info.name);
    for (const sig of c.indirectSignatures) push(signatureCallers, sig, info.name);
    if (c.callsRef) callRefCallers.push(info.name);
  }
  for (let i = 0; i < module.getNumExports(); i++) {
    const e = binaryen.getExportInfo(module.getExportByIndex(i));
    if (e.kind === binaryen.ExternalFunction) exported.add(e.value);
  }
  for (let i = 0; i < module.getNumElementSegments(); i++) {
    const seg = binaryen.getElementSegmentInfo(module.getElementSegmentByIndex(i));
    for (const name of seg.data) {
      const info = binaryen.getFunctionInfo(module.getFunction(name));
      tableSignature.set(name, signatureKey(info.params, info.results));
    }
  }

  const reaching = new Set<string>();
  const reachingSignatures = new Set<string>();
  let callRefReaches = false;
  let exportsReach = false;
  const work: string[] = [];
  const mark = (name: string): void => {
    if (reaching.has(name)) return;
    reaching.add(name);
    work.push(name);
  };
  for (const a of allocators) mark(a);
  while (work.length > 0) {
    const f = work.pop()!;
    for (const caller of callers.get(f) ?? []) mark(caller);
    const sig = tableSignature.get(f);
    if (sig !== undefined && !reachingSignatures.has(sig)) {
      reachingSignatures.add(sig);
      for (const caller of signatureCallers.get(sig) ?? []) mark(caller);
      if (!callRefReaches) {
        callRefReaches = true;
        for (const caller of callRefCallers) mark(caller);
      }
    }
    if (exported.has(f) && !exportsReach) {
      exportsReach = true;
      for (const imp of reentrantImports) mark(imp);
    }
  }
  return { reaching, reachingSignatures, callRefReaches };
}

function push(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
