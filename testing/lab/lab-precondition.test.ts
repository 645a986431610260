import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isCI, labSkip, patiently } from './lab-precondition.js';

test('patiently: a probe that answers on the third attempt is a success', async () => {
  let calls = 0;
  const err = await patiently(
    async () => {
      calls++;
      if (calls < 3) throw new Error('ECONNREFUSED');
    },
    { attempts: 4, timeoutMs: 1000, backoffMs: 1 },
  );
  assert.equal(err, undefined);
  assert.equal(calls, 3);
});

test('patiently: a probe slower than the timeout on every attempt reports the timeout and the attempts', async () => {
  let calls = 0;
  const err = await patiently(
    () => {
      calls++;
      return new Promise(() => undefined);
    },
    { attempts: 2, timeoutMs: 20, backoffMs: 1 },
  );
  assert.equal(err, 'no answer within 20 ms (attempt 2/2)');
  assert.equal(calls, 2);
});

test('labSkip: no problem runs the suite', () => {
  assert.equal(labSkip('suite', undefined, {}), false);
});

test('labSkip: a problem fails by default and under CI, naming the command to run', () => {
  assert.throws(
    () => labSkip('staticip', 'lab host consul01 does not answer', {}),
    /^Error: staticip: lab host consul01 does not answer; start it with `hack\/lab.sh up`/,
  );
  assert.throws(() => labSkip('staticip', 'down', { CI: 'true', SWARMOP_LAB_OPTIONAL: '1' }), /hack\/lab.sh up/);
});

test('labSkip: SWARMOP_LAB_OPTIONAL=1 outside CI makes it a skip with the reason', () => {
  const reason = labSkip('staticip', 'down', { SWARMOP_LAB_OPTIONAL: '1' });
  assert.equal(
    reason,
    'staticip: down; start it with `hack/lab.sh up` (the lab lock: `flock /tmp/swarmop-lab.lock hack/lab.sh up`), or run `npm test`, which starts it (skipped: SWARMOP_LAB_OPTIONAL=1)',
  );
});

test('isCI: CI=true and CI=1 are CI; unset, empty, 0 and false are not', () => {
  assert.deepEqual(
    ['true', '1', undefined, '', '0', 'false'].map((v) => isCI(v === undefined ? {} : { CI: v })),
    [true, true, false, false, false, false],
  );
});
