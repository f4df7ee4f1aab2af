// Comparing our frames with LLVM's.

import type { SymbolFrame } from '../../../src/symbols/index.js';
import { type LlvmFrame, sameFunctionName } from './llvm.js';

/** Why `ours` differs from LLVM's frame, or undefined when they agree. */
export function frameDifference(ours: SymbolFrame, llvm: LlvmFrame): string | undefined {
  if (ours.origin === 'names') {
    // we show no line where LLVM has none (line 0, or no line table row at all)
    return llvm.line === 0 || llvm.file === '??' ? undefined : `names frame where LLVM has ${llvm.file}:${llvm.line}`;
  }
  if (ours.filename !== llvm.file) return `file ${ours.filename} ≠ ${llvm.file}`;
  if (ours.lineno !== llvm.line) return `line ${ours.lineno} ≠ ${llvm.line}`;
  if ((ours.column ?? 0) !== llvm.column) return `column ${ours.column ?? 0} ≠ ${llvm.column}`;
  if (!sameFunctionName(ours.functionName, llvm.function) && !templateCtorParamsDropped(ours.functionName, llvm.function)) {
    return `function ${ours.functionName} ≠ ${llvm.function}`;
  }
  return undefined;
}

/** Why two stacks differ (innermost first), or undefined. */
export function stackDifference(ours: readonly SymbolFrame[], llvm: LlvmFrame[]): string | undefined {
  if (llvm.length === 0) return ours.every((f) => f.origin === 'names') ? undefined : 'LLVM has no frame';
  if (ours.length !== llvm.length) return `${ours.length} frames ≠ LLVM's ${llvm.length}`;
  for (let i = 0; i < ours.length; i++) {
    const d = frameDifference(ours[i]!, llvm[i]!);
    if (d) return `frame ${i}: ${d}`;
  }
  return undefined;
}

/**
 * A known cpp_demangle (gecko-profiler-demangle) deviation: a constructor with its own template
 * arguments (`C2IDnEEPKc`) is printed with `()` instead of its parameters.
 */
function templateCtorParamsDropped(ours: string, llvm: string): boolean {
  if (!ours.endsWith('>()')) return false;
  const open = llvm.lastIndexOf('>(');
  return open > 0 && sameFunctionName(ours.slice(0, -2), llvm.slice(0, open + 1));
}
