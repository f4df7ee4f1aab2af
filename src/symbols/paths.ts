// Path rules for frame filenames. Engine-free: no node:path, so the same rules apply in a browser.
//
//   DWARF        file = name                       if name is absolute
//                       dir  / name                if dir is absolute
//                       comp_dir / dir / name      otherwise
//                (v4: dir index 0 means comp_dir; v5: directory entry 0 *is* comp_dir)
//   source map   source resolved against the map's directory when it is known
//   then         normalized ('.', '..', '//' folded; Windows separators become '/')
//   then         made relative to `root` when it lies under it, else left as is

/** True for `/x`, `C:\x`, `C:/x` and `\\server\x`. */
export function isAbsolutePath(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\');
}

/** Joins path parts: an absolute part discards the parts before it. Empty parts are skipped. */
export function joinPath(...parts: (string | undefined)[]): string {
  let out = '';
  for (const part of parts) {
    if (!part) continue;
    if (isAbsolutePath(part) || out === '') out = part;
    else out = out.endsWith('/') || out.endsWith('\\') ? out + part : `${out}/${part}`;
  }
  return normalizePath(out);
}

/** Folds '.', '..' and repeated separators; uses '/' throughout. Keeps a leading '..' of a relative path. */
export function normalizePath(p: string): string {
  if (p === '') return p;
  let prefix = '';
  let rest = p;
  const drive = /^([A-Za-z]:)[\\/]/.exec(p);
  if (drive) {
    prefix = `${drive[1]!}/`;
    rest = p.slice(3);
  } else if (p.startsWith('\\\\')) {
    prefix = '//';
    rest = p.slice(2);
  } else if (p.startsWith('/')) {
    prefix = '/';
    rest = p.slice(1);
  }
  // Backslashes separate only in Windows-style paths: on POSIX they are legal in names.
  if (drive || prefix === '//') rest = rest.replace(/\\/g, '/');
  const out: string[] = [];
  for (const seg of rest.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (prefix === '') out.push('..');
      // '..' above an absolute root stays at the root
    } else out.push(seg);
  }
  const body = out.join('/');
  if (prefix) return prefix + body;
  return body === '' ? '.' : body;
}

/** The directory part of a path ('' for a bare name). */
export function dirname(p: string): string {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  if (i < 0) return '';
  if (i === 0) return '/';
  return p.slice(0, i);
}

/** The last component of a path or URL (query and fragment dropped). */
export function basename(p: string): string {
  const clean = p.replace(/[?#].*$/, '');
  const i = Math.max(clean.lastIndexOf('/'), clean.lastIndexOf('\\'));
  return clean.slice(i + 1);
}

/** Makes `file` relative to `root` when `file` lies under it; otherwise returns `file` unchanged. */
export function relativeToRoot(file: string, root: string | undefined): string {
  if (!root) return file;
  const base = root.endsWith('/') ? root : `${root}/`;
  if (file.startsWith(base)) return file.slice(base.length);
  return file;
}

/** Normalizes a user-given root; a relative root is resolved against `cwd` when one is given. */
export function normalizeRoot(root: string | undefined, cwd: string | undefined): string | undefined {
  if (root === undefined || root === '') return undefined;
  const abs = isAbsolutePath(root) || !cwd ? root : joinPath(cwd, root);
  const n = normalizePath(abs);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}
