// Shell-style file name patterns, matched exactly as Python's `fnmatch.fnmatch` does on POSIX
// (where `os.path.normcase` does nothing: matching is case-sensitive and `/` and `\` are
// distinct characters).
//
// CPython (Lib/fnmatch.py, 3.11–3.13) translates the pattern to a regular expression and
// full-matches it. We parse the pattern the same way, into a list of items, and match the list
// directly, on code points:
//
//   *        any run of characters, '/' and newlines included  (regex `.*`, DOTALL)
//   ?        one character                                      (regex `.`)
//   [seq]    one character of seq; `a-z` ranges; `]` first is literal
//   [!seq]   one character not in seq
//   [        with no closing `]`: a literal `[`
//   other    itself; there is no escape character
//
// The bracket rules are CPython's to the letter, including its corner cases: hyphens that do
// not form a range are literal, an empty range such as `[z-a]` is dropped (and a class left
// empty matches nothing, `[!z-a]` matches any character), and a `-` right after `[` or `[!` is
// literal.

/** One element of a compiled pattern. */
type Item =
  | { readonly kind: 'star' }
  | { readonly kind: 'any' }
  | { readonly kind: 'char'; readonly cp: number }
  | { readonly kind: 'set'; readonly negated: boolean; readonly ranges: readonly number[] } // [lo, hi, lo, hi...]
  | { readonly kind: 'never' };

const STAR: Item = { kind: 'star' };
const ANY: Item = { kind: 'any' };
const NEVER: Item = { kind: 'never' };
const HYPHEN = 0x2d;
const BANG = 0x21;
const CLOSE = 0x5d;
const OPEN = 0x5b;

/** A compiled shell pattern. */
export class FnPattern {
  private readonly items: readonly Item[];

  constructor(readonly pattern: string) {
    this.items = compile(Array.from(pattern, (ch) => ch.codePointAt(0)!));
  }

  /** Whether the whole of `name` matches the pattern. */
  matches(name: string): boolean {
    return matchItems(this.items, Array.from(name, (ch) => ch.codePointAt(0)!));
  }
}

/** `fnmatch.fnmatch(name, pattern)` on POSIX. */
export function fnmatch(name: string, pattern: string): boolean {
  return new FnPattern(pattern).matches(name);
}

/** Port of the parsing half of `fnmatch.translate`. */
function compile(pat: readonly number[]): Item[] {
  const items: Item[] = [];
  const n = pat.length;
  let i = 0;
  while (i < n) {
    const c = pat[i]!;
    i += 1;
    if (c === 0x2a /* * */) {
      if (items.length === 0 || items[items.length - 1] !== STAR) items.push(STAR);
    } else if (c === 0x3f /* ? */) {
      items.push(ANY);
    } else if (c === OPEN) {
      let j = i;
      if (j < n && pat[j] === BANG) j += 1;
      if (j < n && pat[j] === CLOSE) j += 1;
      while (j < n && pat[j] !== CLOSE) j += 1;
      if (j >= n) {
        items.push({ kind: 'char', cp: OPEN });
      } else {
        items.push(compileSet(pat, i, j));
        i = j + 1;
      }
    } else {
      items.push({ kind: 'char', cp: c });
    }
  }
  return items;
}

/**
 * The set between `[` (exclusive, at i) and `]` (at j). CPython splits it into chunks at the
 * hyphens that form ranges, removes empty ranges, and joins the chunks with range hyphens; the
 * last character of one chunk and the first of the next are the bounds of a range, every other
 * character (a `-` inside a chunk included) is a member by itself.
 */
function compileSet(pat: readonly number[], i: number, j: number): Item {
  const stuff = pat.slice(i, j);
  let chunks: number[][];
  if (!stuff.includes(HYPHEN)) {
    chunks = [stuff];
  } else {
    chunks = [];
    let k = pat[i] === BANG ? i + 2 : i + 1;
    for (;;) {
      k = indexOf(pat, HYPHEN, k, j);
      if (k < 0) break;
      chunks.push(pat.slice(i, k));
      i = k + 1;
      k = k + 3;
    }
    const chunk = pat.slice(i, j);
    if (chunk.length > 0) chunks.push(chunk);
    else chunks[chunks.length - 1]!.push(HYPHEN);
    // Remove empty ranges -- invalid in RE.
    for (let k = chunks.length - 1; k > 0; k--) {
      const prev = chunks[k - 1]!;
      const next = chunks[k]!;
      if (prev[prev.length - 1]! > next[0]!) {
        chunks[k - 1] = prev.slice(0, -1).concat(next.slice(1));
        chunks.splice(k, 1);
      }
    }
  }
  // CPython: an empty set never matches; '!' alone matches any character; a leading '!'
  // negates; everything else (a leading '^' or '[' is escaped by CPython) is literal.
  const flat = chunks.flat();
  if (flat.length === 0) return NEVER;
  if (flat.length === 1 && flat[0] === BANG) return ANY;
  const negated = flat[0] === BANG;
  if (negated) chunks[0] = chunks[0]!.slice(1);
  const ranges: number[] = [];
  for (let k = 0; k < chunks.length; k++) {
    const chunk = chunks[k]!;
    const first = k > 0 ? 1 : 0; // chunk[0] closes the range opened by the previous chunk
    const last = k < chunks.length - 1 ? chunk.length - 1 : chunk.length; // opens the next range
    for (let m = first; m < last; m++) ranges.push(chunk[m]!, chunk[m]!);
    if (k > 0) ranges.push(chunks[k - 1]![chunks[k - 1]!.length - 1]!, chunk[0]!);
  }
  return { kind: 'set', negated, ranges };
}

function indexOf(a: readonly number[], value: number, from: number, to: number): number {
  for (let k = from; k < to; k++) if (a[k] === value) return k;
  return -1;
}

function matchOne(item: Item, cp: number): boolean {
  switch (item.kind) {
    case 'any':
      return true;
    case 'char':
      return item.cp === cp;
    case 'set': {
      const r = item.ranges;
      let member = false;
      for (let k = 0; k < r.length; k += 2) {
        if (r[k]! <= cp && cp <= r[k + 1]!) {
          member = true;
          break;
        }
      }
      return member !== item.negated;
    }
    default:
      return false;
  }
}

/**
 * Full match of single-character items and stars, the classic way: on a mismatch, let the
 * most recent star swallow one more character. This decides the same language as CPython's
 * regex (whose `(?>.*?fixed)` atomic groups are the same "leftmost fixed piece" strategy).
 */
function matchItems(items: readonly Item[], name: readonly number[]): boolean {
  let p = 0;
  let s = 0;
  let starP = -1;
  let starS = 0;
  while (s < name.length) {
    const item = items[p];
    if (item !== undefined && item.kind === 'star') {
      starP = p++;
      starS = s;
    } else if (item !== undefined && matchOne(item, name[s]!)) {
      p++;
      s++;
    } else if (starP >= 0) {
      p = starP + 1;
      s = ++starS;
    } else {
      return false;
    }
  }
  while (p < items.length && items[p]!.kind === 'star') p++;
  return p === items.length;
}
