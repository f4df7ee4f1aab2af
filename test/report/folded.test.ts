// Folded stacks: root first, `;`-separated, one line per stack, biggest first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toFolded } from '../../src/report/folded.js';
import { Snapshot } from '../../src/snapshot/index.js';
import { newSnapshot } from './sample.js';

test('folded: root first, bytes by default, truncated stacks under [truncated]', () => {
  assert.equal(
    toFolded(newSnapshot()),
    ['a.c:2;b.c:5 25000', 'a.c:1;a.c:10 100', 'a.c:3;a.c:10 50', '[truncated];c.c:8;c.c:7 8', 'a.c:4;d.c:1 1', ''].join('\n'),
  );
});

test('folded --value blocks counts blocks', () => {
  assert.equal(toFolded(newSnapshot(), { value: 'blocks' }), ['a.c:2;b.c:5 2', 'a.c:1;a.c:10 1', 'a.c:3;a.c:10 1', '[truncated];c.c:8;c.c:7 1', 'a.c:4;d.c:1 1', ''].join('\n'));
});

test('folded: separators inside file names cannot split frames or lines; zero-byte stacks are left out', () => {
  const s = new Snapshot(
    [
      { size: 3, traceback: [['we;ird\nname.c', 2]] },
      { size: 0, traceback: [['empty.c', 1]] },
    ],
    1,
  );
  assert.equal(toFolded(s), 'we_ird_name.c:2 3\n');
  assert.equal(toFolded(s, { value: 'blocks' }), 'we_ird_name.c:2 1\nempty.c:1 1\n');
});
