/**
 * Discovery against a REAL Consul agent (a local `consul agent -dev`, standing in for the
 * ConsulCluster's agents) and the lab's real swarm: the node list appears in classic Swarm's
 * layout, each key held by a session with the TTL and delete behaviour that make a dead node's key
 * vanish, and the finalizer removes the list.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SwarmCluster } from '../../crds/swarm-cluster.js';
import { ConsulKv } from '../../store/consul-kv.js';
import { startConsulAgent, type ConsulAgentHandle } from '../../../testing/harness/consul-agent.js';
import { enginesProblem, labSkip } from '../../../testing/lab/lab-precondition.js';
import { LAB_HOSTS, dockerFor, recordingContext } from '../../../testing/util/reconcile-context.js';

/** The lab's hosts (.lab/env): the first is the swarm manager / first Consul server. */
const [H0, H1, H2] = LAB_HOSTS.map((h) => h.name) as [string, string, string];
import { SwarmClusterReconciler } from './reconciler.js';

const skip = labSkip('discovery.int', await enginesProblem(LAB_HOSTS.map((h) => ({ ...h, docker: dockerFor(h) }))));

let agent: ConsulAgentHandle | undefined;
let kv: ConsulKv | undefined;
const asked: string[] = [];

// One suite per file: the lab suites run one after another in one process (hack/test.sh), where
// root-level hooks would run at the start and end of the whole chain instead of this file's.
describe('SwarmCluster discovery on the lab', { concurrency: false }, () => {
  before(async () => {
    if (skip) return;
    agent = await startConsulAgent();
    kv = new ConsulKv({ address: agent.address });
  });
  after(async () => {
    kv?.close();
    await agent?.stop();
  });

  const resource: SwarmCluster = {
    apiVersion: 'swarmop.io/v1alpha1',
    kind: 'SwarmCluster',
    metadata: { name: 'swarm-disc-it' },
    spec: {
      managers: [H0],
      workers: [H1, H2],
      availability: 'active',
      prune: false,
      discovery: { consulCluster: 'datacenter', path: 'it-swarm', ttl: '10s' },
    },
  };

  test(
    'publishes every ready node as <path>/docker/swarm/nodes/<ip:2375>, held by TTL sessions, and clears them on delete',
    { skip },
    async () => {
      const reconciler = new SwarmClusterReconciler({ kvFor: (address) => (asked.push(address), kv!) });
      const ctx = recordingContext();
      ctx.objects.set('ConsulCluster/datacenter', {
        apiVersion: 'swarmop.io/v1alpha1',
        kind: 'ConsulCluster',
        metadata: { name: 'datacenter' },
        spec: { servers: [{ host: H0, node: H0 }] },
      });
      const out = await reconciler.reconcile(resource, ctx);
      assert.equal(out.conditions.find((c) => c.type === 'Ready')?.status, 'True', JSON.stringify(out.conditions));
      assert.equal(out.conditions.find((c) => c.type === 'Degraded')?.status, 'False', JSON.stringify(out.conditions));
      assert.equal(out.requeueAfter, 5000, 'renewed at half the TTL');
      assert.deepEqual(asked[0], `http://${LAB_HOSTS[0]!.address}:8500`, "the ConsulCluster's first server host, port 8500");

      const { pairs } = await kv!.list('it-swarm/docker/swarm/nodes/');
      assert.deepEqual(
        pairs.map((p) => `${p.key}=${p.value}`),
        LAB_HOSTS.map((h) => `it-swarm/docker/swarm/nodes/${h.address}:2375=${h.address}:2375`).sort(),
      );
      for (const p of pairs) {
        assert.ok(p.session, `${p.key} is held by a session`);
        const info = (await (await fetch(`${agent!.httpAddr}/v1/session/info/${p.session}`)).json()) as { TTL: string; Behavior: string }[];
        assert.equal(info[0]?.TTL, '10s');
        assert.equal(info[0]?.Behavior, 'delete');
      }

      // When a session ends (its TTL ran out because nobody renewed it), Consul deletes the key.
      await kv!.destroySession(pairs[1]!.session!);
      assert.deepEqual((await kv!.list('it-swarm/docker/swarm/nodes/')).pairs.length, 2);
      // The next reconcile publishes it again under a new session.
      await reconciler.reconcile(resource, ctx);
      assert.deepEqual((await kv!.list('it-swarm/docker/swarm/nodes/')).pairs.length, 3);

      assert.deepEqual(await reconciler.finalize(resource, ctx), { done: true });
      assert.deepEqual((await kv!.list('it-swarm/docker/swarm/nodes/')).pairs, []);
    },
  );
});
