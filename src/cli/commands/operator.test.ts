import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../main.js';
import { captureIo } from '../../../testing/capture-io.js';

test('operator --helper-image refuses what is not an image reference, naming the flag (usage exit code)', async () => {
  for (const bad of ['Bad Image', 'nethelper:', '-x', 'team/Upper']) {
    const io = captureIo({ env: {} });
    const code = await main(['operator', '--helper-image', bad], io, { openStore: () => assert.fail('no store for a usage error') });
    assert.equal(code, 2, `${bad}: ${io.err}`);
    assert.match(io.err, new RegExp(`--helper-image must be an image reference like \\[registry/\\]name\\[:tag\\], got "${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`), bad);
  }
});
