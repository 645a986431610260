/**
 * DockerHost on the lab: the three hosts of the reference topology become Ready; a host whose
 * container is stopped turns Ready=False, and Ready=True again once it is started.
 */
import assert from 'node:assert/strict';
import { describeE2E, itE2E } from './framework/framework.js';
import { labCommand, labHosts, labManifest } from './framework/lab.js';
import { timeUntil } from '../testing/util/wait-until.js';

const HOSTS = labHosts().map((h) => h.name);
/** The host stopped and started (the reference topology's consul02). */
const VICTIM = HOSTS[2]!;
const OTHER = HOSTS[1]!;

describeE2E('DockerHost', (f) => {
  itE2E(f, 'the three lab hosts become Ready with their engine version', async () => {
    const out = await f.apply(labManifest('00-dockerhosts.yaml'));
    for (const h of HOSTS) assert.match(out, new RegExp(`dockerhost/${h} created`));
    for (const h of HOSTS) {
      const obj = await f.waitCondition('dockerhost', h, 'True', { timeoutMs: 30_000 });
      assert.equal(obj.status.reachable, true);
      assert.match(obj.status.engineVersion, /^\d+\.\d+/);
    }
  });

  itE2E(f, 'a stopped host turns Ready=False and Ready=True again when it is started', async () => {
    await f.waitCondition('dockerhost', VICTIM, 'True', { timeoutMs: 30_000 });
    const stopped = Date.now();
    await labCommand(['host-stop', VICTIM]);
    const stopMs = Date.now() - stopped;
    const downMs = await timeUntil(
      `${VICTIM} Ready=False`,
      async () => {
        const c = (await f.get('dockerhost', VICTIM))?.status?.conditions?.find((x: { type: string }) => x.type === 'Ready');
        return c?.status === 'False';
      },
      { timeoutMs: 30_000 },
    );
    const obj = await f.get('dockerhost', VICTIM);
    assert.equal(obj?.status.reachable, false);
    assert.equal(obj?.status.conditions.find((c: { type: string }) => c.type === 'Ready').reason, 'Unreachable');
    // The other hosts are not disturbed.
    await f.waitCondition('dockerhost', OTHER, 'True', { timeoutMs: 5_000 });

    const started = Date.now();
    await labCommand(['host-start', VICTIM]);
    const startMs = Date.now() - started;
    const upMs = await timeUntil(
      `${VICTIM} Ready=True`,
      async () => {
        const c = (await f.get('dockerhost', VICTIM))?.status?.conditions?.find((x: { type: string }) => x.type === 'Ready');
        return c?.status === 'True';
      },
      { timeoutMs: 60_000 },
    );
    console.log(
      `# DockerHost: host-stop took ${stopMs} ms, Ready=False seen ${downMs} ms after it returned; host-start took ${startMs} ms, Ready=True seen ${upMs} ms after it returned`,
    );
  });
});
