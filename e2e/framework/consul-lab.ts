/**
 * Helpers of the specs that run their own ConsulCluster on the lab's hosts (ACLs, TLS): secrets put
 * straight into the store's KV as a user does with `consul kv put`, and hosts cleared of agents
 * and data dirs, since agents run with --net host and two clusters on one host would share ports.
 */
import assert from 'node:assert/strict';
import type { Framework } from './framework.js';
import { dockerOnHost } from './lab.js';

/** PUT (or with `undefined`, DELETE) one key of the store's KV. */
export async function storePut(f: Framework, key: string, value: string | undefined): Promise<void> {
  const res = await fetch(`http://${f.lab.storeAddr}/v1/kv/${key}`, { method: value === undefined ? 'DELETE' : 'PUT', body: value });
  assert.equal(res.status, 200, `store ${key}: HTTP ${res.status}`);
}

/**
 * Removes `cluster`'s agent containers from `hosts` and its data dirs (so the servers bootstrap from
 * this run's secrets); fails if another ConsulCluster's agent runs there.
 */
export async function clearConsulHosts(hosts: readonly string[], cluster: string, image: string): Promise<void> {
  for (const h of hosts) {
    const ps = await dockerOnHost(
      h,
      ['ps', '-a', '--filter', 'label=io.swarmop.consulcluster', '--format', '{{.ID}} {{.Label "io.swarmop.consulcluster"}}'],
      15_000,
    );
    for (const line of ps.stdout.trim().split('\n').filter(Boolean)) {
      const [id, other] = line.split(' ');
      assert.equal(other, cluster, `another ConsulCluster's agent (${other}) runs on ${h}; remove it first`);
      await dockerOnHost(h, ['rm', '-f', id!], 30_000);
    }
    const rm = await dockerOnHost(
      h,
      [
        'run',
        '--rm',
        '--label',
        'io.swarmop.lab=1',
        '-v',
        '/var/lib/swarmop/consul:/x',
        '--entrypoint',
        'rm',
        image,
        '-rf',
        `/x/${cluster}`,
      ],
      30_000,
    );
    assert.equal(rm.code, 0, rm.stderr);
  }
}
