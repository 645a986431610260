import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveAgentUser } from './agent-config-upload.js';

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nconsul:x:100:1000:Linux User,,,:/home/consul:/bin/sh\napp:x:2000:2001::/app:/bin/sh\n';
const GROUP = 'root:x:0:\nconsul:x:1000:consul\nops:x:3000:\n';
const files = (f: Record<string, string>) => async (p: string) => f[p];

test('no USER in the image: the consul user when the image has one (the official entrypoint drops to it), else root', async () => {
  assert.deepEqual(await resolveAgentUser('', files({ '/etc/passwd': PASSWD })), { uid: 100, gid: 1000 });
  assert.deepEqual(await resolveAgentUser('', files({ '/etc/passwd': 'root:x:0:0::/root:/bin/sh\n' })), { uid: 0, gid: 0 });
  assert.deepEqual(await resolveAgentUser('', files({})), { uid: 0, gid: 0 });
});

test("the image's USER wins: a name, a uid, name:group and uid:gid", async () => {
  const f = files({ '/etc/passwd': PASSWD, '/etc/group': GROUP });
  assert.deepEqual(await resolveAgentUser('app', f), { uid: 2000, gid: 2001 });
  assert.deepEqual(await resolveAgentUser('2000', f), { uid: 2000, gid: 2001 });
  assert.deepEqual(await resolveAgentUser('4242', f), { uid: 4242, gid: 0 });
  assert.deepEqual(await resolveAgentUser('app:ops', f), { uid: 2000, gid: 3000 });
  assert.deepEqual(await resolveAgentUser('5:6', f), { uid: 5, gid: 6 });
});

test('a USER the image does not know is a clear error', async () => {
  await assert.rejects(
    resolveAgentUser('nobody2', files({ '/etc/passwd': PASSWD })),
    /the image's user "nobody2" is not in its \/etc\/passwd/,
  );
  await assert.rejects(
    resolveAgentUser('app:nogroup', files({ '/etc/passwd': PASSWD, '/etc/group': GROUP })),
    /group "nogroup" is not in its \/etc\/group/,
  );
});

test("a file read from an image's filesystem is read up to its cap, not whole", async () => {
  const { Readable } = await import('node:stream');
  const { readAll } = await import('./agent-config-upload.js');
  const { OutputLimitError } = await import('../../runtime/output-limits.js');
  assert.equal((await readAll(Readable.from([Buffer.from('root:x:0:0')]), 64)).toString(), 'root:x:0:0');
  await assert.rejects(readAll(Readable.from([Buffer.alloc(40), Buffer.alloc(40)]), 64), OutputLimitError);
});

test('a TLS agent gets its config file and the CA, certificate and key, each 0600 and owned by its user', async () => {
  const { putAgentConfigFile } = await import('./agent-config-upload.js');
  const { agentConfigFile } = await import('./agent-config-file.js');
  const { firstFileOfTar } = await import('./tar-entry.js');
  const put: { name: string; mode: number; uid: number; content: string }[] = [];
  const container = {
    getArchive: async () => {
      throw Object.assign(new Error('no such file'), { statusCode: 404 });
    },
    putArchive: async (tar: Buffer, o: { path: string }) => {
      assert.equal(o.path, '/');
      const f = firstFileOfTar(tar)!;
      put.push({ name: f.name, mode: f.mode, uid: f.uid, content: f.content.toString('utf8') });
    },
  };
  const file = agentConfigFile({ role: 'server', aclEnabled: false, tls: { ca: 'CA', cert: 'CERT', key: 'KEY' } })!;
  await putAgentConfigFile(container as never, '7:8', file);
  assert.deepEqual(put, [
    { name: 'consul/config/swarmop-secrets.json', mode: 0o600, uid: 7, content: '{}\n' },
    { name: 'consul/tls/ca.pem', mode: 0o600, uid: 7, content: 'CA' },
    { name: 'consul/tls/agent.pem', mode: 0o600, uid: 7, content: 'CERT' },
    { name: 'consul/tls/agent-key.pem', mode: 0o600, uid: 7, content: 'KEY' },
  ]);
});
