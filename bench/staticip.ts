/**
 * npm run bench:staticip - StaticIPAttachment on the lab (hack/lab.sh up):
 *  1. helper strategy: one observe program through a resident helper (docker exec) vs a fresh
 *     helper container per program (docker run), p50/p99;
 *  2. >= 20 `docker restart -t 0` of a container on consul01: time from the restart call returning
 *     to eth1 being up with its address, as seen from inside the container, with the reconciler
 *     driven by consul01's Docker event stream (container `start` -> reconcile), next to the floor:
 *     the same pipework steps by hand in one helper run, no observation;
 *  3. 100 attachments on one host from scratch (containers already running): total time to all
 *     Ready, then the time to delete (finalize) them all.
 * Settings: BENCH_RESTARTS (default 25), BENCH_MANY (default 100), BENCH_CONCURRENCY (default 10).
 */
import type Docker from 'dockerode';
import { createStaticIPAttachmentReconciler } from '../src/controllers/staticipattachment/index.js';
import { attachment, labReachable, removeLabelled, runWorkload, TEST_LABEL } from '../testing/lab/staticip-fixtures.js';
import { HelperImageProvisioner } from '../src/nethelper/helper-image.js';
import { ResidentNetHelper, RunOnceNetHelper } from '../src/nethelper/net-helper.js';

/** Puts the helper image on the bench host when it lacks it, as the operator does. */
const images = new HelperImageProvisioner();
const ensureImage = (h: { name: string; docker: import('dockerode') }) => images.require(h);
import { observeProgram } from '../src/controllers/staticipattachment/observe.js';
import { planAttachment } from '../src/controllers/staticipattachment/plan.js';
import { desiredFor } from '../src/controllers/staticipattachment/desired.js';
import { planCommands } from '../src/controllers/staticipattachment/execute.js';
import type { Resource, StaticIPAttachment } from '../src/crds/index.js';
import { execInContainer } from '../src/docker/exec.js';
import { LAB_HOSTS, recordingContext } from '../testing/util/reconcile-context.js';
import { labSettings } from '../testing/lab/lab-settings.js';
import { reportFigure } from './figures.js';
import { eventually } from '../testing/util/wait-until.js';

const RESTARTS = Number(process.env.BENCH_RESTARTS ?? 25);
const MANY = Number(process.env.BENCH_MANY ?? 100);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 10);
const BENCH_LABEL = 'staticip-bench';
/** A worker host of the lab (consul01 with the default settings). */
const HOST = LAB_HOSTS[1]!.name;
const LAB_NET = labSettings();

const ctx = recordingContext();
const docker = ctx.hosts.get(HOST)!.docker;
const hostHandle = ctx.hosts.get(HOST)!;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
}
const fmt = (xs: number[]) =>
  `p50 ${pct(xs, 50).toFixed(0)} ms  p99 ${pct(xs, 99).toFixed(0)} ms  (n=${xs.length}, min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`;

async function converge(r: ReturnType<typeof createStaticIPAttachmentReconciler>, o: StaticIPAttachment) {
  ctx.objects.set(`StaticIPAttachment/${o.metadata.name}`, o as unknown as Resource);
  const out = await r.reconcile(o, ctx);
  o.status = { ...out.observed, conditions: out.conditions.map((c) => ({ ...c, lastTransitionTime: '' })) };
  return out;
}

/** Waits, inside the container, until eth1 is up with `cidr` (a busy loop started right away). */
function upInside(container: string, cidr: string) {
  return execInContainer(
    docker,
    container,
    ['sh', '-c', 'until ip -4 -o addr show dev eth1 up 2>/dev/null | grep -q " $1 "; do :; done', 'sh', cidr],
    { timeoutMs: 15_000 },
  );
}

async function helperStrategies(): Promise<void> {
  const resident = new ResidentNetHelper({ labels: { 'io.swarmop.lab': '1' }, ensureImage });
  const once = new RunOnceNetHelper({ labels: { 'io.swarmop.lab': '1', [TEST_LABEL]: BENCH_LABEL }, ensureImage });
  const program = observeProgram(undefined);
  await resident.run(hostHandle, program);
  await once.run(hostHandle, program);
  const ex: number[] = [];
  const run: number[] = [];
  for (let i = 0; i < 20; i++) {
    let t = performance.now();
    await resident.run(hostHandle, program);
    ex.push(performance.now() - t);
    t = performance.now();
    await once.run(hostHandle, program);
    run.push(performance.now() - t);
  }
  console.log(`helper, observe program on ${HOST}: resident exec  ${fmt(ex)}`);
  console.log(`helper, observe program on ${HOST}: docker run     ${fmt(run)}`);
}

async function restarts(): Promise<void> {
  const reconciler = createStaticIPAttachmentReconciler({ labels: { 'io.swarmop.lab': '1' } });
  const name = 'sia-bench';
  await runWorkload(docker, name, { [TEST_LABEL]: BENCH_LABEL });
  const o = attachment(name, {
    host: HOST,
    container: name,
    bridge: 'br0',
    uplink: 'eth0',
    address: `${LAB_NET.netPrefix}.210/24`,
    gateway: LAB_NET.gateway,
  });
  const first = await converge(reconciler, o);
  if (first.conditions[0]?.status !== 'True') throw new Error(`bench attachment not Ready: ${first.conditions[0]?.message}`);

  // The event-driven reconcile: consul01's /events stream, mapped by the controller's own mapHostEvent.
  let driving = true;
  let pending: Promise<unknown> = Promise.resolve();
  const events = (await docker.getEvents({ filters: { type: ['container'], container: [name] } })) as NodeJS.ReadableStream & {
    destroy(): void;
  };
  let buf = '';
  events.on('data', (chunk: Buffer) => {
    buf += chunk.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line.trim() || !driving) continue;
      const ev = JSON.parse(line);
      if (reconciler.mapHostEvent(HOST, ev, ctx.cache).includes(name))
        pending = pending.then(() => converge(reconciler, o)).catch((e) => console.error('reconcile failed:', e.message));
    }
  });

  const timed: number[] = [];
  const noop: number[] = [];
  for (let i = 0; i < RESTARTS; i++) {
    await docker.getContainer(name).restart({ t: 0 });
    const t = performance.now();
    await upInside(name, o.spec.address);
    timed.push(performance.now() - t);
    await pending;
    const t2 = performance.now();
    await converge(reconciler, o);
    noop.push(performance.now() - t2);
  }
  const repairs = ctx.repairs.filter((r) => r.reason === 'ContainerRestarted').length;

  // The floor: the same pipework steps, computed beforehand, in one helper run; nothing observed.
  driving = false;
  const helper = new ResidentNetHelper({ labels: { 'io.swarmop.lab': '1' }, ensureImage });
  const d = desiredFor(o);
  // What the host looks like (br0 up, eth0 on it): the floor skips observing and only re-attaches.
  const link = { up: true, mtu: 1500, mac: '', peerInOtherNetns: false, addresses: [] };
  const hostAsKnown = {
    host: {
      links: [
        { ...link, ifindex: 1, name: 'br0', kind: 'bridge' },
        { ...link, ifindex: 2, name: 'eth0', master: 'br0' },
      ],
      defaultRoutes: [],
    },
    container: { links: [], routes: [] },
  };
  const floor: number[] = [];
  for (let i = 0; i < RESTARTS; i++) {
    await docker.getContainer(name).restart({ t: 0 });
    const t = performance.now();
    const inside = upInside(name, o.spec.address);
    const info = await docker.getContainer(name).inspect();
    const netns = await helper.netnsPath(hostHandle, info.NetworkSettings.SandboxKey);
    const plan = planAttachment({ desired: d, obs: hostAsKnown, pid: info.State.Pid, netns, containerId: '' });
    // The old pair can outlive the restart briefly (netns teardown is asynchronous): delete it first.
    const r = await helper.run(hostHandle, planCommands([{ kind: 'delete-host-link', name: d.hostVeth }, ...plan.steps]));
    if (r.failedAt !== undefined) throw new Error(`floor program failed: ${r.stderr}`);
    await inside;
    floor.push(performance.now() - t);
  }
  events.destroy();
  await converge(reconciler, o); // leave it converged, then remove it
  await reconciler.finalize(o, ctx);
  ctx.objects.delete(`StaticIPAttachment/${name}`);

  console.log(
    `restart -> eth1 up inside (reconciler on ${HOST}'s event stream, not the operator): ${fmt(timed)}; ${repairs} ContainerRestarted repairs`,
  );
  console.log(`restart -> eth1 up inside (floor: same steps by hand, one helper run):          ${fmt(floor)}`);
  console.log(`converged reconcile (no-op: inspect + one helper exec):                         ${fmt(noop)}`);
}

async function many(): Promise<void> {
  const reconciler = createStaticIPAttachmentReconciler({ labels: { 'io.swarmop.lab': '1' } });
  const names = Array.from({ length: MANY }, (_, i) => `sia-bench-${String(i).padStart(3, '0')}`);
  let t = performance.now();
  for (let i = 0; i < names.length; i += 10) {
    await Promise.all(names.slice(i, i + 10).map((n) => runWorkload(docker, n, { [TEST_LABEL]: BENCH_LABEL })));
  }
  console.log(`${MANY} containers created on ${HOST} in ${((performance.now() - t) / 1000).toFixed(1)} s (not counted)`);
  const objs = names.map((n, i) =>
    attachment(n, {
      host: HOST,
      container: n,
      bridge: 'br-siabench',
      address: `10.78.${Math.floor((i + 10) / 250)}.${((i + 10) % 250) + 1}/16`,
      ownBridge: true,
    }),
  );
  for (const o of objs) ctx.objects.set(`StaticIPAttachment/${o.metadata.name}`, o as unknown as Resource);
  t = performance.now();
  let next = 0;
  let failures = 0;
  // Like the operator's workers: CONCURRENCY reconciles at once, a failed one retried.
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < objs.length) {
        const o = objs[next++]!;
        for (let attempt = 0; ; attempt++) {
          try {
            const out = await converge(reconciler, o);
            if (out.conditions[0]?.status === 'True') break;
          } catch (err) {
            failures++;
            if (attempt > 5) throw err;
          }
        }
      }
    }),
  );
  const total = performance.now() - t;
  await eventually('all Ready', async () => objs.every((o) => o.status?.conditions?.[0]?.status === 'True'), {
    timeoutMs: 1000,
    intervalMs: 100,
  });
  console.log(
    `${MANY} attachments on ${HOST} from scratch (${CONCURRENCY} at a time): ${(total / 1000).toFixed(2)} s total, ${(total / MANY).toFixed(0)} ms each on average, ${failures} retried`,
  );
  reportFigure({
    what: `StaticIP: ${MANY} attachments on one host from scratch (reconciler in the bench process, ${CONCURRENCY} at a time)`,
    figure: `${(total / 1000).toFixed(1)} s total, ${(total / MANY).toFixed(0)} ms each on average`,
    anchor: '— (pipework: one script run per container by hand)',
    target: '—',
  });
  t = performance.now();
  next = 0;
  // As `swarmop delete` does: every object marked deleted first, then finalized by the workers.
  for (const o of objs) o.metadata.deletionTimestamp = new Date().toISOString();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < objs.length) {
        const o = objs[next++]!;
        // As the operator's workqueue does: a finalizer that lost the race to delete the shared
        // owned bridge fails once and finds it gone on the retry.
        for (let attempt = 0; ; attempt++) {
          try {
            await reconciler.finalize(o, ctx);
            break;
          } catch (err) {
            if (attempt >= 2) throw err;
          }
        }
        ctx.objects.delete(`StaticIPAttachment/${o.metadata.name}`);
      }
    }),
  );
  console.log(`${MANY} attachments deleted (finalized; the owned bridge with the last): ${((performance.now() - t) / 1000).toFixed(2)} s`);
}

async function main(): Promise<void> {
  if (!(await labReachable(docker))) {
    console.error(`bench:staticip needs the lab (hack/lab.sh up): ${HOST} does not answer`);
    process.exit(2);
  }
  try {
    if (!process.env.BENCH_SKIP_HELPERS) await helperStrategies();
    await restarts();
    await many();
  } finally {
    await removeLabelled(docker as Docker, BENCH_LABEL);
  }
}

await main();
