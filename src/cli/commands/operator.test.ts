import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../main.js';
import { captureIo } from '../../../testing/util/capture-io.js';

test('operator --helper-image refuses what is not an image reference, naming the flag (usage exit code)', async () => {
  for (const bad of ['Bad Image', 'nethelper:', '-x', 'team/Upper']) {
    const io = captureIo({ env: {} });
    const code = await main(['operator', '--helper-image', bad], io, { openStore: () => assert.fail('no store for a usage error') });
    assert.equal(code, 2, `${bad}: ${io.err}`);
    assert.match(
      io.err,
      new RegExp(
        `--helper-image must be an image reference like \\[registry/\\]name\\[:tag\\]\\[@sha256:DIGEST\\], got "${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`,
      ),
      bad,
    );
  }
});

test('operator --ui-addr on an address that is not loopback refuses to start without --ui-token, before it opens the store', async () => {
  for (const addr of [':8080', '0.0.0.0:8080', '192.168.116.111:8080']) {
    const io = captureIo({ env: {} });
    const code = await main(['operator', '--ui-addr', addr], io, { openStore: () => assert.fail('no store for a usage error') });
    assert.equal(code, 2, `${addr}: ${io.err}`);
    assert.match(io.err, new RegExp(`--ui-addr ${addr} is not a loopback address: .*set --ui-token`));
  }
  const short = captureIo({ env: { SWARMOP_UI_TOKEN: 'short' } });
  assert.equal(await main(['operator', '--ui-addr', ':8080'], short, { openStore: () => assert.fail('no store for a usage error') }), 2);
  assert.match(short.err, /--ui-token must be at least 16 characters/);
});

test('operator --metrics-addr on an address that is not loopback refuses to start without a token, before it opens the store', async () => {
  for (const addr of [':9464', '0.0.0.0:9464', '192.168.116.111:9464']) {
    const io = captureIo({ env: {} });
    const code = await main(['operator', '--metrics-addr', addr], io, { openStore: () => assert.fail('no store for a usage error') });
    assert.equal(code, 2, `${addr}: ${io.err}`);
    assert.match(
      io.err,
      new RegExp(`--metrics-addr ${addr} is not a loopback address: .*set --metrics-token \\(or SWARMOP_METRICS_TOKEN, or --ui-token\\)`),
    );
  }
  const short = captureIo({ env: { SWARMOP_METRICS_TOKEN: 'short' } });
  assert.equal(
    await main(['operator', '--metrics-addr', ':9464'], short, { openStore: () => assert.fail('no store for a usage error') }),
    2,
  );
  assert.match(short.err, /--metrics-token must be at least 16 characters/);
});

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

test('operator --helper-image takes an image pinned by digest, with or without a tag and registry; a malformed digest is refused', async () => {
  for (const good of [
    `swarmop/nethelper@${DIGEST}`,
    `registry.example:5000/team/nethelper@${DIGEST}`,
    `registry.example:5000/team/nethelper:1.2@${DIGEST}`,
  ]) {
    // --ui-addr :8080 without a token stops the command after flag parsing: the exit says which flag failed.
    const io = captureIo({ env: {} });
    const code = await main(['operator', '--helper-image', good, '--ui-addr', ':8080'], io, {
      openStore: () => assert.fail('no store for a usage error'),
    });
    assert.equal(code, 2, good);
    assert.doesNotMatch(io.err, /--helper-image/, good);
    assert.match(io.err, /--ui-addr :8080 is not a loopback address/, good);
  }
  for (const bad of [
    'nethelper@sha256:abc',
    `nethelper@sha512:${'0'.repeat(64)}`,
    `nethelper@${DIGEST.toUpperCase()}`,
    `nethelper@${DIGEST}@${DIGEST}`,
  ]) {
    const io = captureIo({ env: {} });
    const code = await main(['operator', '--helper-image', bad], io, { openStore: () => assert.fail('no store for a usage error') });
    assert.equal(code, 2, bad);
    assert.match(io.err, /--helper-image must be an image reference like \[registry\/\]name\[:tag\]\[@sha256:DIGEST\]/, bad);
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
  const base = {
    prefix: 'tenant/',
    metricsAddr: '0',
    ui: false,
    leaderElect: false,
    logFormat: 'json' as const,
    logLevel: 'info',
    resyncSeconds: 30,
    maxConcurrentReconciles: 4,
  };
  assert.deepEqual(trustPolicyOf(base), { dataDirRoot: '/var/lib/swarmop', secretsPrefix: 'tenant/secrets/', allowInsecureEngines: false });
  assert.deepEqual(
    trustPolicyOf({
      ...base,
      dataDirRoot: '/srv/consul',
      allowedImages: ['hashicorp/consul'],
      secretsPrefix: 'vault/',
      attachRequiresLabel: 'swarmop.io/attach',
      allowInsecureEngines: true,
    }),
    {
      dataDirRoot: '/srv/consul',
      allowedImages: ['hashicorp/consul'],
      secretsPrefix: 'vault/',
      attachRequiresLabel: 'swarmop.io/attach',
      allowInsecureEngines: true,
    },
  );
});
