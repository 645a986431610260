/**
 * swarmop as a user installs it: `npm pack` of this checkout, `npm install -g --prefix TMP` of the
 * tarball (dependencies from the npm registry), then the installed `swarmop` (run from TMP, not
 * from the checkout) applies the reference StaticIPAttachments, runs the operator, and the
 * operator repairs a restarted container's eth1.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before } from 'node:test';
import { describeE2E, itE2E } from './framework/framework.js';
import { dockerOnHost, labManifest, labRoles, REPO_ROOT } from './framework/lab.js';
import { eventually } from '../testing/util/wait-until.js';
import { run, runOrThrow } from './framework/shell.js';
import { packedPackage } from '../testing/util/built-package.js';

const { A } = labRoles();
const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describeE2E('installed package', (f) => {
  const tmp = mkdtempSync(join(tmpdir(), 'swarmop-installed-'));
  const prefixDir = join(tmp, 'prefix');
  const bin = join(prefixDir, 'bin', 'swarmop');
  let env: NodeJS.ProcessEnv;
  let operator: ChildProcess | undefined;
  const lines: string[] = [];

  const swarmop = (args: string[], input?: string) =>
    run(bin, args, { env, cwd: tmp, timeoutMs: 180_000, ...(input === undefined ? {} : { input }) });

  before(async () => {
    // `npm pack` of this checkout: the one hack/test.sh made for this run, or made now.
    const tgz = await packedPackage();
    assert.ok(tgz.endsWith(`swarmop-${VERSION}.tgz`), `${tgz} is this version's package`);
    await runOrThrow('npm', ['install', '--global', '--prefix', prefixDir, '--no-audit', '--no-fund', '--loglevel=error', tgz], {
      cwd: tmp,
      timeoutMs: 300_000,
    });
    // Only Node and the installed tree: PATH to the prefix, nothing pointing into the checkout.
    env = { PATH: `${join(prefixDir, 'bin')}:${process.env.PATH}`, HOME: tmp, CONSUL_HTTP_ADDR: f.lab.storeAddr, SWARMOP_PREFIX: f.prefix };
  });

  after(async () => {
    if (operator && operator.exitCode === null) {
      const gone = new Promise((r) => operator!.once('exit', r));
      operator.kill('SIGTERM');
      await gone;
    }
    mkdirSync(f.artifactsDir, { recursive: true });
    writeFileSync(join(f.artifactsDir, 'installed-operator.log'), lines.join('\n'));
    rmSync(tmp, { recursive: true, force: true });
  });

  itE2E(f, 'the installed package holds compiled code only, and `swarmop version` runs from it', async () => {
    const root = join(prefixDir, 'lib', 'node_modules', 'swarmop');
    // npm-shrinkwrap.json: the lockfile the package carries (npm ci installs exactly those versions).
    assert.deepEqual(readdirSync(root).sort(), [
      'LICENSE',
      'README.md',
      'assets',
      'bin',
      'dist',
      'node_modules',
      'npm-shrinkwrap.json',
      'package.json',
    ]);
    // assets/: the default network helper's root filesystem, imported into hosts by the operator, and its Debian packages' notices.
    assert.deepEqual(readdirSync(join(root, 'assets')).sort(), ['THIRD_PARTY_NOTICES', 'nethelper-rootfs.tar.gz']);
    assert.deepEqual(readdirSync(join(root, 'dist')), ['src']);
    const v = await swarmop(['version']);
    assert.deepEqual([v.code, v.stdout, v.stderr], [0, `swarmop ${VERSION}\n`, '']);
  });

  itE2E(f, 'the installed CLI applies the manifests and the installed operator attaches the first workload', async () => {
    // The framework's own operator works on this spec's prefix too: stopped, so every repair below is the installed one's.
    await f.operator.stop();
    const docs = ['00-dockerhosts.yaml', '30-staticipattachments.yaml'].map((m) => labManifest(m)).join('\n---\n');
    const applied = await swarmop(['apply', '-f', '-'], docs);
    assert.equal(applied.code, 0, applied.stderr);
    assert.ok(applied.stdout.split('\n').includes(`staticipattachment/${A.name} created`), applied.stdout);
    operator = spawn(
      bin,
      ['operator', '--log-format', 'json', '--metrics-addr', '0', '--resync-seconds', '10', '--allow-insecure-engines'],
      { env, cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    for (const s of [operator.stdout!, operator.stderr!]) createInterface({ input: s }).on('line', (l) => lines.push(l));
    const wait = await swarmop(['wait', `staticipattachment/${A.name}`, '--for=condition=Ready', '--timeout', '120s']);
    assert.equal(wait.code, 0, `${wait.stderr}\n${lines.slice(-20).join('\n')}`);
  });

  itE2E(f, 'docker restart of the workload: the installed operator puts eth1 back', async () => {
    const restartedAt = Date.now();
    const r = await dockerOnHost(A.host, ['restart', '-t', '0', A.name], 60_000);
    assert.equal(r.code, 0, r.stderr);
    await eventually(
      `eth1 back in ${A.name}`,
      async () =>
        (await dockerOnHost(A.host, ['exec', A.name, 'ip', '-4', '-o', 'addr', 'show', 'dev', 'eth1'], 10_000)).stdout.includes(
          ` ${A.cidr} `,
        ),
      { timeoutMs: 60_000 },
    );
    // Only an operator on this spec's prefix writes this status: a fresh lastAppliedTime on the
    // restarted container proves the installed operator did the repair.
    const obj = await eventually(
      `status of the re-attached ${A.name}`,
      async () => {
        const got = await swarmop(['get', 'staticipattachment', A.name, '-o', 'json']);
        if (got.code !== 0) return undefined;
        const o = JSON.parse(got.stdout) as { status?: { lastAppliedTime?: string; conditions?: { type: string; status: string }[] } };
        const applied = Date.parse(o.status?.lastAppliedTime ?? '');
        const ready = o.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
        return ready && applied >= restartedAt ? o : undefined;
      },
      { timeoutMs: 30_000 },
    );
    assert.ok(Date.parse(obj.status!.lastAppliedTime!) >= restartedAt);
    // And the installed operator's own log names the repair.
    await eventually(
      'drift repaired in the installed operator log',
      () =>
        lines.some((l) => l.includes('"drift repaired"') && l.includes('"ContainerRestarted"') && l.includes(`"${A.name}"`)) || undefined,
      { timeoutMs: 10_000 },
    );
    assert.equal(operator?.exitCode, null, 'the operator is still running');
  });
});
