import { test } from 'node:test';
import assert from 'node:assert/strict';
import { storeConnection } from './run-operator.js';

function recordingLog(): { warnings: [string, Record<string, unknown> | undefined][]; warn: (m: string, f?: Record<string, unknown>) => void } {
  const warnings: [string, Record<string, unknown> | undefined][] = [];
  return { warnings, warn: (m, f) => warnings.push([m, f]) };
}

test('the operator logs a warning at start when the store Consul certificate is not verified', () => {
  const log = recordingLog();
  const conn = storeConnection({ consul: { env: { CONSUL_HTTP_ADDR: 'https://consul.example:8501', CONSUL_HTTP_SSL_VERIFY: 'false' } } }, log);
  assert.equal(conn.tls?.rejectUnauthorized, false);
  assert.equal(log.warnings.length, 1);
  assert.equal(log.warnings[0]![0], 'store Consul certificate not verified');
  assert.equal(log.warnings[0]![1]?.setting, 'CONSUL_HTTP_SSL_VERIFY');
  assert.equal(log.warnings[0]![1]?.consul, 'https://consul.example:8501');

  const quiet = recordingLog();
  storeConnection({ consul: { env: { CONSUL_HTTP_ADDR: 'https://consul.example:8501' } } }, quiet);
  assert.deepEqual(quiet.warnings, []);
});
