/**
 * The tree-sitter workload shared by the suite's child process (treeSitterChild.ts) and the table
 * replay (tableReplay.bench.ts): web-tree-sitter's main module, the python grammar side module, and
 * the source they parse.
 */
export const TREE_SITTER_MAIN = 'node_modules/web-tree-sitter/tree-sitter.wasm';
export const TREE_SITTER_GRAMMAR = 'node_modules/@vscode/tree-sitter-wasm/wasm/tree-sitter-python.wasm';

/** A Python source of ~1,500 lines: classes, comprehensions, f-strings, nested blocks. */
export function treeSitterSource(): string {
  const unit = (i: number): string =>
    `class Item${i}(Base):\n    """Item ${i}."""\n    def __init__(self, x, *args, **kw):\n        self.x = [v * ${i} for v in range(x) if v % 3]\n` +
    `        self.d = {k: f"{k}-{v!r}" for k, v in kw.items()}\n\n    def run(self, n):\n        while n > 0:\n` +
    `            try:\n                n -= self.step(n)\n            except ValueError as e:\n                raise RuntimeError(str(e)) from e\n` +
    `        return sorted(self.x, key=lambda v: (-v, v))\n\n`;
  return Array.from({ length: 100 }, (_, i) => unit(i)).join('');
}
