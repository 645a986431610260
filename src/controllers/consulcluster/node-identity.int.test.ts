/**
 * The wiped-data-dir standoff on a real three-server Consul (on 127.0.0.1, not the lab): a server
 * whose data dir is gone comes back under its name with a new node ID and the catalog refuses it
 * ("Node name ... is reserved by node <old id>") until `reclaimNodeName` replaces the entry.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startConsulCluster, type ConsulClusterHandle } from '../../../testing/harness/consul-cluster.js';
import { readNodeIdentity, reclaimNodeName } from './node-identity.js';
import { eventually } from '../../../testing/util/wait-until.js';

let cluster: ConsulClusterHandle;
before(async () => {
  cluster = await startConsulCluster({ servers: 3 });
});
after(async () => {
  await cluster?.stop();
});

const portOf = (address: string) => Number(address.split(':')[1]);

test('a server back with a wiped data dir is refused by the catalog until its entry is reclaimed, then both IDs agree', async () => {
  const leader = await cluster.waitForLeader();
  const wiped = (leader + 1) % 3;
  const via = cluster.servers[leader]!;
  const target = cluster.servers[wiped]!;
  // A server just elected may not have put every member into the catalog yet.
  const before = await eventually(
    'the catalog holds the server under its node ID',
    async () => {
      const id = await readNodeIdentity('127.0.0.1', { port: portOf(target.address) });
      return id?.catalogNodeID === id?.nodeID ? id : undefined;
    },
    { intervalMs: 200 },
  );

  await cluster.kill(wiped);
  cluster.wipe(wiped);
  await cluster.start(wiped);
  const standoff = await eventually(
    'the wiped server answers with a new node ID',
    async () => {
      const id = await readNodeIdentity('127.0.0.1', { port: portOf(target.address) });
      return id && id.nodeID !== before.nodeID ? id : undefined;
    },
    { intervalMs: 200 },
  );
  assert.equal(standoff.node, target.node);
  assert.equal(standoff.catalogNodeID, before.nodeID, 'the catalog still holds the old ID');

  // Standing off, its agent cannot write its own registrations either: the sync is refused.
  const register = (id: string) =>
    fetch(`http://${target.address}/v1/agent/service/register`, { method: 'PUT', body: JSON.stringify({ ID: id, Name: id, Port: 1 }) });
  const listed = async (id: string) =>
    (
      (await (await fetch(`http://${via.address}/v1/catalog/service/${id}`)).json()) as { Node: string; ID: string; ServiceID: string }[]
    ).map((s) => `${s.Node} ${s.ID} ${s.ServiceID}`);
  assert.equal((await register('during-standoff')).status, 200);
  const log = join(cluster.dir, `${target.node}.log`);
  await eventually(
    'the wiped agent logs its sync refused (node name reserved)',
    () =>
      readFileSync(log, 'utf8')
        .split('\n')
        .find((l) => l.includes('failed to sync') && l.includes('reserved')),
    { timeoutMs: 10_000, intervalMs: 100 },
  );
  assert.deepEqual(await listed('during-standoff'), []);

  await reclaimNodeName('127.0.0.1', target.node, standoff.nodeID, '127.0.0.1', { port: portOf(via.address) });
  const fixed = await eventually(
    'the catalog holds the new ID',
    async () => {
      const id = await readNodeIdentity('127.0.0.1', { port: portOf(target.address) });
      return id && id.catalogNodeID === id.nodeID ? id : undefined;
    },
    { intervalMs: 200 },
  );
  assert.equal(fixed.nodeID, standoff.nodeID);
  // The agent's sync goes through now: the service registered during the standoff and one
  // registered after the reclaim are both in the catalog under the new ID. (The leader puts the
  // server's own `consul` service back only at its next reconcile, up to 60 s later: Consul's
  // timing, not the reclaim's.)
  assert.equal((await register('after-reclaim')).status, 200);
  await eventually(
    'both services of the wiped server in the catalog under its new ID',
    async () => {
      const both = [...(await listed('during-standoff')), ...(await listed('after-reclaim'))];
      return both.join() === [`${target.node} ${standoff.nodeID} during-standoff`, `${target.node} ${standoff.nodeID} after-reclaim`].join()
        ? true
        : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );
});
