/**
 * A fixed-IP container as a Consul service, on the lab: the reference ConsulCluster on the three
 * hosts, ubuntu114 (listening on 8080) registered on consul01's agent with a TCP check on its fixed
 * address, found through the managed cluster's DNS (:8600) from this machine and from ubuntu119,
 * health following the container, a hand deregistration repaired once, and the service gone with
 * the attachment. The lab is given back as the other specs expect it: no Consul agents, ubuntu114
 * running the plain workload, both attachments without a service.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after } from 'node:test';
import { describeE2E, itE2E } from './framework/framework.js';
import { bashQueryCommand, parseAnswer, parseHexDump, resolveA } from './framework/dns.js';
import { docker, ensureWorkload } from './framework/faults.js';
import { dockerOnHost, REPO_ROOT } from './framework/lab.js';
import { eventually, timeUntil } from './framework/poll.js';

const SERVER = '192.168.116.111';
const AGENT_01 = '192.168.116.112';
const NAME = 'ubuntu114.service.datacenter.consul';
const CLUSTER_LABEL = 'io.swarmop.consulcluster=datacenter';
const manifest = (file: string) => readFileSync(join(REPO_ROOT, 'manifests', file), 'utf8');

const LISTENER = "$SIG{TERM}=sub{exit 0}; my $s=IO::Socket::INET->new(LocalPort=>8080,Listen=>5,ReuseAddr=>1) or die $!; while(my $c=$s->accept){close $c}";
const withService = `apiVersion: swarmop.io/v1alpha1
kind: StaticIPAttachment
metadata: {name: ubuntu114}
spec:
  host: consul01
  container: ubuntu114
  bridge: br0
  uplink: eth0
  address: 192.168.116.114/24
  gateway: 192.168.116.1
  service:
    consulCluster: datacenter
    port: 8080
    tags: [e2e]
    check: {tcp: 8080, interval: 2s, timeout: 1s}
`;

async function catalogHealth(): Promise<string[]> {
  const r = await fetch(`http://${SERVER}:8500/v1/health/service/ubuntu114`, { signal: AbortSignal.timeout(2000) });
  const entries = (await r.json()) as { Service: { Address: string }; Checks: { ServiceID: string; Status: string }[] }[];
  return entries.map((e) => `${e.Service.Address} ${e.Checks.filter((c) => c.ServiceID === 'ubuntu114').map((c) => c.Status).join(',')}`);
}
const dnsAddresses = async () => (await resolveA(SERVER, 8600, NAME).catch(() => ({ addresses: ['<no answer>'] }))).addresses.join(',');

async function removeAgents(): Promise<void> {
  for (const h of ['consulsvr', 'consul01', 'consul02']) {
    const ids = (await dockerOnHost(h, ['ps', '-aq', '--filter', `label=${CLUSTER_LABEL}`], 15_000)).stdout.trim().split('\n').filter(Boolean);
    if (ids.length) await dockerOnHost(h, ['rm', '-f', ...ids], 30_000);
  }
}

async function plainUbuntu114(): Promise<void> {
  await dockerOnHost('consul01', ['rm', '-f', 'ubuntu114'], 30_000);
  await ensureWorkload('consul01', 'ubuntu114');
}

describeE2E('Consul service', (f) => {
  // Runs after the framework has stopped the operator: only a safety net for a failed spec.
  after(async () => {
    await removeAgents();
    const cmd = (await dockerOnHost('consul01', ['inspect', '-f', '{{json .Config.Cmd}}', 'ubuntu114'], 15_000)).stdout;
    if (cmd.includes('perl')) await plainUbuntu114();
  });

  itE2E(f, 'registered on its host\'s agent: the managed DNS answers the fixed address; ubuntu119 reaches ubuntu114 by that name', async () => {
    await removeAgents();
    await dockerOnHost('consul01', ['rm', '-f', 'ubuntu114'], 30_000);
    await docker('consul01', ['run', '-d', '--name', 'ubuntu114', '--hostname', 'ubuntu114', '--label', 'io.swarmop.lab=1', 'swarmop/workload:lab', 'perl', '-MIO::Socket::INET', '-e', LISTENER]);
    const ubuntu119 = manifest('30-staticipattachments.yaml').split(/^---$/m).find((d) => /name: ubuntu119/.test(d))!;
    await f.apply([manifest('00-dockerhosts.yaml'), manifest('10-consulcluster.yaml'), ubuntu119].join('\n---\n'));
    await f.waitCondition('consulcluster', 'datacenter', 'True', { timeoutMs: 120_000 });
    await f.waitCondition('staticipattachment', 'ubuntu119', 'True');

    // ubuntu114's attachment is created with its service: Ready and the registration come from the same reconcile.
    await f.apply(withService);
    await eventually('passing in the catalog', async () => (await catalogHealth()).join() === '192.168.116.114 passing', { timeoutMs: 30_000, intervalMs: 100 });
    const passingAt = Date.now();
    const obj = await f.waitCondition('staticipattachment', 'ubuntu114', 'True', { type: 'ServiceRegistered' });
    const readyAt = Date.parse(obj.status.conditions.find((c: { type: string }) => c.type === 'Ready').lastTransitionTime);
    assert.deepEqual(await catalogHealth(), ['192.168.116.114 passing']);
    const now = await f.get('staticipattachment', 'ubuntu114');
    assert.deepEqual(now?.status.service, { serviceID: 'ubuntu114', agent: 'consul01', agentAddress: `${AGENT_01}:8500`, consulCluster: 'datacenter', health: now?.status.service.health });
    const regEvent = (await f.swarmop(['events', 'staticipattachment', 'ubuntu114'])).stdout;
    assert.match(regEvent, /ServiceRegistered\s+staticipattachment\/ubuntu114\s+registered ubuntu114 at 192\.168\.116\.114:8080 on agent consul01 of ConsulCluster datacenter/);
    console.log(`# Consul service: passing in the catalog ${passingAt - readyAt} ms after the attachment turned Ready (check interval 2s; polled every 100 ms)`);

    for (const server of ['192.168.116.111', '192.168.116.112', '192.168.116.113']) assert.deepEqual((await resolveA(server, 8600, NAME)).addresses, ['192.168.116.114']);
    // From inside ubuntu119 (its own address and route): the raw reply is kept for the failure message.
    let raw = '';
    const answer = await eventually(
      'ubuntu119 resolves ubuntu114 through the managed DNS',
      async () => {
        raw = await docker('consul02', ['exec', 'ubuntu119', 'bash', '-c', bashQueryCommand(SERVER, 8600, NAME)]);
        const a = parseAnswer(parseHexDump(raw));
        return a.rcode === 0 && a.addresses.length > 0 ? a : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 500 },
    ).catch((err: Error) => assert.fail(`${err.message}; last reply: ${raw.replace(/\s+/g, ' ').trim()}`));
    assert.deepEqual(answer, { rcode: 0, addresses: ['192.168.116.114'] });
    const ping = await dockerOnHost('consul02', ['exec', 'ubuntu119', 'ping', '-c', '1', '-W', '2', answer.addresses[0]!], 10_000);
    assert.equal(ping.code, 0, ping.stdout + ping.stderr);
  });

  itE2E(f, 'container stopped: critical and out of DNS within the check interval; started: back', async () => {
    await docker('consul01', ['stop', '-t', '1', 'ubuntu114']);
    const stoppedAt = Date.now();
    await eventually('critical', async () => (await catalogHealth()).join() === '192.168.116.114 critical', { timeoutMs: 15_000, intervalMs: 100 });
    const toCritical = Date.now() - stoppedAt;
    // DNS reads are stale-allowed on the server that answers: it follows the leader within moments.
    await eventually('out of DNS', async () => (await dnsAddresses()) === '', { timeoutMs: 5_000, intervalMs: 100 });
    const outOfDns = Date.now() - stoppedAt;
    await f.waitCondition('staticipattachment', 'ubuntu114', 'False', { reason: 'ContainerNotRunning' });
    await eventually('status health critical', async () => (await f.get('staticipattachment', 'ubuntu114'))?.status.service.health === 'critical', { timeoutMs: 15_000 });
    await docker('consul01', ['start', 'ubuntu114']);
    const back = await timeUntil('DNS answers again', async () => (await dnsAddresses()) === '192.168.116.114', { timeoutMs: 30_000, intervalMs: 100 });
    assert.deepEqual(await catalogHealth(), ['192.168.116.114 passing']);
    // A restart is shorter than one check interval: watch DNS through it and report the longest gap.
    let lastAnswer = Date.now();
    let gap = 0;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        if ((await dnsAddresses()) === '192.168.116.114') {
          gap = Math.max(gap, Date.now() - lastAnswer);
          lastAnswer = Date.now();
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await docker('consul01', ['restart', '-t', '1', 'ubuntu114']);
    await new Promise((r) => setTimeout(r, 6000));
    watching = false;
    await watcher;
    assert.deepEqual(await catalogHealth(), ['192.168.116.114 passing']);
    assert.equal(await dnsAddresses(), '192.168.116.114');
    console.log(`# Consul service: critical ${toCritical} ms and out of DNS ${outOfDns} ms after docker stop returned (check interval 2s, timeout 1s); DNS answers ${back} ms after docker start returned; longest time between two DNS answers around a docker restart: ${gap} ms (polled every ~50 ms for 6 s)`);
  });

  itE2E(f, 'deregistered by hand: registered again with one drift repaired line and event', async () => {
    await eventually('passing before the fault', async () => (await catalogHealth()).join() === '192.168.116.114 passing', { timeoutMs: 15_000 });
    const before = f.operator.repairs({ kind: 'StaticIPAttachment', name: 'ubuntu114', why: 'ServiceMissing' }).length;
    assert.equal(before, 0);
    const r = await fetch(`http://${AGENT_01}:8500/v1/agent/service/deregister/ubuntu114`, { method: 'PUT', signal: AbortSignal.timeout(3000) });
    assert.equal(r.status, 200);
    const ms = await timeUntil('registered again', async () => (await catalogHealth()).length === 1, { timeoutMs: 30_000, intervalMs: 100 });
    await eventually('passing again', async () => (await catalogHealth()).join() === '192.168.116.114 passing', { timeoutMs: 15_000 });
    const repairs = f.operator.repairs({ kind: 'StaticIPAttachment', name: 'ubuntu114', why: 'ServiceMissing' });
    assert.deepEqual(
      repairs.map((l) => [l['host'], l['what'], l['action']]),
      [['consul01', 'service ubuntu114 is not registered on agent consul01', 'registered ubuntu114 at 192.168.116.114:8080 on agent consul01']],
    );
    const events = (await f.swarmop(['events', 'staticipattachment', 'ubuntu114'])).stdout;
    assert.match(events, /ServiceMissing/);
    console.log(`# Consul service: re-registered ${ms} ms after a hand deregistration`);
  });

  itE2E(f, 'attachment deleted: the service is gone from the catalog', async () => {
    await f.swarmop(['delete', 'staticipattachment', 'ubuntu114']);
    await eventually('ubuntu114 gone from the store', async () => ((await f.get('staticipattachment', 'ubuntu114')) ? undefined : true), { timeoutMs: 60_000 });
    await eventually('gone from the catalog', async () => (await catalogHealth()).length === 0, { timeoutMs: 15_000 });
    const catalog = await (await fetch(`http://${SERVER}:8500/v1/catalog/service/ubuntu114`)).json();
    assert.deepEqual(catalog, []);
    assert.equal(await dnsAddresses(), '');
  });

  itE2E(f, 'the lab is given back: plain ubuntu114 attached without a service, no Consul agents', async () => {
    await plainUbuntu114();
    await f.apply(manifest('30-staticipattachments.yaml'));
    await f.waitCondition('staticipattachment', 'ubuntu114', 'True');
    await f.swarmop(['delete', 'consulcluster', 'datacenter']);
    await eventually('ConsulCluster deleted', async () => ((await f.get('consulcluster', 'datacenter')) ? undefined : true), { timeoutMs: 90_000 });
    for (const h of ['consulsvr', 'consul01', 'consul02'])
      assert.equal((await dockerOnHost(h, ['ps', '-aq', '--filter', `label=${CLUSTER_LABEL}`], 15_000)).stdout.trim(), '', `agent left on ${h}`);
  });
});
