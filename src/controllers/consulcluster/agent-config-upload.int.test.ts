/**
 * createAgent against a REAL Docker Engine (its own dockerd, no lab): the secrets file lands in the
 * container before it starts, mode 0600 and owned by the user the agent runs as (the official
 * image's `consul` user, or the image's USER), and `docker inspect` shows only its path.
 * The images are tiny imported root filesystems: busybox-static (hack/install.sh) as the entrypoint
 * that just sleeps, and an /etc/passwd with the users.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import Docker from 'dockerode';
import { startDockerEngine, type DockerEngineHandle } from '../../../testing/harness/docker-engine.js';
import { agentConfigFile } from './agent-config-file.js';
import { desiredAgents } from './desired.js';
import { createAgent, removeContainer } from './execute.js';
import { firstFileOfTar, tarOneFile } from './tar-entry.js';

const GOSSIP = 'pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=';
const TOKEN = '0b7c5a3e-5d1e-4f0a-9c1b-7a6e2d4f8c10';
const AGENT_TOKEN = '7d2e4f60-1a3b-4c5d-8e9f-0a1b2c3d4e5f';
const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nconsul:x:100:1000::/consul:/bin/sh\napp:x:2000:2001::/app:/bin/sh\n';

let engine: DockerEngineHandle;
let docker: Docker;

/** busybox, /etc/passwd and /etc/group, imported with the given USER and an entrypoint that sleeps. */
async function importImage(tag: string, user: string): Promise<void> {
  const files = [
    tarOneFile({ name: 'bin/busybox', content: readFileSync('/bin/busybox'), mode: 0o755, uid: 0, gid: 0 }),
    tarOneFile({ name: 'etc/passwd', content: Buffer.from(PASSWD), mode: 0o644, uid: 0, gid: 0 }),
    tarOneFile({ name: 'etc/group', content: Buffer.from('root:x:0:\nconsul:x:1000:\n'), mode: 0o644, uid: 0, gid: 0 }),
  ];
  // One-file archives back to back: all but the last lose their end-of-archive blocks.
  const rootfs = Buffer.concat(files.map((t, i) => (i < files.length - 1 ? t.subarray(0, t.length - 1024) : t)));
  const [repo, tagName] = tag.split(':');
  const changes = ['ENTRYPOINT ["/bin/busybox", "sleep", "3600"]', ...(user ? [`USER ${user}`] : [])];
  const stream = await docker.importImage(rootfs as unknown as NodeJS.ReadableStream, { repo, tag: tagName, changes } as object);
  await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())));
}

async function fileIn(id: string, path: string) {
  const chunks: Buffer[] = [];
  for await (const c of await docker.getContainer(id).getArchive({ path })) chunks.push(c as Buffer);
  return firstFileOfTar(Buffer.concat(chunks))!;
}

before(async () => {
  engine = await startDockerEngine({ name: 'secretsup' });
  docker = new Docker({ socketPath: engine.socketPath });
  // The engine's data root outlives a run: leftovers of an interrupted one go first.
  for (const c of await docker.listContainers({ all: true, filters: { name: ['swarmop-consul-up'] } }))
    await docker.getContainer(c.Id).remove({ force: true });
  await importImage('swarmop-test/consul-like:official', '');
  await importImage('swarmop-test/consul-like:user', 'app');
});

after(async () => {
  await engine?.stop();
});

for (const [image, owner] of [
  ['swarmop-test/consul-like:official', { uid: 100, gid: 1000 }],
  ['swarmop-test/consul-like:user', { uid: 2000, gid: 2001 }],
] as const) {
  test(
    `${image}: the secrets file is in the container before start, 0600, owned by ${owner.uid}:${owner.gid}; inspect shows only its path`,
    { timeout: 60_000 },
    async () => {
      const spec = {
        datacenter: 'dc',
        image,
        ui: false,
        servers: [{ host: 'h1', node: 'n1' }],
        bootstrapExpect: 1,
        dataDir: '/tmp/swarmop-secretsup',
        acl: { enabled: true, defaultPolicy: 'deny' as const },
      };
      const agentTokens = new Map([['n1', AGENT_TOKEN]]);
      const agent = desiredAgents(`up${owner.uid}`, spec, () => '127.0.0.1', { gossipKey: GOSSIP, aclToken: TOKEN, agentTokens })
        .agents[0]!;
      // The container never runs a real agent: the image has no binary, so it exits at once; the file is what counts.
      const id = await createAgent(docker, agent, { stopTimeoutSec: 1, pullTimeoutMs: 1000, http: {} });
      try {
        const f = await fileIn(id, '/consul/config/swarmop-secrets.json');
        assert.equal(f.mode & 0o777, 0o600);
        assert.deepEqual([f.uid, f.gid], [owner.uid, owner.gid]);
        assert.equal(
          f.content.toString(),
          agentConfigFile({
            role: 'server',
            gossipKey: GOSSIP,
            aclToken: TOKEN,
            agentToken: AGENT_TOKEN,
            aclEnabled: true,
          })!.content.reveal(),
        );
        assert.match(f.content.toString(), new RegExp(`"agent": "${AGENT_TOKEN}"`), "the node's own agent token is in the file");
        const inspect = JSON.stringify(await docker.getContainer(id).inspect());
        assert.ok(!inspect.includes(GOSSIP) && !inspect.includes(TOKEN) && !inspect.includes(AGENT_TOKEN), 'a secret in docker inspect');
        assert.ok(inspect.includes('/consul/config/swarmop-secrets.json'));
      } finally {
        await removeContainer(docker, id, 1);
      }
    },
  );
}
