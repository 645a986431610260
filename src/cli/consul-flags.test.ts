import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeConsulFlags } from './main.js';

test("consul's single-dash connection flags become commander's double-dash ones", () => {
  assert.deepEqual(
    normalizeConsulFlags(['-http-addr', 'https://c:8501', '-token-file=/t', 'get', 'dockerhost', '-ca-file', '/ca', '-client-cert=/c', '-client-key', '/k', '-tls-server-name', 'n', '-ca-path', '/d', '-token', 'x']),
    ['--http-addr', 'https://c:8501', '--token-file=/t', 'get', 'dockerhost', '--ca-file', '/ca', '--client-cert=/c', '--client-key', '/k', '--tls-server-name', 'n', '--ca-path', '/d', '--token', 'x'],
  );
});

test('other single-dash flags, double-dash flags and anything after -- are left alone', () => {
  assert.deepEqual(normalizeConsulFlags(['apply', '-f', '-', '-R', '--token', 't', '--', '-token']), ['apply', '-f', '-', '-R', '--token', 't', '--', '-token']);
});
