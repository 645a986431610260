/**
 * The helper image provisioner against a REAL, empty Docker Engine (its own dockerd, no image in
 * it, no registry reachable): the default image is imported from the package's root filesystem
 * once, the resident helper then runs pipework's observe program with it, and a custom image that
 * cannot be pulled is reported with the engine's message, never thrown.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { startDockerEngine, type DockerEngineHandle } from '../../testing/harness/docker-engine.js';
import { packageFile } from '../package-info.js';
import { defaultHelperImage, HELPER_IDLE_CMD, HELPER_ROOTFS, HELPER_ROOTFS_LABEL, HelperImageProvisioner } from './helper-image.js';
import { ResidentNetHelper, RunOnceNetHelper } from './net-helper.js';
import { observeProgram, parseObservation } from '../controllers/staticipattachment/observe.js';

const LABEL = { 'io.swarmop.test': 'helper-image' };

describe('HelperImageProvisioner on an empty engine', () => {
  let engine: DockerEngineHandle;
  let docker: Docker;
  const lines: { message: string; fields?: Record<string, unknown> }[] = [];
  const log = {
    info: (message: string, fields?: Record<string, unknown>) => lines.push({ message, ...(fields ? { fields } : {}) }),
    warn: (message: string, fields?: Record<string, unknown>) => lines.push({ message, ...(fields ? { fields } : {}) }),
  };

  before(async () => {
    assert.ok(existsSync(packageFile(HELPER_ROOTFS)), `${HELPER_ROOTFS} missing: run hack/helper-rootfs.sh`);
    engine = await startDockerEngine({ name: 'itest-helper-image' });
    docker = new Docker({ socketPath: engine.socketPath });
    // Empty means empty: no image from an earlier run.
    for (const c of (await docker.listContainers({ all: true })) as { Id: string }[])
      await docker.getContainer(c.Id).remove({ force: true });
    for (const i of (await docker.listImages()) as { Id: string }[]) await docker.getImage(i.Id).remove({ force: true });
  });
  after(async () => {
    for (const c of ((await docker?.listContainers({ all: true })) ?? []) as { Id: string }[])
      await docker.getContainer(c.Id).remove({ force: true });
    await engine?.stop();
  });

  it('imports the default image once, records how long it took, and answers Present from then on', async () => {
    assert.deepEqual(await docker.listImages(), []);
    const images = new HelperImageProvisioner({ log });
    const host = { name: 'empty', docker };
    const [a, b] = await Promise.all([images.ensure(host), images.ensure(host)]);
    assert.equal(a, b, 'concurrent callers share one provisioning');
    assert.equal(a.state, 'Imported', JSON.stringify(a));
    assert.equal(a.image, defaultHelperImage());
    assert.ok(typeof a.provisionMs === 'number' && a.provisionMs >= 0);
    console.log(`# helper image: imported into an empty engine in ${a.provisionMs} ms`);
    const info = await docker.getImage(defaultHelperImage()).inspect();
    assert.equal(info.Id, a.id);
    assert.match(info.Config.Labels?.[HELPER_ROOTFS_LABEL] ?? '', /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(
      lines.filter((l) => l.message === 'helper image provisioned').map((l) => [l.fields?.['host'], l.fields?.['how']]),
      [['empty', 'imported']],
    );

    // Another operator (a restart) finds it there and imports nothing.
    const again = await new HelperImageProvisioner({ log }).ensure(host);
    assert.deepEqual(again, { image: defaultHelperImage(), state: 'Present', id: a.id });
    assert.equal(lines.filter((l) => l.message === 'helper image provisioned').length, 1);
  });

  it('the resident helper runs the observe program with the imported image (ip -j -batch, nsenter, sh)', async () => {
    const images = new HelperImageProvisioner({ log });
    const helper = new ResidentNetHelper({
      image: images.image,
      ensureImage: (h) => images.require(h),
      labels: LABEL,
      containerName: 'swarmop-nethelper-itest',
    });
    // A workload with its own network namespace (the helper image itself, idle, with only lo).
    const w = await docker.createContainer({
      name: 'helper-itest-workload',
      Image: images.image,
      Cmd: HELPER_IDLE_CMD,
      OpenStdin: true,
      Labels: LABEL,
      HostConfig: { NetworkMode: 'none' },
    });
    await w.start();
    const netns = await helper.netnsPath({ name: 'empty', docker }, (await w.inspect()).NetworkSettings.SandboxKey);
    const r = await helper.run({ name: 'empty', docker }, observeProgram(netns));
    assert.equal(r.failedAt, undefined, r.stderr);
    assert.deepEqual(
      r.results.map((x) => x.exitCode),
      [0, 0],
      r.stderr,
    );
    const obs = parseObservation(r, netns);
    assert.ok(obs.host.links.length > 0);
    assert.deepEqual(
      obs.container?.links.map((l) => l.name),
      ['lo'],
    );
    const c = await docker.getContainer('swarmop-nethelper-itest').inspect();
    assert.equal(c.State.Running, true);
    assert.equal(c.HostConfig.Privileged, false);
  });

  it('an image removed from the host after it was checked is provisioned again when a helper must be re-created', async () => {
    const images = new HelperImageProvisioner({ log });
    const host = { name: 'empty', docker };
    assert.equal((await images.ensure(host)).state, 'Present');
    // Someone cleans the host: every container goes, then the image.
    for (const c of (await docker.listContainers({ all: true })) as { Id: string }[])
      await docker.getContainer(c.Id).remove({ force: true });
    await docker.getImage(images.image).remove();
    const before = lines.filter((l) => l.message === 'helper image provisioned').length;
    const helper = new ResidentNetHelper({
      image: images.image,
      ensureImage: (h) => images.require(h),
      labels: LABEL,
      containerName: 'swarmop-nethelper-itest-again',
    });
    const id = await helper.containerId(host);
    assert.equal((await docker.getContainer(id).inspect()).State.Running, true);
    assert.match((await docker.getImage(images.image).inspect()).Config.Labels?.[HELPER_ROOTFS_LABEL] ?? '', /^sha256:/);
    assert.deepEqual(
      lines
        .filter((l) => l.message === 'helper image provisioned')
        .slice(before)
        .map((l) => [l.fields?.['host'], l.fields?.['how']]),
      [['empty', 'imported']],
    );
    assert.equal((await images.ensure(host)).state, 'Imported', 'the DockerHost status shows the new provisioning');
  });

  it('a custom image (--helper-image) with an ENTRYPOINT of its own works: the helpers run their own command, not the entrypoint', async () => {
    // The default image's content under another tag, with an entrypoint that exits at once: only
    // `ip`, `nsenter` and `sh` are promised by the contract, whatever the image starts by default.
    const custom = 'swarmop-test/entrypoint-helper:1';
    const rootfs = readFileSync(packageFile(HELPER_ROOTFS));
    const stream = await (docker.importImage(
      rootfs as never,
      { repo: 'swarmop-test/entrypoint-helper', tag: '1', changes: ['ENTRYPOINT ["cat", "/nonexistent"]'] } as never,
    ) as unknown as Promise<NodeJS.ReadableStream>);
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())),
    );
    const images = new HelperImageProvisioner({ image: custom, log });
    assert.deepEqual(await images.ensure({ name: 'empty', docker }), {
      image: custom,
      state: 'Present',
      id: (await docker.getImage(custom).inspect()).Id,
    });
    const w = await docker.createContainer({
      name: 'helper-itest-workload-2',
      Image: images.image,
      Entrypoint: [],
      Cmd: HELPER_IDLE_CMD,
      OpenStdin: true,
      Labels: LABEL,
      HostConfig: { NetworkMode: 'none' },
    });
    await w.start();
    const key = (await w.inspect()).NetworkSettings.SandboxKey;
    const resident = new ResidentNetHelper({
      image: custom,
      ensureImage: (h) => images.require(h),
      labels: LABEL,
      containerName: 'swarmop-nethelper-itest-custom',
    });
    const netns = await resident.netnsPath({ name: 'empty', docker }, key);
    const r = await resident.run({ name: 'empty', docker }, observeProgram(netns));
    assert.deepEqual([r.failedAt, r.results.map((x) => x.exitCode)], [undefined, [0, 0]], r.stderr);
    assert.deepEqual(
      parseObservation(r, netns).container?.links.map((l) => l.name),
      ['lo'],
    );
    const runOnce = new RunOnceNetHelper({ image: custom, labels: LABEL });
    const once = await runOnce.run({ name: 'empty', docker }, observeProgram(await runOnce.netnsPath({ name: 'empty', docker }, key)));
    assert.deepEqual([once.failedAt, once.results.map((x) => x.exitCode)], [undefined, [0, 0]], once.stderr);
  });

  it("a custom image the host cannot pull is Failed with the engine's message, and require() says so", async () => {
    const images = new HelperImageProvisioner({ image: 'swarmop-test/no-such-helper:0', log });
    const s = await images.ensure({ name: 'empty', docker });
    assert.equal(s.state, 'Failed');
    assert.equal(s.reason, 'PullFailed');
    assert.match(s.message ?? '', /^pull of swarmop-test\/no-such-helper:0 failed: \S/);
    await assert.rejects(
      images.require({ name: 'empty', docker }),
      /network helper image swarmop-test\/no-such-helper:0 is not on host empty: pull of/,
    );
  });

  it('without the root filesystem the default image is Failed: RootfsMissing, naming the file and the way out', async () => {
    await docker.getImage(defaultHelperImage()).remove({ force: true });
    const s = await new HelperImageProvisioner({ rootfsPath: '/nonexistent/rootfs.tar.gz' }).ensure({ name: 'empty', docker });
    assert.equal(s.state, 'Failed');
    assert.equal(s.reason, 'RootfsMissing');
    assert.match(s.message ?? '', /\/nonexistent\/rootfs\.tar\.gz cannot be read .*hack\/helper-rootfs\.sh.*--helper-image/);
  });
});
