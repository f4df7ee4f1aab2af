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

/**
 * A getter of the name an expression refers to, through the raw C getter `_Binaryen<rawName>`
 * (a C string pointer) and binaryen.js's decoding one. Binaryen interns names, so the pointer
 * identifies the name and each distinct name is decoded to a JS string once.
 */
function internedName(rawName: string, decode: (expr: Ref) => string): (expr: Ref) => string {
  const getPointer = rawFunction(rawName);
  const names = new Map<number, string>();
  return (expr) => {
    const pointer = getPointer(expr);
    let name = names.get(pointer);
    if (name === undefined) {
      name = decode(expr);
      names.set(pointer, name);
    }
    return name;
  };
}

// binaryen.js has these wrapper classes at run time; its typings do not declare them.
const wrappers = binaryen as unknown as {
  Call: { getTarget(call: Ref): string };
  CallIndirect: { getTable(call: Ref): string };
  RefFunc: { getFunc(expr: Ref): string };
};

/** Name of the function a direct call targets. */
export const callTargetName = internedName('CallGetTarget', (call) => wrappers.Call.getTarget(call));

/** Name of the table a call_indirect goes through. */
export const callIndirectTableName = internedName('CallIndirectGetTable', (call) => wrappers.CallIndirect.getTable(call));

/** Name of the function a ref.func refers to. */
export const refFuncName = internedName('RefFuncGetFunc', (expr) => wrappers.RefFunc.getFunc(expr));
