// scratch (not committed): bring the itconsul cluster up and print status
import { recordingContext, LAB_HOSTS } from '../../testing/reconcile-context.js';
import { createConsulClusterReconciler } from './index.js';
const rec = createConsulClusterReconciler();
const ctx = recordingContext({ level: 'info' });
const r: any = { apiVersion: 'swarmop.io/v1alpha1', kind: 'ConsulCluster', metadata: { name: 'itconsul', uid: 'x', generation: 1 },
  spec: { datacenter: 'itdc', image: 'hashicorp/consul:1.8.7', ui: true, servers: LAB_HOSTS.slice(0, Number(process.env.N ?? 3)).map((h) => ({ host: h.name, node: h.name })), bootstrapExpect: Number(process.env.N ?? 3), dataDir: '/var/lib/swarmop/consul/scratch', retryInterval: '2s' } };
const n = Number(process.argv[2] ?? 1);
for (let i = 0; i < n; i++) {
  const o = await rec.reconcile(r, ctx);
  console.log(new Date().toISOString(), JSON.stringify(o.conditions.map((c) => `${c.type}=${c.status}/${c.reason}: ${c.message}`)), o.observed.leader);
  if (i < n - 1) await new Promise((res) => setTimeout(res, Math.min(o.requeueAfter ?? 500, 1000)));
}
console.log(JSON.stringify(ctx.repairs), JSON.stringify(ctx.events));
