import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { captureIo } from '../../testing/util/capture-io.js';
import { main, splitConsulFlags } from './main.js';

test("consul's connection flags, one or two dashes, value next or after '=', anywhere before or after the command", () => {
  assert.deepEqual(
    splitConsulFlags([
      '-http-addr',
      'https://c:8501',
      '--token-file=/t',
      '--prefix',
      'p/',
      'get',
      'dockerhost',
      '-ca-file',
      '/ca',
      '-client-cert=/c',
      '--client-key',
      '/k',
      '-tls-server-name',
      'n',
      '--ca-path',
      '/d',
      '-token',
      'x',
    ]),
    {
      argv: ['--prefix', 'p/', 'get', 'dockerhost'],
      flags: {
        httpAddr: 'https://c:8501',
        tokenFile: '/t',
        caFile: '/ca',
        clientCert: '/c',
        clientKey: '/k',
        tlsServerName: 'n',
        caPath: '/d',
        token: 'x',
      },
    },
  );
});

test('other flags and anything after -- are left alone; a flag without its value is refused', () => {
  assert.deepEqual(splitConsulFlags(['apply', '-f', '-', '-R', '--', '-token', 'x']), {
    argv: ['apply', '-f', '-', '-R', '--', '-token', 'x'],
    flags: {},
  });
  assert.throws(() => splitConsulFlags(['get', 'dh', '--ca-file']), { message: "option '--ca-file' needs a value" });
});

test('after `config` the same names belong to set-context (they describe the context, not this connection)', () => {
  assert.deepEqual(splitConsulFlags(['--token', 'conn', 'config', 'set-context', 'x', '--token', 'ctx', '--ca-file', '/a']), {
    argv: ['config', 'set-context', 'x', '--token', 'ctx', '--ca-file', '/a'],
    flags: { token: 'conn' },
  });
  // The value of a root option is not the command name.
  assert.deepEqual(splitConsulFlags(['--context', 'config', 'get', 'dh', '--token', 't']).flags, { token: 't' });
});

test('config set-context still records --ca-file, --token and --tls-server-name in the context', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'swarmop-flags-'));
  const file = join(dir, 'config.yaml');
  const io = captureIo({ env: { SWARMOP_CONFIG: file }, cwd: dir });
  const code = await main(
    ['config', 'set-context', 'x', '--address', 'https://a:1', '--ca-file', '/a.pem', '--tls-server-name', 'n', '--token-file', '/t'],
    io,
  );
  assert.equal(code, 0, io.err);
  const text = readFileSync(file, 'utf8');
  for (const line of ['address: https://a:1', 'caFile: /a.pem', 'tlsServerName: n', 'tokenFile: /t'])
    assert.ok(text.includes(line), `${line} in ${text}`);
});
