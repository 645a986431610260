import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryKv } from '../../../testing/fakes/memory-kv.js';
import type { AclPolicy, AclTokenSummary, NewAclToken } from '../../consul/acl-http.js';
import { deliverAgentTokens, ensureClusterTokens, type AclApi } from './cluster-tokens.js';
import { wantedTokens, type WantedPolicy } from './token-policies.js';
import { KvTokenRecords } from './token-records.js';

/** Consul's token and policy store as the operator sees it through the API; `failCreateAfter` stops it half way. */
class FakeAcl implements AclApi {
  policies = new Map<string, AclPolicy>();
  tokens = new Map<string, NewAclToken>();
  creates = 0;
  failCreateAfter = Infinity;
  async readPolicyByName(name: string) {
    return this.policies.get(name);
  }
  async createPolicy(p: WantedPolicy) {
    if (this.policies.has(p.name)) throw new Error('policy name in use');
    const id = `pol-${this.policies.size}`;
    this.policies.set(p.name, { id, name: p.name, rules: p.rules });
    return id;
  }
  async updatePolicy(id: string, p: WantedPolicy) {
    this.policies.set(p.name, { id, name: p.name, rules: p.rules });
  }
  async listTokens(): Promise<AclTokenSummary[]> {
    return [...this.tokens.values()].map((t) => ({ accessorID: t.accessorID, description: t.description }));
  }
  async readTokenSecret(accessorID: string) {
    return this.tokens.get(accessorID)?.secretID;
  }
  async createToken(t: NewAclToken) {
    if (this.creates >= this.failCreateAfter) throw new Error('connection reset');
    if (this.tokens.has(t.accessorID)) throw new Error('AccessorID is already in use');
    this.creates++;
    this.tokens.set(t.accessorID, t);
  }
}

const WANTED = wantedTokens('c', 'dc1', ['s1', 's2'], ['swarm/docker/swarm/nodes/']);
let n = 0;
const newId = () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;

function setup() {
  const kv = new MemoryKv();
  return { kv, acl: new FakeAcl(), records: new KvTokenRecords(kv, 'swarmop/') };
}

test('the first pass makes both policies and every token, each recorded under the prefix; the second pass does nothing', async () => {
  const { kv, acl, records } = setup();
  const first = await ensureClusterTokens({ cluster: 'c', wanted: WANTED, acl, records, newId });
  assert.equal(first.done.length, 6);
  assert.deepEqual([...acl.policies.keys()], ['swarmop-operator-c', 'swarmop-discovery-c']);
  assert.equal(acl.tokens.size, 4);
  const stored = (await kv.list('swarmop/tokens/consulclusters/c/')).pairs.map((p) => p.key);
  assert.deepEqual(stored.sort(), [
    'swarmop/tokens/consulclusters/c/agents/s1',
    'swarmop/tokens/consulclusters/c/agents/s2',
    'swarmop/tokens/consulclusters/c/discovery',
    'swarmop/tokens/consulclusters/c/operator',
  ]);
  for (const [, r] of first.records) assert.equal(acl.tokens.get(r.accessorID)?.secretID, r.secretID);
  assert.deepEqual(acl.tokens.get(first.records.get('agents/s2')!.accessorID)?.nodeIdentity, { node: 's2', datacenter: 'dc1' });
  assert.deepEqual(acl.tokens.get(first.records.get('operator')!.accessorID)?.policies, ['swarmop-operator-c']);

  const again = await ensureClusterTokens({ cluster: 'c', wanted: WANTED, acl, records, newId });
  assert.deepEqual(again.done, []);
  assert.equal(acl.tokens.size, 4);
  assert.deepEqual(again.records, first.records);
});

test('an operator stopped half way (after a record, before its token) finishes the same tokens: no duplicates', async () => {
  const { acl, records } = setup();
  acl.failCreateAfter = 1;
  await assert.rejects(ensureClusterTokens({ cluster: 'c', wanted: WANTED, acl, records, newId }), /connection reset/);
  assert.equal(acl.tokens.size, 1);
  const halfway = await records.list('c');
  assert.equal(halfway.size, 2, 'the record of the token whose create failed is there already');

  acl.failCreateAfter = Infinity;
  const { records: done } = await ensureClusterTokens({ cluster: 'c', wanted: WANTED, acl, records, newId });
  assert.equal(acl.tokens.size, 4);
  const descriptions = [...acl.tokens.values()].map((t) => t.description);
  assert.equal(new Set(descriptions).size, 4, 'one token per description');
  for (const [key, r] of halfway) assert.deepEqual(done.get(key), r, `${key} kept the IDs recorded before the stop`);
});

test('lost records: the tokens in Consul are found by description and recorded, none made again', async () => {
  const { kv, acl, records } = setup();
  const first = await ensureClusterTokens({ cluster: 'c', wanted: WANTED, acl, records, newId });
  await kv.delete('swarmop/tokens/', { recurse: true });
  const creates = acl.creates;
  const again = await ensureClusterTokens({ cluster: 'c', wanted: WANTED, acl, records, newId });
  assert.equal(acl.creates, creates);
  assert.deepEqual(again.records, first.records);
  assert.match(again.done.join('\n'), /recorded the existing operator token/);
});

test('a cluster whose ACL data is new (data dirs wiped) gets the recorded tokens back, same IDs, so stored secrets stay valid', async () => {
  const { records } = setup();
  const first = await ensureClusterTokens({ cluster: 'c', wanted: WANTED, acl: new FakeAcl(), records, newId });
  const fresh = new FakeAcl();
  const again = await ensureClusterTokens({ cluster: 'c', wanted: WANTED, acl: fresh, records, newId });
  assert.deepEqual(again.records, first.records);
  assert.deepEqual([...fresh.tokens.keys()].sort(), [...first.records.values()].map((r) => r.accessorID).sort());
});

test('two passes racing for the same record: the loser uses the winner record and creates nothing twice', async () => {
  const { acl, records } = setup();
  const wanted = { policies: [], tokens: [WANTED.tokens[0]!] };
  await Promise.all([
    ensureClusterTokens({ cluster: 'c', wanted, acl, records, newId }),
    ensureClusterTokens({ cluster: 'c', wanted, acl, records, newId }),
  ]);
  assert.equal(acl.tokens.size, 1);
  assert.equal([...acl.tokens.keys()][0], (await records.list('c')).get('operator')!.accessorID);
});

test('agent tokens go to the answering agents only, once; the store remembers who has one', async () => {
  const { acl, records } = setup();
  const { records: made } = await ensureClusterTokens({ cluster: 'c', wanted: WANTED, acl, records, newId });
  const sent: string[] = [];
  const set = async (address: string, secret: string) => void sent.push(`${address} ${secret}`);
  const agents = [
    { node: 's1', address: '10.0.0.1', answering: true },
    { node: 's2', address: '10.0.0.2', answering: false },
  ];
  assert.deepEqual(await deliverAgentTokens('c', made, agents, records, set), ['s1']);
  assert.deepEqual(sent, [`10.0.0.1 ${made.get('agents/s1')!.secretID}`]);
  assert.equal((await records.list('c')).get('agents/s1')!.delivered, true);
  agents[1]!.answering = true;
  assert.deepEqual(await deliverAgentTokens('c', made, agents, records, set), ['s2']);
  assert.deepEqual(await deliverAgentTokens('c', await records.list('c'), agents, records, set), []);
});

test('an agent whose token call fails is left for the next pass; the others still get theirs', async () => {
  const { acl, records } = setup();
  const { records: made } = await ensureClusterTokens({ cluster: 'c', wanted: WANTED, acl, records, newId });
  const agents = [
    { node: 's1', address: '10.0.0.1', answering: true },
    { node: 's2', address: '10.0.0.2', answering: true },
  ];
  const set = async (address: string) => {
    if (address === '10.0.0.1') throw new Error('timeout');
  };
  assert.deepEqual(await deliverAgentTokens('c', made, agents, records, set), ['s2']);
  assert.equal((await records.list('c')).get('agents/s1')!.delivered, undefined);
});

test('a record that is not a token record is refused, naming its key', async () => {
  const { kv, records } = setup();
  await kv.set('swarmop/tokens/consulclusters/c/operator', '{"accessorID":"a"}');
  await assert.rejects(records.list('c'), /token record swarmop\/tokens\/consulclusters\/c\/operator lacks accessorID or secretID/);
});
