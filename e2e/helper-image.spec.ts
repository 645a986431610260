/**
 * The network helper provisions itself: a brand-new Docker host (a DinD host made here on the lab's
 * outer engine, its /var/lib/docker on tmpfs, so its engine never held any swarmop image) gets a
 * workload container with a fixed IP through the real operator with no manual step: the operator
 * imports swarmop/nethelper:<version> into the host through its Docker API, records it on the
 * DockerHost, logs it once, and the StaticIPAttachment becomes Ready, with the helper confined as
 * docs/security.md says (docker inspect). The first provisioning of
 * each host (the new one and the lab's three) is printed.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, copyFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import Docker from 'dockerode';
import { describeE2E, itE2E } from './framework/framework.js';
import { labHosts, labManifest, outerDocker, readLabEnv } from './framework/lab.js';
import { eventually } from '../testing/util/wait-until.js';

const lab = readLabEnv();
const FRESH = 'fresh-helper';
/** The address range this spec may use on the lab network: .150-.159. */
const FRESH_IP = `${lab.netPrefix}.150`;
const WORKLOAD = 'fresh-w1';
const WORKLOAD_IMAGE = 'e2e-local/busybox-workload:1';
const DIND_IMAGE = 'swarmop/dind-host:lab';

const fresh = new Docker({ host: FRESH_IP, port: 2375, protocol: 'http', timeout: 30_000 });

/** A tiny non-swarmop image (a static busybox), imported by the test itself as a user's workload. */
function busyboxRootfs(): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'swarmop-e2e-busybox-'));
  try {
    mkdirSync(join(dir, 'bin'));
    copyFileSync('/bin/busybox', join(dir, 'bin', 'busybox'));
    for (const a of ['sh', 'sleep', 'ip', 'cat']) symlinkSync('busybox', join(dir, 'bin', a));
    return execFileSync('tar', ['-C', dir, '-c', '.'], { maxBuffer: 64 << 20 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function follow(docker: Docker, stream: NodeJS.ReadableStream): Promise<void> {
  await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())));
}

async function removeFreshHost(): Promise<void> {
  const outer = outerDocker(lab);
  await outer
    .getContainer(FRESH)
    .remove({ force: true, v: true })
    .catch((err: { statusCode?: number }) => {
      if (err.statusCode !== 404) throw err;
    });
}

describeE2E('Helper image', (f) => {
  after(async () => {
    await removeFreshHost();
  });

  itE2E(
    f,
    'a host that never saw a swarmop image gets its attachment Ready with no manual step',
    async () => {
      await removeFreshHost();
      const outer = outerDocker(lab);
      // The lab's host flags (no --privileged), a tmpfs data root: an engine with nothing in it.
      const c = await outer.createContainer({
        name: FRESH,
        Hostname: FRESH,
        Image: DIND_IMAGE,
        Labels: { 'io.swarmop.lab': '1', 'io.swarmop.test': 'helper-image' },
        HostConfig: {
          NetworkMode: lab.network,
          CapAdd: ['ALL'],
          CapDrop: ['SYS_RESOURCE'],
          // The CLI's --security-opt systempaths=unconfined is these two empty lists in the API.
          SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
          MaskedPaths: [],
          ReadonlyPaths: [],
          Binds: ['/sys/fs/cgroup:/sys/fs/cgroup:rw'],
          Tmpfs: { '/var/lib/docker': 'rw,exec,suid,dev' },
        },
        NetworkingConfig: { EndpointsConfig: { [lab.network]: { IPAMConfig: { IPv4Address: FRESH_IP } } } },
      });
      await c.start();
      await eventually(
        `the engine of ${FRESH} on tcp://${FRESH_IP}:2375`,
        async () =>
          (await fresh.ping().then(
            () => true,
            () => false,
          )) || undefined,
        { timeoutMs: 90_000, intervalMs: 300 },
      );
      assert.deepEqual(await fresh.listImages(), [], 'a fresh engine holds no image at all');

      // The user's workload: not a swarmop image.
      await follow(
        fresh,
        await (fresh.importImage(
          busyboxRootfs() as never,
          { repo: WORKLOAD_IMAGE.split(':')[0], tag: '1' } as never,
        ) as unknown as Promise<NodeJS.ReadableStream>),
      );
      const w = await fresh.createContainer({
        name: WORKLOAD,
        Image: WORKLOAD_IMAGE,
        Cmd: ['sh', '-c', 'while :; do sleep 3600; done'],
        Labels: { 'io.swarmop.lab': '1' },
      });
      await w.start();
      const images = (await fresh.listImages()) as { RepoTags?: string[] }[];
      assert.deepEqual(
        images.flatMap((i) => i.RepoTags ?? []),
        [WORKLOAD_IMAGE],
        'no swarmop image on the host before the operator',
      );

      const began = Date.now();
      await f.apply(`apiVersion: swarmop.io/v1alpha1
kind: DockerHost
metadata: {name: ${FRESH}}
spec: {endpoint: "tcp://${FRESH_IP}:2375", address: ${FRESH_IP}}
---
apiVersion: swarmop.io/v1alpha1
kind: StaticIPAttachment
metadata: {name: ${WORKLOAD}}
spec: {host: ${FRESH}, container: ${WORKLOAD}, bridge: br-fresh, address: 10.76.0.5/24, ownBridge: true}
`);
      await f.waitCondition('staticipattachment', WORKLOAD, 'True', { timeoutMs: 90_000 });
      const readyMs = Date.now() - began;
      const inside = await fresh
        .getContainer(WORKLOAD)
        .exec({ Cmd: ['ip', 'addr', 'show', 'dev', 'eth1'], AttachStdout: true, AttachStderr: true });
      const out = await new Promise<string>((resolve, reject) => {
        inside.start({}, (err, stream) => {
          if (err || !stream) return reject(err ?? new Error('no exec stream'));
          const chunks: Buffer[] = [];
          stream.on('data', (b: Buffer) => chunks.push(b));
          stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        });
      });
      assert.match(out, /inet 10\.76\.0\.5\/24 /, out);
      // It got there with the reduced confinement (docs/security.md): no host PIDs, three capabilities.
      const hc = (await fresh.getContainer('swarmop-nethelper').inspect()).HostConfig;
      assert.deepEqual([...(hc.CapAdd ?? [])].sort(), ['NET_ADMIN', 'NET_RAW', 'SYS_ADMIN']);
      assert.deepEqual(hc.CapDrop, ['ALL']);
      assert.deepEqual(hc.SecurityOpt, ['no-new-privileges']);
      assert.equal(hc.ReadonlyRootfs, true);
      assert.ok((hc.PidsLimit ?? 0) > 0 && (hc.Memory ?? 0) > 0, `PidsLimit ${hc.PidsLimit} Memory ${hc.Memory}`);
      assert.notEqual(hc.PidMode, 'host');
      assert.equal(hc.Privileged, false);

      const host = await f.waitCondition('dockerhost', FRESH, 'True', { type: 'HelperImageReady', timeoutMs: 30_000 });
      const helper = host.status.helperImage as { image: string; state: string; id: string; provisionMs: number };
      assert.equal(helper.state, 'Imported', JSON.stringify(helper));
      assert.match(helper.image, /^swarmop\/nethelper:\d+\.\d+\.\d+/);
      assert.equal(typeof helper.provisionMs, 'number');
      const tags = ((await fresh.listImages()) as { RepoTags?: string[]; Id: string }[]).flatMap((i) => i.RepoTags ?? []).sort();
      assert.deepEqual(tags, [WORKLOAD_IMAGE, helper.image].sort());
      const lines = f.operator.lines.filter((l) => l.message === 'helper image provisioned' && l['host'] === FRESH);
      assert.equal(lines.length, 1, 'logged once for the host');
      console.log(
        `# helper image: first provisioning on ${FRESH} (fresh engine): imported in ${helper.provisionMs} ms; attachment Ready ${readyMs} ms after apply`,
      );
    },
    { timeout: 4 * 60_000 },
  );

  itE2E(f, "the lab's hosts get the helper image too, each once; a re-check imports nothing", async () => {
    await f.apply(labManifest('00-dockerhosts.yaml'));
    for (const h of labHosts()) {
      const began = Date.now();
      const obj = await f.waitCondition('dockerhost', h.name, 'True', { type: 'HelperImageReady', timeoutMs: 60_000 });
      const helper = obj.status.helperImage as { state: string; provisionMs?: number };
      assert.ok(['Imported', 'Present'].includes(helper.state), JSON.stringify(helper));
      console.log(
        `# helper image: ${h.name}: ${helper.state}${helper.provisionMs !== undefined ? ` (imported in ${helper.provisionMs} ms)` : ' (already there from an earlier run)'}; HelperImageReady seen ${Date.now() - began} ms after apply`,
      );
    }
    // Every reconcile since (events, resyncs) answered from memory: still one line per host.
    for (const h of [...labHosts().map((x) => x.name), FRESH]) {
      const n = f.operator.lines.filter((l) => l.message === 'helper image provisioned' && l['host'] === h).length;
      assert.ok(n <= 1, `${h} provisioned ${n} times`);
    }
    assert.equal(f.operator.lines.filter((l) => l.message === 'helper image provisioned' && l['host'] === FRESH).length, 1);
  });
});
