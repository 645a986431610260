/**
 * A fixed-IP container as a Consul service, on the lab (names below are the reference lab's; the spec reads the lab settings): the reference ConsulCluster on the three
 * hosts, ubuntu114 (listening on 8080) registered on consul01's agent with a TCP check on its fixed
 * address, found through the managed cluster's DNS (:8600) from this machine and from ubuntu119,
 * health following the container, a hand deregistration repaired once, and the service gone with
 * the attachment. The lab is given back as the other specs expect it: no Consul agents, ubuntu114
 * running the plain workload, both attachments without a service.
 */
import assert from 'node:assert/strict';
import { after } from 'node:test';
import { describeE2E, itE2E } from './framework/framework.js';
import { bashQueryCommand, parseAnswer, parseHexDump, resolveA } from './framework/dns.js';
import { docker, ensureWorkload } from './framework/faults.js';
import { dockerOnHost, labManifest, labRoles } from './framework/lab.js';
import { eventually, timeUntil } from '../testing/util/wait-until.js';

// The lab's first host runs the first Consul server; workload A (ubuntu114 in the reference lab)
// gets the service, B (ubuntu119) looks it up.
const { MGR, A, B, addressOf, WORKLOAD_IMAGE, lab } = labRoles();
const SERVER = addressOf(MGR);
const AGENT_A = addressOf(A.host);
const DC = 'datacenter';
const NAME = `${A.name}.service.${DC}.consul`;
const CLUSTER_LABEL = `io.swarmop.consulcluster=${DC}`;
const HOST_NAMES = lab.hosts.map((h) => h.name);

const LISTENER =
  '$SIG{TERM}=sub{exit 0}; my $s=IO::Socket::INET->new(LocalPort=>8080,Listen=>5,ReuseAddr=>1) or die $!; while(my $c=$s->accept){close $c}';
const withService = `apiVersion: swarmop.io/v1alpha1
kind: StaticIPAttachment
metadata: {name: ${A.name}}
spec:
  host: ${A.host}
  container: ${A.name}
  bridge: br0
  uplink: eth0
  address: ${A.cidr}
  gateway: ${lab.gateway}
  service:
    consulCluster: ${DC}
    port: 8080
    tags: [e2e]
    check: {tcp: 8080, interval: 2s, timeout: 1s}
`;

async function catalogHealth(): Promise<string[]> {
  const r = await fetch(`http://${SERVER}:8500/v1/health/service/${A.name}`, { signal: AbortSignal.timeout(2000) });
  const entries = (await r.json()) as { Service: { Address: string }; Checks: { ServiceID: string; Status: string }[] }[];
  return entries.map(
    (e) =>
      `${e.Service.Address} ${e.Checks.filter((c) => c.ServiceID === A.name)
        .map((c) => c.Status)
        .join(',')}`,
  );
}
const dnsAddresses = async () => (await resolveA(SERVER, 8600, NAME).catch(() => ({ addresses: ['<no answer>'] }))).addresses.join(',');

async function removeAgents(): Promise<void> {
  for (const h of HOST_NAMES) {
    const ids = (await dockerOnHost(h, ['ps', '-aq', '--filter', `label=${CLUSTER_LABEL}`], 15_000)).stdout
      .trim()
      .split('\n')
      .filter(Boolean);
    if (ids.length) await dockerOnHost(h, ['rm', '-f', ...ids], 30_000);
  }
}

async function plainWorkloadA(): Promise<void> {
  await dockerOnHost(A.host, ['rm', '-f', A.name], 30_000);
  await ensureWorkload(A.host, A.name);
}

describeE2E('Consul service', (f) => {
  // Runs after the framework has stopped the operator: only a safety net for a failed spec.
  after(async () => {
    await removeAgents();
    const cmd = (await dockerOnHost(A.host, ['inspect', '-f', '{{json .Config.Cmd}}', A.name], 15_000)).stdout;
    if (cmd.includes('perl')) await plainWorkloadA();
  });

  itE2E(
    f,
    "registered on its host's agent: the managed DNS answers the fixed address; ubuntu119 reaches ubuntu114 by that name",
    async () => {
      await removeAgents();
      await dockerOnHost(A.host, ['rm', '-f', A.name], 30_000);
      await docker(A.host, [
        'run',
        '-d',
        '--name',
        A.name,
        '--hostname',
        A.name,
        '--label',
        'io.swarmop.lab=1',
        WORKLOAD_IMAGE,
        'perl',
        '-MIO::Socket::INET',
        '-e',
        LISTENER,
      ]);
      const attachmentB = labManifest('30-staticipattachments.yaml')
        .split(/^---$/m)
        .find((d) => new RegExp(`name: ${B.name}\\b`).test(d))!;
      await f.apply([labManifest('00-dockerhosts.yaml'), labManifest('10-consulcluster.yaml'), attachmentB].join('\n---\n'));
      await f.waitCondition('consulcluster', DC, 'True', { timeoutMs: 120_000 });
      await f.waitCondition('staticipattachment', B.name, 'True');

      // ubuntu114's attachment is created with its service: Ready and the registration come from the same reconcile.
      await f.apply(withService);
      await eventually('passing in the catalog', async () => (await catalogHealth()).join() === `${A.ip} passing`, {
        timeoutMs: 30_000,
        intervalMs: 100,
      });
      const passingAt = Date.now();
      const obj = await f.waitCondition('staticipattachment', A.name, 'True', { type: 'ServiceRegistered' });
      const readyAt = Date.parse(obj.status.conditions.find((c: { type: string }) => c.type === 'Ready').lastTransitionTime);
      assert.deepEqual(await catalogHealth(), [`${A.ip} passing`]);
      const now = await f.get('staticipattachment', A.name);
      assert.deepEqual(now?.status.service, {
        serviceID: A.name,
        agent: A.host,
        agentAddress: `${AGENT_A}:8500`,
        consulCluster: DC,
        health: now?.status.service.health,
      });
      const regEvent = (await f.swarmop(['events', 'staticipattachment', A.name])).stdout;
      assert.ok(new RegExp(`ServiceRegistered\\s+staticipattachment/${A.name}\\s+`).test(regEvent), regEvent);
      assert.ok(regEvent.includes(`registered ${A.name} at ${A.ip}:8080 on agent ${A.host} of ConsulCluster ${DC}`), regEvent);
      console.log(
        `# Consul service: passing in the catalog ${passingAt - readyAt} ms after the attachment turned Ready (check interval 2s; polled every 100 ms)`,
      );

      for (const h of lab.hosts) assert.deepEqual((await resolveA(h.address, 8600, NAME)).addresses, [A.ip]);
      // From inside ubuntu119 (its own address and route): the raw reply is kept for the failure message.
      let raw = '';
      const answer = await eventually(
        `${B.name} resolves ${A.name} through the managed DNS`,
        async () => {
          raw = await docker(B.host, ['exec', B.name, 'bash', '-c', bashQueryCommand(SERVER, 8600, NAME)]);
          const a = parseAnswer(parseHexDump(raw));
          return a.rcode === 0 && a.addresses.length > 0 ? a : undefined;
        },
        { timeoutMs: 15_000, intervalMs: 500 },
      ).catch((err: Error) => assert.fail(`${err.message}; last reply: ${raw.replace(/\s+/g, ' ').trim()}`));
      assert.deepEqual(answer, { rcode: 0, addresses: [A.ip] });
      const ping = await dockerOnHost(B.host, ['exec', B.name, 'ping', '-c', '1', '-W', '2', answer.addresses[0]!], 10_000);
      assert.equal(ping.code, 0, ping.stdout + ping.stderr);
    },
  );

  itE2E(f, 'container stopped: critical and out of DNS within the check interval; started: back', async () => {
    await docker(A.host, ['stop', '-t', '1', A.name]);
    const stoppedAt = Date.now();
    await eventually('critical', async () => (await catalogHealth()).join() === `${A.ip} critical`, { timeoutMs: 15_000, intervalMs: 100 });
    const toCritical = Date.now() - stoppedAt;
    // DNS reads are stale-allowed on the server that answers: it follows the leader within moments.
    await eventually('out of DNS', async () => (await dnsAddresses()) === '', { timeoutMs: 5_000, intervalMs: 100 });
    const outOfDns = Date.now() - stoppedAt;
    await f.waitCondition('staticipattachment', A.name, 'False', { reason: 'ContainerNotRunning' });
    await eventually(
      'status health critical',
      async () => (await f.get('staticipattachment', A.name))?.status.service.health === 'critical',
      { timeoutMs: 15_000 },
    );
    await docker(A.host, ['start', A.name]);
    const back = await timeUntil('DNS answers again', async () => (await dnsAddresses()) === A.ip, { timeoutMs: 30_000, intervalMs: 100 });
    assert.deepEqual(await catalogHealth(), [`${A.ip} passing`]);
    // A restart is shorter than one check interval: watch DNS through it and report the longest gap.
    let lastAnswer = Date.now();
    let gap = 0;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        if ((await dnsAddresses()) === A.ip) {
          gap = Math.max(gap, Date.now() - lastAnswer);
          lastAnswer = Date.now();
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await docker(A.host, ['restart', '-t', '1', A.name]);
    await new Promise((r) => setTimeout(r, 6000));
    watching = false;
    await watcher;
    assert.deepEqual(await catalogHealth(), [`${A.ip} passing`]);
    assert.equal(await dnsAddresses(), A.ip);
    console.log(
      `# Consul service: critical ${toCritical} ms and out of DNS ${outOfDns} ms after docker stop returned (check interval 2s, timeout 1s); DNS answers ${back} ms after docker start returned; longest time between two DNS answers around a docker restart: ${gap} ms (polled every ~50 ms for 6 s)`,
    );
  });

  itE2E(f, 'deregistered by hand: registered again with one drift repaired line and event', async () => {
    await eventually('passing before the fault', async () => (await catalogHealth()).join() === `${A.ip} passing`, { timeoutMs: 15_000 });
    const before = f.operator.repairs({ kind: 'StaticIPAttachment', name: A.name, why: 'ServiceMissing' }).length;
    assert.equal(before, 0);
    const r = await fetch(`http://${AGENT_A}:8500/v1/agent/service/deregister/${A.name}`, {
      method: 'PUT',
      signal: AbortSignal.timeout(3000),
    });
    assert.equal(r.status, 200);
    const ms = await timeUntil('registered again', async () => (await catalogHealth()).length === 1, {
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    await eventually('passing again', async () => (await catalogHealth()).join() === `${A.ip} passing`, { timeoutMs: 15_000 });
    const repairs = f.operator.repairs({ kind: 'StaticIPAttachment', name: A.name, why: 'ServiceMissing' });
    assert.deepEqual(
      repairs.map((l) => [l['host'], l['what'], l['action']]),
      [[A.host, `service ${A.name} is not registered on agent ${A.host}`, `registered ${A.name} at ${A.ip}:8080 on agent ${A.host}`]],
    );
    const events = (await f.swarmop(['events', 'staticipattachment', A.name])).stdout;
    assert.match(events, /ServiceMissing/);
    console.log(`# Consul service: re-registered ${ms} ms after a hand deregistration`);
  });

  itE2E(f, 'attachment deleted: the service is gone from the catalog', async () => {
    await f.swarmop(['delete', 'staticipattachment', A.name]);
    await eventually(`${A.name} gone from the store`, async () => ((await f.get('staticipattachment', A.name)) ? undefined : true), {
      timeoutMs: 60_000,
    });
    await eventually('gone from the catalog', async () => (await catalogHealth()).length === 0, { timeoutMs: 15_000 });
    const catalog = await (await fetch(`http://${SERVER}:8500/v1/catalog/service/${A.name}`)).json();
    assert.deepEqual(catalog, []);
    assert.equal(await dnsAddresses(), '');
  });

  itE2E(f, 'the lab is given back: plain ubuntu114 attached without a service, no Consul agents', async () => {
    await plainWorkloadA();
    await f.apply(labManifest('30-staticipattachments.yaml'));
    await f.waitCondition('staticipattachment', A.name, 'True');
    await f.swarmop(['delete', 'consulcluster', DC]);
    await eventually('ConsulCluster deleted', async () => ((await f.get('consulcluster', DC)) ? undefined : true), { timeoutMs: 90_000 });
    for (const h of HOST_NAMES)
      assert.equal(
        (await dockerOnHost(h, ['ps', '-aq', '--filter', `label=${CLUSTER_LABEL}`], 15_000)).stdout.trim(),
        '',
        `agent left on ${h}`,
      );
  });
});
