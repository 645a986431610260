/**
 * ServiceAddresses on the lab through the real operator and CLI: the swarm of the reference
 * topology formed from manifests, a 2-replica service created through the Swarm API on the
 * workers, and fixed addresses for its two slots. Each `it` is one thing a Swarm user does to the
 * service (drain a node, scale past the addresses, force an update stop-first and start-first,
 * delete the object); the address must follow the task, and never answer from two places at once.
 */
import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import { describeE2E, itE2E } from '../framework/framework.js';
import { dockerOnHost, hostDocker, labManifest, labRoles } from '../framework/lab.js';
import { eventually, timeUntil } from '../../testing/util/wait-until.js';
import { defaultHelperImage } from '../../src/controllers/staticipattachment/index.js';

const { MGR, A, B, WORKLOAD_IMAGE, lab } = labRoles();
const SERVICE = 'sa-e2e-web';
const LABEL = 'io.swarmop.e2e';
const WORKERS = [lab.hosts[1]!.name, lab.hosts[2]!.name];
/** Two addresses of the lab's subnet that nothing else declares. */
const ADDRS = [`${lab.netPrefix}.230`, `${lab.netPrefix}.231`];

const mgr = (): Docker => hostDocker(MGR);
const docker = async (host: string, args: string[]) => {
  const r = await dockerOnHost(host, args, 60_000);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} on ${host}: ${r.stderr.trim()}`);
  return r.stdout;
};

const SWARM = `apiVersion: swarmop.io/v1alpha1
kind: SwarmCluster
metadata: {name: swarm}
spec:
  managers: [${MGR}]
  workers: [${WORKERS.join(', ')}]
`;

const serviceAddresses = (addrs = ADDRS) => `apiVersion: swarmop.io/v1alpha1
kind: ServiceAddresses
metadata: {name: web}
spec:
  swarmCluster: swarm
  service: ${SERVICE}
  bridge: br0
  uplink: eth0
  gateway: ${lab.gateway}
  addresses: [${addrs.map((a) => `${a}/24`).join(', ')}]
`;

/** A slot as the status lists it: `node` is the swarm node's hostname, `host` its DockerHost. */
interface Slot {
  slot: string;
  address: string;
  taskID?: string;
  node?: string;
  host?: string;
  attached: boolean;
}

async function removeService(): Promise<void> {
  const list = (await mgr()
    .listServices({ filters: { label: [`${LABEL}=service-addresses`] } })
    .catch(() => [])) as { ID: string }[];
  for (const s of list) await mgr().getService(s.ID).remove();
}

async function createService(): Promise<void> {
  await mgr().createService({
    Name: SERVICE,
    Labels: { [LABEL]: 'service-addresses' },
    TaskTemplate: {
      ContainerSpec: { Image: WORKLOAD_IMAGE, Labels: { 'io.swarmop.lab': '1' }, StopGracePeriod: 1_000_000_000 },
      Placement: { Constraints: ['node.role==worker'] },
      RestartPolicy: { Condition: 'any', Delay: 1_000_000_000 },
    },
    Mode: { Replicated: { Replicas: 2 } },
  } as never);
}

/** A pinger on a host other than `node`: the reference topology's fixed-IP workloads live on the workers. */
const pingerFor = (host: string | undefined) => (A.host !== host ? A : B);
const pings = async (host: string | undefined, ip: string) => {
  const p = pingerFor(host);
  return (await dockerOnHost(p.host, ['exec', p.name, 'ping', '-c', '1', '-W', '1', ip], 10_000)).code === 0;
};

/**
 * The MACs that answer an ARP request for `ip`, asked from the manager host (a third host: the
 * tasks run on the workers), with the network helper's image (it has arping; the DockerHost
 * controller put it on every host) in the host's network namespace. Undefined when the probe
 * itself failed, so a probe that never ran cannot count as "no duplicates".
 */
async function arpAnswers(ip: string): Promise<Set<string> | undefined> {
  // ONE request per probe: iputils arping sends it at once, the next only after -i 5 s, and -w 1 ends
  // the probe after 1 s while waiting for up to -c 2 replies, so every MAC printed answered that one
  // request: two MACs are two holders at the same moment. Two requests a second apart (-c 2 -w 2)
  // would count an address that moved between them (the operator moves it in ~100 ms) as a duplicate.
  const script = 'dev=$(ip -o route get "$1" | sed -n "s/.* dev \\([^ ]*\\).*/\\1/p"); arping -c 2 -w 1 -i 5 -I "$dev" "$1"; exit 0';
  const r = await dockerOnHost(
    MGR,
    [
      'run',
      '--rm',
      '--network',
      'host',
      '--cap-add',
      'NET_RAW',
      '--label',
      'io.swarmop.lab=1',
      defaultHelperImage(),
      'sh',
      '-c',
      script,
      'sh',
      ip,
    ],
    30_000,
  );
  if (r.code !== 0) return undefined;
  // Replies only: iputils arping also prints ARP *requests* it receives that are addressed to the
  // prober ("Unicast request from ..."), which a holder sends when it resolves the prober's own
  // address: those are not a second holder answering.
  return new Set([...r.stdout.matchAll(/ reply from \S+ \[([0-9a-fA-F:]{17})\]/g)].map((m) => m[1]!.toLowerCase()));
}

describeE2E('ServiceAddresses', (f) => {
  const slots = async (): Promise<Slot[]> => ((await f.get('serviceaddresses', 'web'))?.status?.slots ?? []) as Slot[];
  const slot = async (n: string) => (await slots()).find((s) => s.slot === n);
  const bothAnswer = () =>
    eventually(
      'both slot addresses answer ping from another host',
      async () => {
        const s = await slots();
        if (s.length < 2 || !s.every((x) => x.attached)) return undefined;
        for (const x of s) if (!(await pings(x.host, x.address.split('/')[0]!))) return undefined;
        return s;
      },
      { timeoutMs: 60_000 },
    );

  itE2E(f, 'the swarm forms from manifests and both tasks of a 2-replica service answer on their addresses', async () => {
    await removeService();
    await f.apply(labManifest('00-dockerhosts.yaml'));
    await f.apply(SWARM);
    await f.waitCondition('swarmcluster', 'swarm', 'True', { timeoutMs: 120_000 });
    await f.apply(labManifest('30-staticipattachments.yaml'));
    await f.waitCondition('staticipattachment', A.name, 'True');
    await f.waitCondition('staticipattachment', B.name, 'True');
    await createService();
    await f.apply(serviceAddresses());
    const obj = await f.waitCondition('serviceaddresses', 'web', 'True', { timeoutMs: 60_000 });
    assert.equal(obj.status.attached, 2);
    await bothAnswer();
    const get = await f.swarmop(['get', 'sa']);
    assert.match(get.stdout, /web +swarm +sa-e2e-web +2\/2 attached +True/);
  });

  itE2E(f, "a drained node: the task is rescheduled and its slot's address answers from the new node", async () => {
    const before = (await slot('1'))!;
    assert.ok(before.node, 'slot 1 runs somewhere');
    const drained = Date.now();
    await docker(MGR, ['node', 'update', '--availability', 'drain', before.node!]);
    try {
      const ms = await timeUntil(
        'slot 1 answers from another node',
        async () => {
          const s = await slot('1');
          return s?.attached === true && s.node !== before.node && s.taskID !== before.taskID && (await pings(s.host, ADDRS[0]!));
        },
        { timeoutMs: 90_000 },
      );
      console.log(
        `# ServiceAddresses: slot 1 answering from the new node ${ms} ms after the drain call (${Date.now() - drained} ms total)`,
      );
      await f.operator.waitForLog(
        'drift repaired why=TaskMoved',
        (l) => l.message === 'drift repaired' && JSON.stringify(l).includes('TaskMoved'),
      );
    } finally {
      await docker(MGR, ['node', 'update', '--availability', 'active', before.node!]);
    }
  });

  itE2E(f, 'scaled to 3 with 2 addresses: AddressesExhausted; back to 2: Ready', async () => {
    await docker(MGR, ['service', 'scale', '-d', `${SERVICE}=3`]);
    const obj = await f.waitCondition('serviceaddresses', 'web', 'False', { reason: 'AddressesExhausted', timeoutMs: 60_000 });
    assert.equal(obj.status.attached, 2);
    await docker(MGR, ['service', 'scale', '-d', `${SERVICE}=2`]);
    await f.waitCondition('serviceaddresses', 'web', 'True', { timeoutMs: 60_000 });
    await bothAnswer();
  });

  for (const order of ['stop-first', 'start-first'] as const) {
    itE2E(f, `docker service update --force (${order}): each slot ends on its new task, never two answers to one address`, async () => {
      const before = await slots();
      let duplicates = 0;
      let answered = 0;
      let failed = 0;
      let probing = true;
      const probe = (async () => {
        while (probing) {
          for (const ip of ADDRS) {
            const macs = await arpAnswers(ip);
            if (macs === undefined) failed++;
            else if (macs.size > 1) duplicates++;
            else if (macs.size === 1) answered++;
          }
        }
      })();
      try {
        await docker(MGR, ['service', 'update', '--force', '--update-order', order, '--update-parallelism', '1', SERVICE]);
        await eventually(
          'each slot attached to a new task',
          async () => {
            const s = await slots();
            return s.length === 2 && s.every((x) => x.attached && x.taskID !== before.find((b) => b.slot === x.slot)?.taskID)
              ? s
              : undefined;
          },
          { timeoutMs: 90_000 },
        );
        await bothAnswer();
      } finally {
        probing = false;
        await probe;
      }
      assert.equal(failed, 0, `${failed} ARP probes could not run`);
      assert.ok(answered > 0, 'the ARP probes saw the addresses answer at least once (the detector works)');
      assert.equal(duplicates, 0, `${duplicates} ARP probes saw two MACs answer one address during the ${order} update`);
      console.log(`# ServiceAddresses: ${order} update, ${answered} ARP probes answered by one MAC, ${duplicates} by two`);
    });
  }

  itE2E(f, 'deleting the object removes the interface from every task', async () => {
    const held = await slots();
    await f.swarmop(['delete', 'serviceaddresses', 'web']);
    await eventually('object gone', async () => (await f.get('serviceaddresses', 'web')) === undefined, { timeoutMs: 60_000 });
    for (const s of held) {
      const containers = (await docker(s.host!, ['ps', '-q', '--filter', `label=com.docker.swarm.task.id=${s.taskID}`])).trim();
      assert.notEqual(containers, '', `task ${s.taskID} still runs on ${s.host}`);
      const r = await dockerOnHost(s.host!, ['exec', containers, 'ip', '-o', 'link', 'show', 'eth1'], 10_000);
      assert.notEqual(r.code, 0, `eth1 still in task ${s.taskID}: ${r.stdout}`);
    }
    await removeService();
  });
});
