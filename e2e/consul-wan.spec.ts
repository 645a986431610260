/**
 * Two datacenters joined over the WAN, on the lab: the reference ConsulCluster (dc1, the three lab
 * hosts) and a single-server dc2 on the lab's second-datacenter host (`hack/lab.sh dc2-up`, removed
 * again at the end), both from manifests, dc2 naming dc1 in its wanJoin. Each side's servers list
 * both datacenters; a service registered in dc1 is answered by dc2's DNS. Then the WAN link is cut
 * (the dc2 host drops its server RPC and WAN gossip to dc1's servers) for at least 30 s and until
 * dc1 shows the dc2 server failed, and healed: with the operator it is joined again
 * (WanMemberRejoined). The time from the heal is printed. SWARMOP_WAN_ANCHOR=1 also measures the
 * anchor in the same run: the same cut and heal with the operator stopped (Consul alone, ~70 s more:
 * another ~40 s cut and ~30 s until serf's own reconnect; it asserts nothing of swarmop, so the
 * suite leaves it out). SWARMOP_WAN_ROUNDS=N repeats each measurement N times (default 1).
 */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { leave, readWanView } from '../src/consul/agent-http.js';
import { CONSUL_WAN_PORTS, consulPartitionScript } from '../testing/lab/consul-partition.js';
import { labSettings } from '../testing/lab/lab-settings.js';
import { describeE2E, itE2E, type Framework } from './framework/framework.js';
import { resolveA } from './framework/dns.js';
import { dockerOnHost, labCommand, labManifest, labRoles } from './framework/lab.js';
import { eventually } from '../testing/util/wait-until.js';
import { run } from './framework/shell.js';

const { A, lab } = labRoles();
const DC1 = 'datacenter';
const DC2 = 'dc2';
const DC1_SERVERS = lab.hosts.map((h) => ({ node: h.name, address: h.address }));
const ROUNDS = Math.max(1, Number(process.env.SWARMOP_WAN_ROUNDS ?? 1));
const ANCHOR = process.env.SWARMOP_WAN_ANCHOR === '1';
// The partition lasts at least this long, and until dc1 shows the dc2 server failed (Consul's WAN
// suspicion takes ~30-45 s), so that there is something to repair when it heals.
const MIN_PARTITION_MS = 30_000;

/** Filled by the before hook: dc2-up writes the host into the lab settings. */
let DC2_HOST = { name: '', address: '', endpoint: '' };
const allServers = () => [...DC1_SERVERS, { node: DC2_HOST.name, address: DC2_HOST.address }];
const wanNames = () => [...DC1_SERVERS.map((s) => `${s.node}.${DC1}`), `${DC2_HOST.name}.${DC2}`].sort();

const dc2Yaml = () => `apiVersion: swarmop.io/v1alpha1
kind: DockerHost
metadata: {name: ${DC2_HOST.name}}
spec: {endpoint: '${DC2_HOST.endpoint}', address: ${DC2_HOST.address}}
---
apiVersion: swarmop.io/v1alpha1
kind: ConsulCluster
metadata: {name: ${DC2}}
spec:
  datacenter: ${DC2}
  image: hashicorp/consul:1.8.7
  servers:
    - {host: ${DC2_HOST.name}, node: ${DC2_HOST.name}}
  wanJoin: [${DC1}]
`;

/** Every server of both datacenters sees every WAN member alive. */
async function federated(): Promise<boolean> {
  const views = await Promise.all(allServers().map((s) => readWanView(s.address, { timeoutMs: 800 })));
  return views.every((v) => v.reachable && wanNames().every((n) => v.members.find((m) => m.name === n)?.status === 'alive'));
}

/** How the dc1 servers see the dc2 server ('none' when one does not answer or lacks it). */
async function dc2SeenFromDc1(): Promise<string[]> {
  const name = `${DC2_HOST.name}.${DC2}`;
  return Promise.all(
    DC1_SERVERS.map(async (s) => (await readWanView(s.address, { timeoutMs: 800 })).members.find((m) => m.name === name)?.status ?? 'none'),
  );
}

async function datacentersOf(address: string): Promise<string[]> {
  const r = await fetch(`http://${address}:8500/v1/catalog/datacenters`, { signal: AbortSignal.timeout(2000) });
  return ((await r.json()) as string[]).sort();
}

/** Blackholes (or restores) the dc2 host's server RPC and WAN gossip to every dc1 server, in the host's own network namespace. */
async function wanLink(op: 'add' | 'del'): Promise<void> {
  await labCommand(
    [
      'host-exec',
      DC2_HOST.name,
      'sh',
      '-c',
      consulPartitionScript(
        op,
        DC1_SERVERS.map((s) => s.address),
        CONSUL_WAN_PORTS,
      ),
    ],
    30_000,
  );
}

/** dc2's DNS answers the dc1 service (a cross-datacenter request over the healed link). */
async function answeredFromDc2(): Promise<boolean> {
  const a = await resolveA(DC2_HOST.address, 8600, `${A.name}.service.${DC1}.consul`, 800).catch(() => undefined);
  return a?.addresses.join() === A.ip;
}

/**
 * Cuts the WAN link for at least MIN_PARTITION_MS and until a dc1 server shows the dc2 server
 * failed, heals it, and returns the ms from the heal until every server sees every WAN member alive
 * (polled every 100 ms), then until dc2's DNS answers the dc1 service again.
 */
async function partitionAndHeal(what: string): Promise<{ ms: number; dnsMs: number; heldMs: number }> {
  const cutAt = Date.now();
  await wanLink('add');
  try {
    await new Promise((r) => setTimeout(r, MIN_PARTITION_MS));
    await eventually(`${what}: dc1 shows ${DC2_HOST.name}.${DC2} failed`, async () => (await dc2SeenFromDc1()).includes('failed'), {
      timeoutMs: 90_000,
      intervalMs: 500,
    });
  } finally {
    await wanLink('del');
  }
  const healedAt = Date.now();
  await eventually(`${what}: federated again after the heal`, federated, { timeoutMs: 90_000, intervalMs: 100 });
  const ms = Date.now() - healedAt;
  // The servers route cross-datacenter requests again a moment after the pool shows them alive.
  await eventually(`${what}: dc2's DNS answers ${A.name}.service.${DC1}.consul again`, answeredFromDc2, {
    timeoutMs: 60_000,
    intervalMs: 100,
  });
  return { ms, dnsMs: Date.now() - healedAt, heldMs: healedAt - cutAt };
}

const stats = (xs: number[]) =>
  `n=${xs.length} median ${[...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]} ms, max ${Math.max(...xs)} ms (${xs.join(', ')} ms)`;

async function removeAgents(): Promise<void> {
  for (const h of lab.hosts) {
    const ids = (await dockerOnHost(h.name, ['ps', '-aq', '--filter', `label=io.swarmop.consulcluster=${DC1}`], 15_000)).stdout
      .trim()
      .split('\n')
      .filter(Boolean);
    if (ids.length) await dockerOnHost(h.name, ['rm', '-f', ...ids], 30_000);
  }
}

function wanRepairs(f: Framework) {
  return f.operator.repairs({ kind: 'ConsulCluster', name: DC2, why: 'WanMemberRejoined' });
}

describeE2E('Consul WAN', (f) => {
  before(async () => {
    const began = Date.now();
    await labCommand(['dc2-up'], 120_000);
    const host = labSettings().dc2Host;
    assert.ok(host, 'hack/lab.sh dc2-up wrote no LAB_DC2_HOST into the lab settings');
    DC2_HOST = host;
    console.log(`# Consul WAN: ${DC2_HOST.name} (${DC2_HOST.address}) up in ${Date.now() - began} ms`);
  });

  // Runs after the framework has stopped the operator. The dc2 server leaves first, so dc1's
  // servers (whose data dirs stay on the lab hosts) do not try to reconnect to it later.
  after(async () => {
    if (DC2_HOST.address) {
      // Its restart policy would bring it back (and into the WAN pool) the moment it left.
      await run('docker', ['update', '--restart', 'no', `swarmop-consul-${DC2}`], {
        env: { ...process.env, DOCKER_HOST: DC2_HOST.endpoint },
        timeoutMs: 15_000,
      });
      await leave(DC2_HOST.address, { timeoutMs: 20_000 }).catch(() => undefined);
    }
    await removeAgents();
    await labCommand(['dc2-down'], 60_000);
  });

  itE2E(f, 'both datacenters formed and federated from manifests: every server lists both; dc1 names dc2 in its WAN status', async () => {
    await f.apply([labManifest('00-dockerhosts.yaml'), labManifest('10-consulcluster.yaml'), dc2Yaml()].join('\n---\n'));
    await f.waitCondition('consulcluster', DC1, 'True', { timeoutMs: 120_000 });
    await f.waitCondition('consulcluster', DC2, 'True', { timeoutMs: 60_000 });
    const dc2 = await f.waitCondition('consulcluster', DC2, 'True', { type: 'WanFederated', timeoutMs: 60_000 });
    for (const s of allServers()) assert.deepEqual(await datacentersOf(s.address), [DC1, DC2].sort(), `datacenters on ${s.node}`);
    assert.deepEqual(dc2.status.wan.servers, [{ node: DC2_HOST.name, datacenters: dc2.status.wan.servers[0].datacenters }]);
    assert.deepEqual([...dc2.status.wan.servers[0].datacenters].sort(), [DC1, DC2].sort());
    assert.deepEqual(
      dc2.status.wan.members.map((m: { name: string; status: string }) => `${m.name} ${m.status}`).sort(),
      wanNames().map((n) => `${n} alive`),
    );
    // The named side reports the federation too (it is dc2's to keep).
    const dc1 = await f.waitCondition('consulcluster', DC1, 'True', { type: 'WanFederated', timeoutMs: 30_000 });
    assert.deepEqual(dc1.status.wan.members.map((m: { name: string }) => m.name).sort(), wanNames());
    assert.deepEqual(
      dc1.status.wan.servers.map((s: { node: string }) => s.node),
      DC1_SERVERS.map((s) => s.node),
    );
    assert.deepEqual(wanRepairs(f), [], 'forming is not a repair');
  });

  itE2E(f, `a service registered in dc1 is answered by dc2's DNS (${A.name}.service.${DC1}.consul) and catalog (?dc=${DC1})`, async () => {
    const r = await fetch(`http://${DC1_SERVERS[0]!.address}:8500/v1/agent/service/register`, {
      method: 'PUT',
      body: JSON.stringify({ ID: A.name, Name: A.name, Address: A.ip, Port: 8080 }),
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(r.status, 200);
    const dns = await eventually(
      `${A.name}.service.${DC1}.consul from ${DC2_HOST.name}`,
      async () => {
        const a = await resolveA(DC2_HOST.address, 8600, `${A.name}.service.${DC1}.consul`);
        return a.addresses.length > 0 ? a : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 250 },
    );
    assert.deepEqual(dns, { rcode: 0, addresses: [A.ip] });
    const catalog = (await (await fetch(`http://${DC2_HOST.address}:8500/v1/catalog/service/${A.name}?dc=${DC1}`)).json()) as {
      ServiceAddress: string;
      Datacenter: string;
    }[];
    assert.deepEqual(
      catalog.map((e) => [e.Datacenter, e.ServiceAddress]),
      [[DC1, A.ip]],
    );
    // dc2 itself has no such service: the answer came over the WAN.
    assert.deepEqual((await resolveA(DC2_HOST.address, 8600, `${A.name}.service.${DC2}.consul`)).addresses, []);
  });

  itE2E(
    f,
    'WAN link cut >= 30 s and healed: joined again by the operator (one WanMemberRejoined each)',
    async () => {
      const withOperator: number[] = [];
      const dnsWithOperator: number[] = [];
      let rounds = 0;
      let consulFirst = 0;
      while (withOperator.length < ROUNDS) {
        rounds++;
        const before = wanRepairs(f).length;
        const { ms, dnsMs, heldMs } = await partitionAndHeal('with the operator');
        // The repair line may trail the pool turning alive by a moment (log line after the join returned).
        await eventually(
          'the operator has settled the WAN join',
          async () =>
            (await f.get('consulcluster', DC2))?.status.conditions.find((c: { type: string }) => c.type === 'WanFederated')?.status ===
            'True'
              ? true
              : undefined,
          { timeoutMs: 30_000 },
        );
        const repairs = wanRepairs(f).slice(before);
        if (repairs.length === 0 && consulFirst === 0) {
          // Consul healed itself before the operator's next try (it retries about every second):
          // that round says nothing about the operator, so it is run once more.
          consulFirst++;
          console.log(
            `# Consul WAN: round ${rounds}: Consul rejoined by itself ${ms} ms after the heal, before the operator's next try; repeating once`,
          );
          continue;
        }
        assert.equal(repairs.length, 1, `one WanMemberRejoined repair per heal: ${JSON.stringify(repairs)}`);
        assert.equal(repairs[0]!['host'], DC2_HOST.name);
        assert.match(
          String(repairs[0]!['what']),
          new RegExp(`sees ${DC2_HOST.name}\\.${DC2} failed in the WAN pool|${DC2_HOST.name}\\.${DC2} sees .* failed in the WAN pool`),
        );
        assert.match(String(repairs[0]!['action']), new RegExp(`over the WAN from ${DC2_HOST.address.replace(/\./g, '\\.')}$`));
        withOperator.push(ms);
        dnsWithOperator.push(dnsMs);
        console.log(
          `# Consul WAN: partition held ${heldMs} ms; federated again ${ms} ms (dc1 service answered by dc2's DNS ${dnsMs} ms) after the heal with the operator`,
        );
      }
      const events = (await f.swarmop(['events', 'consulcluster', DC2])).stdout;
      assert.match(events, /WanMemberRejoined/);

      if (!ANCHOR) {
        console.log(
          `# Consul WAN: heal -> every server sees every WAN member alive (polled every 100 ms): with the operator ${stats(withOperator)}; dc2's DNS answers the dc1 service: ${stats(dnsWithOperator)}; Consul alone not measured (SWARMOP_WAN_ANCHOR=1)`,
        );
        return;
      }
      // The anchor, in the same run: the same cut and heal with the operator stopped.
      await f.operator.stop();
      const alone: number[] = [];
      const dnsAlone: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const { ms, dnsMs, heldMs } = await partitionAndHeal('Consul alone');
        alone.push(ms);
        dnsAlone.push(dnsMs);
        console.log(
          `# Consul WAN: partition held ${heldMs} ms; federated again ${ms} ms (dc1 service answered by dc2's DNS ${dnsMs} ms) after the heal with Consul alone`,
        );
      }
      console.log(
        `# Consul WAN: heal -> every server sees every WAN member alive (polled every 100 ms): with the operator ${stats(withOperator)}; Consul alone ${stats(alone)}`,
      );
      console.log(
        `# Consul WAN: heal -> dc2's DNS answers the dc1 service: with the operator ${stats(dnsWithOperator)}; Consul alone ${stats(dnsAlone)}`,
      );
    },
    { timeout: 15 * 60_000 },
  );
});
