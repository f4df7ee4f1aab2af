// The bits of Python's text formatting that tracemalloc's output depends on, ported so that
// our strings are byte-for-byte the strings CPython prints:
//   - `_format_size(size, sign)` from Lib/tracemalloc.py (units, thresholds, sign handling);
//   - `'%.Nf'` / `'%+.Nf'` (correct rounding, ties to even: '%.0f' % 2.5 == '2', while
//     JavaScript's (2.5).toFixed(0) is '3');
//   - `str.strip()` (Python's whitespace set, which is not JavaScript's `trim()` set);
//   - `repr(str)` for error messages.

/** Units of `_format_size`, smallest first. */
const SIZE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/**
 * Port of CPython's `tracemalloc._format_size(size, sign)`: "12.3 KiB", "+1024 B", "-2 MiB".
 * Below 10 KiB the size is printed in bytes with no decimals; above, in the first unit where it
 * is below 100 with one decimal, or below 10240 with none; TiB is the last unit.
 */
export function formatSize(size: number, sign: boolean): string {
  for (const unit of SIZE_UNITS) {
    if (Math.abs(size) < 100 && unit !== 'B') {
      // 3 digits (xx.x UNIT)
      return `${pyFixed(size, 1, sign)} ${unit}`;
    }
    if (Math.abs(size) < 10 * 1024 || unit === 'TiB') {
      // 4 or 5 digits (xxxx UNIT)
      return `${pyFixed(size, 0, sign)} ${unit}`;
    }
    size /= 1024;
  }
  /* c8 ignore next */
  throw new Error('unreachable: TiB is the last unit');
}

/**
 * Python's `'%.{digits}f' % x` (or `'%+.{digits}f'` when `plus`), for digits 0 or 1.
 * The result is the correctly rounded decimal of the exact binary value, ties to even;
 * `-0.0` and negatives rounding to zero keep their minus sign, as in C's printf.
 */
export function pyFixed(x: number, digits: 0 | 1, plus: boolean): string {
  if (Number.isNaN(x)) return plus ? '+nan' : 'nan';
  const negative = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  if (a === Infinity) return `${negative ? '-' : plus ? '+' : ''}inf`;
  let body: string;
  if (isTie(a, digits)) {
    // a * 10^digits lies exactly halfway between two integers: take the even one.
    const scaled = digits === 0 ? a : a * 10; // exact: a = m/4 with small m (see isTie)
    const low = Math.floor(scaled);
    const n = low % 2 === 0 ? low : low + 1;
    body = digits === 0 ? String(n) : `${Math.floor(n / 10)}.${n % 10}`;
  } else {
    // Not a tie: toFixed picks the nearest decimal of the exact value, as printf does.
    body = a.toFixed(digits);
  }
  return `${negative ? '-' : plus ? '+' : ''}${body}`;
}

/**
 * Whether `a * 10^digits` (a ≥ 0, a double) is exactly an integer plus one half.
 * digits 0: a - floor(a) is computed exactly, so compare with 0.5.
 * digits 1: 10a = k + 1/2 means a = (2k+1)/20; a double is dyadic, so 5 must divide 2k+1 and
 * a = m/4 with m odd — exactly when 4a (an exact scaling) is an odd integer.
 */
function isTie(a: number, digits: 0 | 1): boolean {
  if (a >= 2 ** 50) return false; // no fractional part left to round
  if (digits === 0) return a - Math.floor(a) === 0.5;
  const q = a * 4;
  return Number.isInteger(q) && q % 2 === 1;
}

/** Python's `'%+i' % n` / `'%i' % n` for an integer. */
export function pyInt(n: number, plus: boolean): string {
  const s = String(Math.trunc(n) === 0 ? 0 : Math.trunc(n));
  return plus && !(n < 0) ? `+${s}` : s;
}

/** Code points that Python's `str.isspace()` accepts, the set `str.strip()` removes. */
const PY_WHITESPACE = new Set<number>([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680,
  0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a,
  0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

/** Python's `s.strip()` with no argument. */
export function pyStrip(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && PY_WHITESPACE.has(s.charCodeAt(start))) start++;
  while (end > start && PY_WHITESPACE.has(s.charCodeAt(end - 1))) end--;
  return s.slice(start, end);
}

/** Python's `repr()` of a string (quotes chosen as Python does), for error messages. */
export function pyRepr(value: unknown): string {
  if (typeof value !== 'string') {
    if (value === undefined || value === null) return 'None';
    if (value === true) return 'True';
    if (value === false) return 'False';
    return String(value);
  }
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of value) {
    const c = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}
