/**
 * The wiped-data-dir standoff on a real three-server Consul (on 127.0.0.1, not the lab): a server
 * whose data dir is gone comes back under its name with a new node ID and the catalog refuses it
 * ("Node name ... is reserved by node <old id>") until `reclaimNodeName` replaces the entry.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startConsulCluster, type ConsulClusterHandle } from '../../../testing/consul-cluster.js';
import { readNodeIdentity, reclaimNodeName } from './node-identity.js';
import { eventually } from '../../../testing/wait-until.js';

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
  const before = await readNodeIdentity('127.0.0.1', { port: portOf(target.address) });
  assert.ok(before && before.catalogNodeID === before.nodeID, JSON.stringify(before));

  await cluster.kill(wiped);
  cluster.wipe(wiped);
  await cluster.start(wiped);
  const standoff = await eventually('the wiped server answers with a new node ID', async () => {
    const id = await readNodeIdentity('127.0.0.1', { port: portOf(target.address) });
    return id && id.nodeID !== before.nodeID ? id : undefined;
  }, { intervalMs: 200 });
  assert.equal(standoff.node, target.node);
  assert.equal(standoff.catalogNodeID, before.nodeID, 'the catalog still holds the old ID');

  await reclaimNodeName('127.0.0.1', target.node, standoff.nodeID, '127.0.0.1', { port: portOf(via.address) });
  const fixed = await eventually('the catalog holds the new ID', async () => {
    const id = await readNodeIdentity('127.0.0.1', { port: portOf(target.address) });
    return id && id.catalogNodeID === id.nodeID ? id : undefined;
  }, { intervalMs: 200 });
  assert.equal(fixed.nodeID, standoff.nodeID);
  // The server's own registration (its consul service) is accepted again by the leader.
  await eventually('the consul service lists the wiped server again', async () => {
    const res = await fetch(`http://${via.address}/v1/catalog/service/consul`);
    const list = (await res.json()) as { Node: string; ID: string }[];
    return list.some((s) => s.Node === target.node && s.ID === standoff.nodeID) ? true : undefined;
  }, { timeoutMs: 90_000, intervalMs: 200 });
});
