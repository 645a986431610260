import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { hostDocker, readLabEnv, REPO_ROOT } from '../e2e/framework/lab.js';
import { OperatorProcess } from '../e2e/framework/operator-process.js';
import { run } from '../e2e/framework/shell.js';

const lab = readLabEnv();
const prefix = `exp-promote-${randomBytes(3).toString('hex')}/`;
const docker = (h: string): Docker => hostDocker(h);
type NodeRow = { ID: string; Version: { Index: number }; Spec: Record<string, unknown> & { Role: string }; Description: { Hostname: string }; Status: { State: string }; ManagerStatus?: { Reachability: string } };
const nodes = async () => (await docker('consulsvr').listNodes()) as NodeRow[];
const EXPECTED = JSON.stringify(['consul01:worker:ready', 'consul02:worker:ready', 'consulsvr:manager:ready']);
const table = (rows: NodeRow[]) => rows.map((n) => `${n.Description.Hostname}:${n.Spec.Role}:${n.Status.State}`).sort();
async function cli(args: string[], input?: string) {
  const r = await run(process.execPath, [join(REPO_ROOT, 'bin', 'swarmop.js'), ...args], { env: { ...process.env, CONSUL_HTTP_ADDR: lab.storeAddr, SWARMOP_PREFIX: prefix }, ...(input === undefined ? {} : { input }), timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(r.stderr);
}
const MANIFESTS = `${['consulsvr', 'consul01', 'consul02'].map((h, i) => `apiVersion: swarmop.io/v1alpha1
kind: DockerHost
metadata: {name: ${h}}
spec: {endpoint: "tcp://192.168.116.${111 + i}:2375", address: 192.168.116.${111 + i}}
`).join('---\n')}---
apiVersion: swarmop.io/v1alpha1
kind: SwarmCluster
metadata: {name: swarm}
spec: {managers: [consulsvr], workers: [consul01, consul02]}
`;
await cli(['apply', '-f', '-'], MANIFESTS);
const op = new OperatorProcess({ storeAddr: lab.storeAddr, prefix, artifactsDir: '/tmp/edge', name: 'exp-op', extraArgs: ['--log-level', 'debug'] });
op.start();
const conv = async () => { for (;;) { try { if (JSON.stringify(table(await nodes())) === EXPECTED) return; } catch {} await new Promise((r) => setTimeout(r, 200)); } };
await conv();
const pauses = (process.env.PAUSES ?? '1000,1000').split(',').map(Number);
const runs = pauses.length;
try {
  for (let i = 0; i < runs; i++) {
    await new Promise((r) => setTimeout(r, pauses[i]!));
    const n = (await nodes()).find((x) => x.Description.Hostname === 'consul02')!;
    const from = op.lines.length;
    const t0 = Date.now();
    await docker('consulsvr').getNode(n.ID).update({ _query: { version: n.Version.Index }, _body: { ...n.Spec, Role: 'manager' } } as never);
    console.log(`run ${i} (pause ${pauses[i]} ms after converged): promoted at ${new Date(t0).toISOString()}`);
    let last = '';
    for (;;) {
      const rows = await nodes().catch(() => [] as NodeRow[]);
      const r = rows.find((x) => x.ID === n.ID);
      const s = `${r?.Spec.Role}/${r?.Status.State}/${r?.ManagerStatus?.Reachability ?? '-'} ${JSON.stringify(table(rows))}`;
      if (s !== last) { console.log(`  +${Date.now() - t0} ms ${s}`); last = s; }
      if (JSON.stringify(table(rows)) === EXPECTED && r?.Spec.Role === 'worker') break;
      if (Date.now() - t0 > 90_000) { console.log('  timeout'); break; }
      await new Promise((res) => setTimeout(res, 50));
    }
    if (process.env.OPLOG) for (const l of op.lines.slice(from)) console.log(`  op ${String(l.timestamp).slice(11)} +${Date.parse(String(l.timestamp)) - t0} ${l.level} ${l.message} ${l.result ?? ''} ${l.ms ?? ''} ${l.why ?? ''} ${l.error ?? ''} ${l.name ?? ''}`);
  }
} finally {
  await op.stop();
  await fetch(`http://${lab.storeAddr}/v1/kv/${prefix}?recurse`, { method: 'DELETE' });
  if (process.env.LEAVE !== '0') for (const h of ['consul01', 'consul02', 'consulsvr']) await docker(h).swarmLeave({ force: true }).catch(() => undefined);
}
