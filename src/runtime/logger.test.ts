import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger, logDriftRepaired, resolveFormat, type LoggerOptions } from './logger.js';
import { lineSink } from '../../testing/util/line-sink.js';

async function flushed(): Promise<void> {
  await new Promise((r) => setImmediate(r));
}

function logger(format: LoggerOptions['format']) {
  const c = lineSink();
  return { log: createLogger({ format, stream: c.stream, level: 'debug' }), lines: c.lines };
}

test('auto format is JSON when the stream is not a TTY and text when it is', () => {
  assert.equal(resolveFormat('auto', false), 'json');
  assert.equal(resolveFormat('auto', undefined), 'json');
  assert.equal(resolveFormat('auto', true), 'text');
  assert.equal(resolveFormat('json', true), 'json');
});

test('json lines carry the child logger fields', async () => {
  const { log, lines } = logger('json');
  log.child({ controller: 'staticip', name: 'ubuntu114', reconcileId: 'r1' }).info('reconciled', { ms: 3 });
  await flushed();
  assert.equal(lines.length, 1);
  const entry = JSON.parse(lines[0]!);
  assert.equal(entry.message, 'reconciled');
  assert.equal(entry.level, 'info');
  assert.equal(entry.controller, 'staticip');
  assert.equal(entry.name, 'ubuntu114');
  assert.equal(entry.reconcileId, 'r1');
  assert.equal(entry.ms, 3);
  assert.ok(entry.timestamp);
});

test("json lines carry controller-runtime's keys first: ts, level, msg, controller, name, reconcileID", async () => {
  const { log, lines } = logger('json');
  log.child({ controller: 'staticipattachment', name: 'ubuntu114', reconcileId: 'r1' }).info('reconciled', { ms: 3 });
  await flushed();
  const entry = JSON.parse(lines[0]!);
  assert.deepEqual(Object.keys(entry).slice(0, 6), ['ts', 'level', 'msg', 'controller', 'name', 'reconcileID']);
  assert.equal(entry.msg, 'reconciled');
  assert.equal(entry.reconcileID, 'r1');
  assert.equal(entry.controller, 'staticipattachment');
  assert.equal(entry.name, 'ubuntu114');
  assert.match(entry.ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.equal(entry.ts, entry.timestamp);
});

test('text format prints one readable line with key=value fields', async () => {
  const { log, lines } = logger('text');
  log.warn('host unreachable', { host: 'consul01', reason: 'connect ECONNREFUSED' });
  await flushed();
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /WARN  host unreachable host=consul01 reason="connect ECONNREFUSED"$/);
});

test('fields named like a token are redacted at any depth', async () => {
  const { log, lines } = logger('json');
  log.info('joining', { joinToken: 'SWMTKN-1-abc', spec: { acl: { token: 'secret-acl' }, image: 'consul:1.8' } });
  await flushed();
  assert.doesNotMatch(lines[0]!, /SWMTKN|secret-acl/);
  const entry = JSON.parse(lines[0]!);
  assert.equal(entry.joinToken, '[redacted]');
  assert.equal(entry.spec.acl.token, '[redacted]');
  assert.equal(entry.spec.image, 'consul:1.8');
});

test('logDriftRepaired logs the fixed message with what, why and action', async () => {
  const { log, lines } = logger('json');
  logDriftRepaired(log, {
    kind: 'StaticIPAttachment',
    name: 'ubuntu114',
    host: 'consul01',
    what: 'eth1 missing',
    why: 'container restarted',
    action: 're-attached 192.168.1.114/24',
  });
  await flushed();
  const entry = JSON.parse(lines[0]!);
  assert.equal(entry.message, 'drift repaired');
  assert.deepEqual(
    [entry.kind, entry.name, entry.host, entry.what, entry.why, entry.action],
    ['StaticIPAttachment', 'ubuntu114', 'consul01', 'eth1 missing', 'container restarted', 're-attached 192.168.1.114/24'],
  );
});
