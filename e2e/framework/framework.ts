/**
 * The e2e framework, in the spirit of Kubernetes' test/e2e/framework: every spec gets its own KV
 * prefix (so specs never see each other's documents), a real operator process on the lab, the real
 * CLI, polling helpers, and on failure the evidence (operator logs, `docker ps` of every host,
 * `consul members`) saved under e2e/artifacts/<spec>/.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { ensureLab, REPO_ROOT, dockerOnHost, type Lab } from './lab.js';
import { OperatorProcess } from '../../testing/harness/operator-process.js';
import { LAB_OPERATOR_ARGS } from './lab.js';
import { eventually, type WaitOptions } from '../../testing/util/wait-until.js';
import { run, type RunResult } from './shell.js';

export interface Framework {
  lab: Lab;
  /** The spec's own KV prefix, e.g. `e2e-dockerhost-1a2b3c/`. */
  prefix: string;
  artifactsDir: string;
  operator: OperatorProcess;
  /** Runs the real CLI against the spec's prefix. */
  swarmop(args: readonly string[], input?: string): Promise<RunResult>;
  /** `swarmop apply -f -` with the given YAML; throws on a non-zero exit. */
  apply(yaml: string): Promise<string>;
  /** The object as `swarmop get KIND NAME -o json` shows it, or undefined when absent. */
  get(kind: string, name: string): Promise<Record<string, any> | undefined>;
  /** Waits until the object's condition has the given status (default Ready=True). */
  waitCondition(
    kind: string,
    name: string,
    status?: 'True' | 'False',
    options?: WaitOptions & { type?: string; reason?: string },
  ): Promise<Record<string, any>>;
  /** Starts another operator replica with its own log (for leader-election specs). */
  newOperator(name: string, extraArgs?: readonly string[]): OperatorProcess;
}

export interface E2EOptions {
  /** Start the operator before the first test (default true). */
  startOperator?: boolean;
  operatorArgs?: readonly string[];
}

/** `describe` with a lab, a fresh prefix and an operator; `body` declares `it`s using the framework. */
export function describeE2E(title: string, body: (f: Framework) => void, options: E2EOptions = {}): void {
  const slug = title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40);
  const prefix = `e2e-${slug}-${randomBytes(3).toString('hex')}/`;
  const artifactsDir = join(REPO_ROOT, 'e2e', 'artifacts', slug);
  const operators: OperatorProcess[] = [];
  const f = {} as Framework;

  describe(title, () => {
    before(async () => {
      const lab = await ensureLab();
      mkdirSync(artifactsDir, { recursive: true });
      const env = { ...process.env, CONSUL_HTTP_ADDR: lab.storeAddr, SWARMOP_PREFIX: prefix };
      const newOperator = (name: string, extraArgs: readonly string[] = options.operatorArgs ?? []) => {
        const op = new OperatorProcess({
          storeAddr: lab.storeAddr,
          prefix,
          artifactsDir,
          name,
          args: [...LAB_OPERATOR_ARGS, ...extraArgs],
        });
        operators.push(op);
        return op;
      };
      const swarmop = (args: readonly string[], input?: string) =>
        run(process.execPath, [join(REPO_ROOT, 'bin', 'swarmop.js'), ...args], { env, input, timeoutMs: 120_000 });
      const get = async (kind: string, name: string) => {
        const r = await swarmop(['get', kind, name, '-o', 'json']);
        if (r.code === 3) return undefined;
        if (r.code !== 0) throw new Error(`swarmop get ${kind} ${name}: exit ${r.code}: ${r.stderr.trim()}`);
        return JSON.parse(r.stdout) as Record<string, any>;
      };
      Object.assign(f, {
        lab,
        prefix,
        artifactsDir,
        operator: newOperator('operator'),
        swarmop,
        newOperator,
        get,
        async apply(yaml: string) {
          const r = await swarmop(['apply', '-f', '-'], yaml);
          if (r.code !== 0) throw new Error(`swarmop apply failed (exit ${r.code}): ${r.stderr.trim()}`);
          return r.stdout;
        },
        async waitCondition(
          kind: string,
          name: string,
          status: 'True' | 'False' = 'True',
          o: WaitOptions & { type?: string; reason?: string } = {},
        ) {
          const type = o.type ?? 'Ready';
          return eventually(
            `${kind}/${name} ${type}=${status}${o.reason ? ` (${o.reason})` : ''}`,
            async () => {
              const obj = await get(kind, name);
              const c = obj?.status?.conditions?.find((x: { type: string }) => x.type === type);
              const current = c && (c.observedGeneration === undefined || c.observedGeneration >= (obj?.metadata?.generation ?? 0));
              return current && c.status === status && (!o.reason || c.reason === o.reason) ? obj : undefined;
            },
            { timeoutMs: o.timeoutMs ?? 60_000, intervalMs: o.intervalMs ?? 300 },
          );
        },
      } satisfies Framework);
      if (options.startOperator !== false) f.operator.start();
    });

    after(async () => {
      for (const op of operators) await op.stop().catch(() => op.kill());
      // The spec's documents go with its prefix; hosts are cleaned by each spec's own after().
      if (f.lab) await fetch(`http://${f.lab.storeAddr}/v1/kv/${prefix}?recurse`, { method: 'DELETE' }).catch(() => undefined);
    });

    body(f);
  });
}

/** `it` that saves the evidence when the test fails; `fn` gets the test context (for `t.skip(reason)`). */
export function itE2E(f: Framework, name: string, fn: (t: TestContext) => Promise<void>, options: { timeout?: number } = {}): void {
  it(name, { timeout: options.timeout ?? 5 * 60_000 }, async (t) => {
    try {
      await fn(t);
    } catch (err) {
      await saveEvidence(f, name).catch(() => undefined);
      throw err;
    }
  });
}

async function saveEvidence(f: Framework, testName: string): Promise<void> {
  const dir = join(
    f.artifactsDir,
    testName
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .slice(0, 60),
  );
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'operator.log'), f.operator.lines.map((l) => JSON.stringify(l)).join('\n'));
  for (const h of f.lab.hosts) {
    const ps = await dockerOnHost(h.name, ['ps', '-a', '--format', '{{.Names}}\t{{.Image}}\t{{.Status}}'], 15_000);
    writeFileSync(join(dir, `docker-ps-${h.name}.txt`), ps.stdout + ps.stderr);
    const members = await dockerOnHost(h.name, ['ps', '-q', '--filter', 'label=io.swarmop.consulcluster'], 15_000);
    const id = members.stdout.trim().split('\n')[0];
    if (id) {
      const m = await dockerOnHost(h.name, ['exec', id, 'consul', 'members'], 15_000);
      writeFileSync(join(dir, `consul-members-${h.name}.txt`), m.stdout + m.stderr);
    }
  }
  let objects = '';
  for (const kind of ['dockerhosts', 'consulclusters', 'swarmclusters', 'staticipattachments']) {
    const r = await f.swarmop(['get', kind, '-o', 'yaml']);
    objects += `# ${kind}\n${r.stdout}${r.stderr}\n`;
  }
  const events = await f.swarmop(['events']);
  writeFileSync(join(dir, 'objects.yaml'), objects);
  writeFileSync(join(dir, 'events.txt'), events.stdout + events.stderr);
}
