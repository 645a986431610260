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

test('operator --data-dir-root refuses a relative path or one with "..", naming the flag', async () => {
  for (const bad of ['var/lib', '/var/lib/../etc']) {
    const io = captureIo({ env: {} });
    const code = await main(['operator', '--data-dir-root', bad], io, { openStore: () => assert.fail('no store for a usage error') });
    assert.equal(code, 2, `${bad}: ${io.err}`);
    assert.match(io.err, /--data-dir-root must be an absolute path/);
  }
});

test('the trust policy of `swarmop operator`: secure defaults, each flag on top', async () => {
  const { trustPolicyOf } = await import('../operator/run-operator.js');
  const base = { prefix: 'tenant/', metricsAddr: '0', ui: false, leaderElect: false, logFormat: 'json' as const, logLevel: 'info', resyncSeconds: 30, maxConcurrentReconciles: 4 };
  assert.deepEqual(trustPolicyOf(base), { dataDirRoot: '/var/lib/swarmop', secretsPrefix: 'tenant/secrets/', allowInsecureEngines: false });
  assert.deepEqual(
    trustPolicyOf({ ...base, dataDirRoot: '/srv/consul', allowedImages: ['hashicorp/consul'], secretsPrefix: 'vault/', attachRequiresLabel: 'swarmop.io/attach', allowInsecureEngines: true }),
    { dataDirRoot: '/srv/consul', allowedImages: ['hashicorp/consul'], secretsPrefix: 'vault/', attachRequiresLabel: 'swarmop.io/attach', allowInsecureEngines: true },
  );
});
