/** Path checks shared by the commands that write files. */
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';

/** Whether `a` and `b` name the same file (through links when both exist). */
export function samePath(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return resolve(a) === resolve(b);
  }
}
