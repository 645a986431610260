/**
 * The operator container image (hack/images.sh operator) started the way the README says,
 * `docker run -d --restart unless-stopped --net host -e CONSUL_HTTP_ADDR=... swarmop/operator:VERSION`,
 * against the store Consul: it runs as a non-root user, answers /readyz, and reconciles.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { describeE2E, itE2E } from './framework/framework.js';
import { REPO_ROOT } from './framework/lab.js';
import { eventually } from '../testing/util/wait-until.js';
import { run, runOrThrow } from './framework/shell.js';
import { packedPackage } from '../testing/util/built-package.js';

const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const IMAGE = `swarmop/operator:${VERSION}`;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

describeE2E(
  'operator image',
  (f) => {
    const name = `swarmop-operator-e2e-${process.pid}`;
    let docker: (args: string[]) => ReturnType<typeof run>;
    let metrics: string;

    before(async () => {
      const env = { ...process.env, DOCKER_HOST: f.lab.outerDockerHost };
      docker = (args) => run('docker', args, { env, timeoutMs: 120_000 });
      // From this checkout's npm package: the one hack/test.sh packed for this run, or packed now.
      await runOrThrow(join(REPO_ROOT, 'hack', 'images.sh'), ['operator'], {
        env: { ...env, LAB_DOCKER_HOST: f.lab.outerDockerHost, SWARMOP_PACKAGE: await packedPackage() },
        timeoutMs: 10 * 60_000,
      });
      metrics = `127.0.0.1:${await freePort()}`;
    });

    after(async () => {
      await docker(['rm', '-f', name]);
    });

    itE2E(f, 'docker run -d --restart unless-stopped --net host: non-root, /readyz 200, and it reconciles', async () => {
      const started = await docker([
        'run',
        '-d',
        '--name',
        name,
        '--label',
        'io.swarmop.lab=1',
        '--restart',
        'unless-stopped',
        '--net',
        'host',
        '-e',
        `CONSUL_HTTP_ADDR=${f.lab.storeAddr}`,
        '-e',
        `SWARMOP_PREFIX=${f.prefix}`,
        // The lab's engines are plain tcp :2375: --allow-insecure-engines as every lab operator.
        IMAGE,
        'operator',
        '--leader-elect',
        '--metrics-addr',
        metrics,
        '--allow-insecure-engines',
      ]);
      assert.equal(started.code, 0, started.stderr);
      const ready = await eventually(
        '/readyz 200',
        async () => {
          const res = await fetch(`http://${metrics}/readyz`).catch(() => undefined);
          return res?.status === 200 ? res.status : undefined;
        },
        { timeoutMs: 60_000 },
      );
      assert.equal(ready, 200);
      const user = await docker(['exec', name, 'id', '-u']);
      assert.deepEqual([user.code, user.stdout], [0, '10001\n']);
      const pid1 = await docker(['top', name, '-o', 'user,args']);
      assert.doesNotMatch(pid1.stdout, /^root\s/m, 'no process of the operator runs as root');
      // A host whose engine cannot be reached: the operator in the container writes Ready=False.
      await f.apply(
        'apiVersion: swarmop.io/v1alpha1\nkind: DockerHost\nmetadata: {name: nowhere}\nspec: {endpoint: "tcp://127.0.0.1:1", address: 127.0.0.1}\n',
      );
      const obj = await f.waitCondition('dockerhost', 'nowhere', 'False');
      assert.equal(obj.metadata.name, 'nowhere');
      const inspect = await docker(['inspect', '-f', '{{.HostConfig.RestartPolicy.Name}} {{.Config.User}} {{.State.Running}}', name]);
      assert.equal(inspect.stdout, 'unless-stopped 10001:10001 true\n');
    });
  },
  { startOperator: false },
);
