/**
 * Security on the lab: `tlshost` (hack/lab-tls.sh) runs an engine that demands client
 * certificates on :2376. A DockerHost carrying the lab's client tls files becomes Ready; one without
 * them, or with a certificate from a CA the engine does not trust, stays Ready=False with a message
 * that says TLS / certificate, and never flips to Ready (watched over several of the operator's re-probes).
 * Both refused hosts are applied with the trusted one and watched at the same time (one 17 s watch
 * instead of two in a row); each test awaits its own host's watch.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { describeE2E, itE2E, type Framework } from './framework/framework.js';
import { readLabEnv, REPO_ROOT } from './framework/lab.js';
import { runOrThrow } from './framework/shell.js';

const LAB_TLS = join(REPO_ROOT, 'hack', 'lab-tls.sh');
const TLS_DIR = join(REPO_ROOT, '.lab', 'tls');
/** hack/lab-tls.sh puts tlshost on .120 of the lab's subnet. */
const TLS_HOST_IP = `${readLabEnv().netPrefix}.120`;

type Cond = { type: string; status: string; reason: string; message: string };
const ready = (obj: Record<string, any> | undefined): Cond | undefined => obj?.status?.conditions?.find((c: Cond) => c.type === 'Ready');

/** The operator re-probes an unreachable engine every 5 s: three re-probes and a margin. */
const WATCH_MS = 17_000;

/** Reads the host's Ready condition every 500 ms for WATCH_MS; every reading must be False with `reason`. */
async function staysNotReady(f: Framework, name: string, reason: string): Promise<number> {
  const end = Date.now() + WATCH_MS;
  let readings = 0;
  while (Date.now() < end) {
    const c = ready(await f.get('dockerhost', name));
    assert.equal(`${c?.status}/${c?.reason}`, `False/${reason}`, `dockerhost/${name} after ${readings} readings: ${JSON.stringify(c)}`);
    readings++;
    await new Promise((r) => setTimeout(r, 500));
  }
  return readings;
}

/** Waits for Ready=False, then watches it stay so; a failure is kept for the test that awaits it. */
function watchRefused(f: Framework, name: string, reason: string): Promise<{ obj: Record<string, any>; readings: number }> {
  const watch = (async () => {
    const obj = await f.waitCondition('dockerhost', name, 'False', { timeoutMs: 60_000 });
    return { obj, readings: await staysNotReady(f, name, reason) };
  })();
  // Awaited by its test later; until then a rejection is not unhandled.
  watch.catch(() => undefined);
  return watch;
}

const rogueYaml = () => `apiVersion: swarmop.io/v1alpha1
kind: DockerHost
metadata: {name: tlshost-rogue}
spec:
  endpoint: tcp://${TLS_HOST_IP}:2376
  address: ${TLS_HOST_IP}
  tls: {caFile: ${TLS_DIR}/ca.pem, certFile: ${TLS_DIR}/rogue.pem, keyFile: ${TLS_DIR}/rogue-key.pem}
`;

describeE2E('Security TLS DockerHost', (f) => {
  let manifest = '';
  let nocert: ReturnType<typeof watchRefused>;
  let rogue: ReturnType<typeof watchRefused>;
  before(async () => {
    const started = Date.now();
    await runOrThrow(LAB_TLS, ['up'], { timeoutMs: 5 * 60_000 });
    manifest = await runOrThrow(LAB_TLS, ['manifest']);
    console.log(`# security: hack/lab-tls.sh up took ${Date.now() - started} ms`);
  });
  after(async () => {
    await runOrThrow(LAB_TLS, ['down'], { timeoutMs: 60_000 }).catch(() => undefined);
  });

  itE2E(f, 'a DockerHost with the lab client certificate becomes Ready over TLS', async () => {
    const t0 = Date.now();
    const out = await f.apply(`${manifest}\n---\n${rogueYaml()}`);
    assert.match(out, /dockerhost\/tlshost created/);
    assert.match(out, /dockerhost\/tlshost-rogue created/);
    nocert = watchRefused(f, 'tlshost-nocert', 'TLSRequired');
    rogue = watchRefused(f, 'tlshost-rogue', 'TLSHandshakeFailed');
    const obj = await f.waitCondition('dockerhost', 'tlshost', 'True', { timeoutMs: 60_000 });
    assert.equal(obj.status.reachable, true);
    assert.match(obj.status.engineVersion, /^\d+\.\d+/);
    console.log(`# security: tlshost Ready=True ${Date.now() - t0} ms after apply`);
  });

  itE2E(f, 'without client certificates the host is Ready=False with a TLS reason', async () => {
    const { obj, readings } = await nocert;
    const c = ready(obj)!;
    assert.equal(obj.status.reachable, false);
    assert.equal(c.reason, 'TLSRequired', JSON.stringify(c));
    console.log(`# security: no client certificate -> ${c.reason}: ${c.message}`);
    console.log(`# security: tlshost-nocert stayed Ready=False TLSRequired for ${WATCH_MS} ms (${readings} readings)`);
  });

  itE2E(f, 'a client certificate from an untrusted CA is refused with a certificate reason', async () => {
    const { obj, readings } = await rogue;
    const c = ready(obj)!;
    assert.equal(c.reason, 'TLSHandshakeFailed', JSON.stringify(c));
    assert.match(c.message, /certificate/i, JSON.stringify(c));
    console.log(`# security: untrusted client certificate -> ${c.reason}: ${c.message}`);
    console.log(`# security: tlshost-rogue stayed Ready=False TLSHandshakeFailed for ${WATCH_MS} ms (${readings} readings)`);
    // The trusted one next to it is not disturbed.
    assert.equal(ready(await f.get('dockerhost', 'tlshost'))?.status, 'True');
  });
});
