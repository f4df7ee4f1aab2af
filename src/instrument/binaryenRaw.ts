/**
 * Typed access to binaryen.js's raw C API.
 *
 * The wrapper classes of binaryen.js (`getExpressionInfo`, `binaryen.Block`, ...) build a JS
 * object per call and throw on some expression kinds; walking a large module through them
 * is ~20× slower (DESIGN.md). The raw `_Binaryen*` exports take and return plain numbers.
 */
import binaryen from 'binaryen';

/** An expression, function or global reference: a pointer into Binaryen's heap. */
export type Ref = number;

type RawFn = (...args: number[]) => number;

const raw = binaryen as unknown as Record<string, RawFn | number | undefined>;

/** The raw C API function `_Binaryen<name>`; throws at load time if this binaryen lacks it. */
export function rawFunction(name: string): RawFn {
  const fn = raw[`_Binaryen${name}`];
  if (typeof fn !== 'function') {
    throw new Error(`binaryen.js has no _Binaryen${name}: this binaryen version is not supported`);
  }
  return fn;
}

/** Numeric expression id of the kind `name` (e.g. 'Call' → binaryen.CallId). */
export function expressionId(name: string): number {
  const id = raw[`${name}Id`];
  if (typeof id !== 'number') throw new Error(`binaryen.js has no ${name}Id`);
  return id;
}

export const getExpressionId = rawFunction('ExpressionGetId');
export const getExpressionType = rawFunction('ExpressionGetType');
export const functionGetBody = rawFunction('FunctionGetBody');
export const functionSetBody = rawFunction('FunctionSetBody');
export const functionAddVar = rawFunction('FunctionAddVar');
export const callIsReturn = rawFunction('CallIsReturn');
export const callGetNumOperands = rawFunction('CallGetNumOperands');
export const callGetOperandAt = rawFunction('CallGetOperandAt');
export const callSetOperandAt = rawFunction('CallSetOperandAt');
export const callIndirectIsReturn = rawFunction('CallIndirectIsReturn');
export const callIndirectGetParams = rawFunction('CallIndirectGetParams');
export const callIndirectGetResults = rawFunction('CallIndirectGetResults');
export const returnGetValue = rawFunction('ReturnGetValue');
export const returnSetValue = rawFunction('ReturnSetValue');

const callTargetNames = new Map<number, string>();
// binaryen.js has the Call wrapper class at run time; its typings do not declare it.
const callWrapper = (binaryen as unknown as { Call: { getTarget(call: Ref): string } }).Call;
const rawCallGetTarget = rawFunction('CallGetTarget');

/**
 * Name of the function a direct call targets. Binaryen interns names, so the C string pointer
 * identifies the name and each distinct name is decoded to a JS string once.
 */
export function callTargetName(call: Ref): string {
  const pointer = rawCallGetTarget(call);
  let name = callTargetNames.get(pointer);
  if (name === undefined) {
    name = callWrapper.getTarget(call);
    callTargetNames.set(pointer, name);
  }
  return name;
}

const refFuncWrapper = (binaryen as unknown as { RefFunc: { getFunc(expr: Ref): string } }).RefFunc;

/** Name of the function a ref.func refers to. */
export function refFuncName(expr: Ref): string {
  return refFuncWrapper.getFunc(expr);
}

const tableNames = new Map<number, string>();
const callIndirectWrapper = (binaryen as unknown as { CallIndirect: { getTable(call: Ref): string } }).CallIndirect;
const rawCallIndirectGetTable = rawFunction('CallIndirectGetTable');

/** Name of the table a call_indirect goes through (decoded once per interned name, as callTargetName). */
export function callIndirectTableName(call: Ref): string {
  const pointer = rawCallIndirectGetTable(call);
  let name = tableNames.get(pointer);
  if (name === undefined) {
    name = callIndirectWrapper.getTable(call);
    tableNames.set(pointer, name);
  }
  return name;
}
