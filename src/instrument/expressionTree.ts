/**
 * Children of Binaryen expressions, in evaluation order, with a way to replace each one.
 *
 * A rewrite that puts code around an expression needs the expression's parent and the slot
 * it sits in: binaryen.js has no generic "replace this expression". This table lists, for each
 * expression kind that can contain a call, its child slots as raw getter/setter pairs, in the
 * order the Wasm binary evaluates them (so that a post-order walk meets calls in the same order
 * as the original code section; `siteOffsets.ts` relies on that).
 *
 * Kinds without an entry have no children that can hold a call in the code the supported
 * toolchains emit (GC and string proposals are refused earlier by `features.ts`).
 */
import { expressionId, rawFunction, getExpressionId, type Ref } from './binaryenRaw.js';

/** One child position of an expression. */
interface FixedSlot {
  get: (expr: Ref) => Ref;
  set: (expr: Ref, child: Ref) => void;
}

/** A variable-length list of children (block children, call operands). */
interface ListSlot {
  count: (expr: Ref) => number;
  get: (expr: Ref, index: number) => Ref;
  set: (expr: Ref, index: number, child: Ref) => void;
}

type Slot = FixedSlot | ListSlot;

function fixed(kind: string, field: string): FixedSlot {
  const get = rawFunction(`${kind}Get${field}`);
  const set = rawFunction(`${kind}Set${field}`);
  return { get: (e) => get(e), set: (e, c) => void set(e, c) };
}

function list(kind: string, countName: string, field: string): ListSlot {
  const count = rawFunction(`${kind}GetNum${countName}`);
  const get = rawFunction(`${kind}Get${field}At`);
  const set = rawFunction(`${kind}Set${field}At`);
  return { count: (e) => count(e), get: (e, i) => get(e, i), set: (e, i, c) => void set(e, i, c) };
}

/** Child slots per expression kind, in evaluation order. */
const SLOTS_BY_KIND: ReadonlyArray<readonly [string, () => Slot[]]> = [
  ['Block', () => [list('Block', 'Children', 'Child')]],
  ['If', () => [fixed('If', 'Condition'), fixed('If', 'IfTrue'), fixed('If', 'IfFalse')]],
  ['Loop', () => [fixed('Loop', 'Body')]],
  ['Break', () => [fixed('Break', 'Value'), fixed('Break', 'Condition')]],
  ['Switch', () => [fixed('Switch', 'Value'), fixed('Switch', 'Condition')]],
  ['Call', () => [list('Call', 'Operands', 'Operand')]],
  ['CallIndirect', () => [list('CallIndirect', 'Operands', 'Operand'), fixed('CallIndirect', 'Target')]],
  ['CallRef', () => [list('CallRef', 'Operands', 'Operand'), fixed('CallRef', 'Target')]],
  ['LocalSet', () => [fixed('LocalSet', 'Value')]],
  ['GlobalSet', () => [fixed('GlobalSet', 'Value')]],
  ['Load', () => [fixed('Load', 'Ptr')]],
  ['Store', () => [fixed('Store', 'Ptr'), fixed('Store', 'Value')]],
  ['Unary', () => [fixed('Unary', 'Value')]],
  ['Binary', () => [fixed('Binary', 'Left'), fixed('Binary', 'Right')]],
  ['Select', () => [fixed('Select', 'IfTrue'), fixed('Select', 'IfFalse'), fixed('Select', 'Condition')]],
  ['Drop', () => [fixed('Drop', 'Value')]],
  ['Return', () => [fixed('Return', 'Value')]],
  ['MemoryGrow', () => [fixed('MemoryGrow', 'Delta')]],
  ['AtomicRMW', () => [fixed('AtomicRMW', 'Ptr'), fixed('AtomicRMW', 'Value')]],
  ['AtomicCmpxchg', () => [fixed('AtomicCmpxchg', 'Ptr'), fixed('AtomicCmpxchg', 'Expected'), fixed('AtomicCmpxchg', 'Replacement')]],
  ['AtomicWait', () => [fixed('AtomicWait', 'Ptr'), fixed('AtomicWait', 'Expected'), fixed('AtomicWait', 'Timeout')]],
  ['AtomicNotify', () => [fixed('AtomicNotify', 'Ptr'), fixed('AtomicNotify', 'NotifyCount')]],
  ['SIMDExtract', () => [fixed('SIMDExtract', 'Vec')]],
  ['SIMDReplace', () => [fixed('SIMDReplace', 'Vec'), fixed('SIMDReplace', 'Value')]],
  ['SIMDShuffle', () => [fixed('SIMDShuffle', 'Left'), fixed('SIMDShuffle', 'Right')]],
  ['SIMDTernary', () => [fixed('SIMDTernary', 'A'), fixed('SIMDTernary', 'B'), fixed('SIMDTernary', 'C')]],
  ['SIMDShift', () => [fixed('SIMDShift', 'Vec'), fixed('SIMDShift', 'Shift')]],
  ['SIMDLoad', () => [fixed('SIMDLoad', 'Ptr')]],
  ['SIMDLoadStoreLane', () => [fixed('SIMDLoadStoreLane', 'Ptr'), fixed('SIMDLoadStoreLane', 'Vec')]],
  ['MemoryInit', () => [fixed('MemoryInit', 'Dest'), fixed('MemoryInit', 'Offset'), fixed('MemoryInit', 'Size')]],
  ['MemoryCopy', () => [fixed('MemoryCopy', 'Dest'), fixed('MemoryCopy', 'Source'), fixed('MemoryCopy', 'Size')]],
  ['MemoryFill', () => [fixed('MemoryFill', 'Dest'), fixed('MemoryFill', 'Value'), fixed('MemoryFill', 'Size')]],
  ['RefIsNull', () => [fixed('RefIsNull', 'Value')]],
  ['RefAs', () => [fixed('RefAs', 'Value')]],
  ['RefEq', () => [fixed('RefEq', 'Left'), fixed('RefEq', 'Right')]],
  ['TableGet', () => [fixed('TableGet', 'Index')]],
  ['TableSet', () => [fixed('TableSet', 'Index'), fixed('TableSet', 'Value')]],
  ['TableGrow', () => [fixed('TableGrow', 'Value'), fixed('TableGrow', 'Delta')]],
  ['Try', () => [fixed('Try', 'Body'), list('Try', 'CatchBodies', 'CatchBody')]],
  ['Throw', () => [list('Throw', 'Operands', 'Operand')]],
  ['TupleMake', () => [list('TupleMake', 'Operands', 'Operand')]],
  ['TupleExtract', () => [fixed('TupleExtract', 'Tuple')]],
];

const slotsById = new Map<number, Slot[]>();
for (const [kind, make] of SLOTS_BY_KIND) slotsById.set(expressionId(kind), make());

/** Where an expression sits: its parent and how to put another expression in its place. */
export interface Placement {
  parent: Ref;
  replace(newChild: Ref): void;
}

function isList(slot: Slot): slot is ListSlot {
  return 'count' in slot;
}

/**
 * Calls `visit(expr, placement)` for every expression under `root` (root included, with a
 * placement that sets the function body through `replaceRoot`), children before parents,
 * in evaluation order. Iterative: Binaryen trees of real modules nest thousands deep.
 */
export function walkPostOrder(
  root: Ref,
  replaceRoot: (newRoot: Ref) => void,
  visit: (expr: Ref, placement: Placement) => void,
): void {
  if (root === 0) return;
  // Each frame: an expression, its placement, and the flat list of its children (filled on first visit).
  interface Frame {
    expr: Ref;
    placement: Placement;
    children: Array<[Ref, Placement]> | null;
    next: number;
  }
  const stack: Frame[] = [{ expr: root, placement: { parent: 0, replace: replaceRoot }, children: null, next: 0 }];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (frame.children === null) frame.children = childrenOf(frame.expr);
    if (frame.next < frame.children.length) {
      const [child, placement] = frame.children[frame.next++]!;
      stack.push({ expr: child, placement, children: null, next: 0 });
    } else {
      stack.pop();
      visit(frame.expr, frame.placement);
    }
  }
}

/** The non-null children of `expr` with their placements, in evaluation order. */
export function childrenOf(expr: Ref): Array<[Ref, Placement]> {
  const slots = slotsById.get(getExpressionId(expr));
  const out: Array<[Ref, Placement]> = [];
  if (slots === undefined) return out;
  for (const slot of slots) {
    if (isList(slot)) {
      const n = slot.count(expr);
      for (let i = 0; i < n; i++) {
        const child = slot.get(expr, i);
        if (child !== 0) out.push([child, { parent: expr, replace: (c) => slot.set(expr, i, c) }]);
      }
    } else {
      const child = slot.get(expr);
      if (child !== 0) out.push([child, { parent: expr, replace: (c) => slot.set(expr, c) }]);
    }
  }
  return out;
}
