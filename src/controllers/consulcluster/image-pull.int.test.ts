/**
 * A ConsulCluster whose image the host lacks and cannot pull (a real, offline dockerd with a name
 * no registry has): the cluster says ImagePullFailed with the engine's own message, no agent
 * container is created (nothing to crash-loop), an event records it, and the next try is planned
 * slowly instead of backing off through errors.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import type { ConsulCluster } from '../../crds/index.js';
import { startDockerEngine, type DockerEngineHandle } from '../../../testing/harness/docker-engine.js';
import { recordingContext } from '../../../testing/util/reconcile-context.js';
import { CLUSTER_LABEL } from './labels.js';
import { ConsulClusterReconciler } from './reconciler.js';

const IMAGE = 'swarmop-test/no-such-consul:missing';

describe('ConsulCluster with an image that cannot be pulled', () => {
  let engine: DockerEngineHandle;
  let docker: Docker;

  before(async () => {
    engine = await startDockerEngine({ name: 'itest-consul-pull' });
    docker = new Docker({ socketPath: engine.socketPath });
  });
  after(async () => {
    await engine?.stop();
  });

  it('is Ready=False ImagePullFailed with the engine message, creates no container, and retries in 30 s', async () => {
    const ctx = recordingContext({ hosts: [{ name: 'pullhost', address: '127.0.0.1', endpoint: engine.dockerHost }] });
    const cluster: ConsulCluster = {
      apiVersion: 'swarmop.io/v1alpha1',
      kind: 'ConsulCluster',
      metadata: { name: 'pulltest', uid: 'u1', generation: 1 },
      spec: {
        datacenter: 'dc',
        image: IMAGE,
        ui: false,
        bootstrapExpect: 1,
        servers: [{ host: 'pullhost', node: 'n1' }],
        dataDir: '/tmp/swarmop-itest-consul-pull',
      },
    };
    const rec = new ConsulClusterReconciler({ httpTimeoutMs: 300 });
    for (let round = 0; round < 2; round++) {
      const out = await rec.reconcile(cluster, ctx);
      const ready = out.conditions.find((c) => c.type === 'Ready')!;
      assert.equal(ready.status, 'False');
      assert.equal(ready.reason, 'ImagePullFailed', JSON.stringify(out.conditions));
      // The engine's own words after our prefix, e.g. "pull access denied ..." or a DNS failure.
      assert.match(ready.message, new RegExp(`^pull of ${IMAGE.replace(/[.]/g, '\\.')} on pullhost failed: \\S.{5,}`));
      assert.equal(out.requeueAfter, 30_000);
      const containers = (await docker.listContainers({ all: true, filters: { label: [`${CLUSTER_LABEL}=pulltest`] } })) as unknown[];
      assert.deepEqual(containers, [], 'no agent container while the image is missing');
    }
    assert.deepEqual(
      ctx.events.map((e) => [e.type, e.reason]),
      [
        ['Warning', 'ImagePullFailed'],
        ['Warning', 'ImagePullFailed'],
      ],
    );
    console.log(`# ConsulCluster pull of a missing image: ${ctx.events[0]?.message}`);
  });
});
