/**
 * The ready-made Consul ACL policies of deploy/consul-acl/ against a REAL Consul agent with ACLs on
 * (default deny): each file is created as a policy as it is, a token is made for it, and that token
 * does what docs/security.md says it does, and nothing more. The writers run the real CLI
 * (`swarmop apply` / `get` / `delete` in-process, with CONSUL_HTTP_TOKEN); the operator's token runs
 * the store calls the operator makes (its keys from store-keys.ts), the leader lock included.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { captureIo } from '../../testing/util/capture-io.js';
import { startConsulAgent, type ConsulAgentHandle } from '../../testing/harness/consul-agent.js';
import { KINDS } from '../crds/index.js';
import { isSwarmopError } from '../errors.js';
import { main } from '../cli/main.js';
import { ConsulKv } from './consul-kv.js';
import {
  clusterTokensPrefix,
  configHashKeyKey,
  DEFAULT_PREFIX,
  eventsKey,
  journalHeadKey,
  leaderKey,
  objectKey,
  statusKey,
} from './store-keys.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const POLICIES = `${REPO}deploy/consul-acl/`;
const P = DEFAULT_PREFIX;
/** One sample manifest per kind (the repository's own), by plural. */
const MANIFEST: Record<string, string> = {
  dockerhosts: 'manifests/00-dockerhosts.yaml',
  consulclusters: 'manifests/10-consulcluster.yaml',
  swarmclusters: 'manifests/20-swarmcluster.yaml',
  staticipattachments: 'manifests/30-staticipattachments.yaml',
  serviceaddresses: 'examples/serviceaddresses.yaml',
};
/** A document of each kind from those manifests. */
const SAMPLE: Record<string, string> = {
  dockerhosts: 'consulsvr',
  consulclusters: 'datacenter',
  swarmclusters: 'swarm',
  staticipattachments: 'ubuntu114',
  serviceaddresses: 'web',
};

const forbidden = (e: unknown): boolean => isSwarmopError(e, 'Forbidden');

describe('deploy/consul-acl policies on a Consul agent with ACLs (default deny)', () => {
  let agent: ConsulAgentHandle;
  let master: ConsulKv;
  const clients: ConsulKv[] = [];

  const api = async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(`${agent.httpAddr}${path}`, {
      method,
      headers: { 'X-Consul-Token': agent.masterToken! },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  };
  /** A token for the policy made from `file`, exactly as the file is. */
  const tokenFor = async (file: string): Promise<string> => {
    const policy = await api('PUT', '/v1/acl/policy', {
      Name: file.replace(/\.hcl$/, ''),
      Rules: readFileSync(`${POLICIES}${file}`, 'utf8'),
    });
    const token = await api('PUT', '/v1/acl/token', { Description: `test ${file}`, Policies: [{ ID: policy['ID'] }] });
    return String(token['SecretID']);
  };
  const kvWith = (token: string): ConsulKv => {
    const kv = new ConsulKv({ address: agent.address, token });
    clients.push(kv);
    return kv;
  };
  const cli = async (token: string, argv: string[]): Promise<{ code: number; out: string; err: string }> => {
    const io = captureIo({ env: { CONSUL_HTTP_ADDR: agent.address, CONSUL_HTTP_TOKEN: token }, cwd: REPO });
    const code = await main(argv, io);
    return { code, out: io.out, err: io.err };
  };

  before(async () => {
    agent = await startConsulAgent({ acl: true });
    master = kvWith(agent.masterToken!);
    await master.set('swarmop-secrets/secured/gossip-key', 'c2VjcmV0');
    await master.set('elsewhere/config', 'x');
  });
  after(async () => {
    for (const c of clients) c.close();
    await agent?.stop();
  });

  for (const { plural } of KINDS) {
    it(`apply-${plural}.hcl: a CI job applies and deletes ${plural}, reads the store, and writes nothing else`, async () => {
      await api('DELETE', `/v1/kv/${P}?recurse=true`);
      const token = await tokenFor(`apply-${plural}.hcl`);
      const own = await cli(token, ['apply', '-f', MANIFEST[plural]!]);
      assert.equal(own.code, 0, own.err);
      assert.ok(
        await master.get(objectKey(P, KINDS.find((k) => k.plural === plural)!.kind, SAMPLE[plural]!)),
        'the document is in the store',
      );
      const get = await cli(token, ['get', plural]);
      assert.equal(get.code, 0, get.err);
      assert.match(get.out, new RegExp(`^${SAMPLE[plural]} `, 'm'));

      for (const other of KINDS.filter((k) => k.plural !== plural)) {
        const r = await cli(token, ['apply', '-f', MANIFEST[other.plural]!]);
        assert.equal(r.code, 5, `apply of ${other.plural} with the ${plural} token: ${r.out} ${r.err}`);
      }
      const kv = kvWith(token);
      const kind = KINDS.find((k) => k.plural === plural)!.kind;
      // Events, other kinds' status and the lock are the operator's (its own kind's status it may
      // write: `delete` removes it with the document).
      for (const other of KINDS.filter((k) => k.plural !== plural)) {
        await assert.rejects(kv.set(statusKey(P, other.kind, 'x'), '{"conditions":[]}'), forbidden, other.plural);
      }
      await assert.rejects(kv.set(eventsKey(P, kind, SAMPLE[plural]!), '[]'), forbidden);
      await assert.rejects(kv.set(leaderKey(P), 'me'), forbidden);
      await assert.rejects(kv.get('swarmop-secrets/secured/gossip-key'), forbidden);
      await assert.rejects(kv.set('elsewhere/config', 'y'), forbidden);

      const del = await cli(token, ['delete', plural, SAMPLE[plural]!]);
      assert.equal(del.code, 0, del.err);
    });
  }

  it('viewer.hcl: get and describe work; no apply, no write, no secrets', async () => {
    await api('DELETE', `/v1/kv/${P}?recurse=true`);
    await cli(agent.masterToken!, ['apply', '-f', MANIFEST['staticipattachments']!]);
    const token = await tokenFor('viewer.hcl');
    const get = await cli(token, ['get', 'sia', 'ubuntu114', '-o', 'yaml']);
    assert.equal(get.code, 0, get.err);
    assert.match(get.out, /name: ubuntu114/);
    const describe = await cli(token, ['describe', 'sia', 'ubuntu114']);
    assert.equal(describe.code, 0, describe.err);
    const apply = await cli(token, ['apply', '-f', MANIFEST['dockerhosts']!]);
    assert.equal(apply.code, 5, apply.err);
    const kv = kvWith(token);
    await assert.rejects(kv.set(objectKey(P, 'StaticIPAttachment', 'x'), '{}'), forbidden);
    await assert.rejects(kv.get('swarmop-secrets/secured/gossip-key'), forbidden);
    // The token records and hash keys the operator keeps under its prefix are secrets too.
    await api('PUT', `/v1/kv/${clusterTokensPrefix(P, 'dc')}operator`, { accessorID: 'a', secretID: 's' });
    await api('PUT', `/v1/kv/${configHashKeyKey(P, 'dc')}`, 'k');
    await assert.rejects(kv.get(`${clusterTokensPrefix(P, 'dc')}operator`), forbidden);
    await assert.rejects(kv.get(configHashKeyKey(P, 'dc')), forbidden);
    assert.deepEqual(
      (await kv.list(P)).pairs.filter((p) => p.key.includes('/tokens/') || p.key.includes('/hashkeys/')),
      [],
      'a listing of the prefix leaves them out',
    );
  });

  it("operator.hcl: the operator's store calls (documents, status, events, journal, leader lock, secrets read) pass; nothing outside", async () => {
    const kv = kvWith(await tokenFor('operator.hcl'));
    await kv.set(objectKey(P, 'DockerHost', 'h'), '{}');
    await kv.set(statusKey(P, 'DockerHost', 'h'), '{"conditions":[]}');
    await kv.set(eventsKey(P, 'DockerHost', 'h'), '[]');
    await kv.set(journalHeadKey(P), '{"seq":0,"epoch":"e","slots":128}');
    // The token records of managed ConsulClusters (created only: compare-and-set on index 0).
    assert.equal(await kv.cas(`${clusterTokensPrefix(P, 'dc')}agents/n1`, '{}', 0), true);
    assert.ok((await kv.list(P)).pairs.length >= 4);
    // The leader election's TTL check on the agent (node:write), passed and removed.
    await kv.registerTtlCheck({ id: 'swarmop-leader-test', name: 'swarmop leader', ttl: '10s' });
    await kv.passCheck('swarmop-leader-test');
    await kv.deregisterCheck('swarmop-leader-test');
    const session = await kv.createSession({ name: 'swarmop leader', ttl: '15s', lockDelay: '0s', behavior: 'delete' });
    assert.equal(await kv.acquire(leaderKey(P), 'operator-1', session), true);
    assert.equal(await kv.release(leaderKey(P), session), true);
    await kv.destroySession(session);
    assert.equal((await kv.get('swarmop-secrets/secured/gossip-key'))?.value, 'c2VjcmV0');
    await assert.rejects(kv.set('swarmop-secrets/secured/gossip-key', 'changed'), forbidden);
    await assert.rejects(kv.set('elsewhere/config', 'y'), forbidden);
    await assert.rejects(kv.get('elsewhere/config'), forbidden);
  });
});
