/**
 * Least-privilege tokens against a REAL Consul 1.8.7 agent with ACLs (default deny): the token pass
 * (token-keeper.ts over consul/acl-http.ts) makes the policies and tokens with the initial
 * management token, and the agent itself then shows what each token may do: the operator token
 * does the operator's calls (join, leave, force-leave, raft peers, autopilot, service registration)
 * and is refused KV, ACL and query calls; each agent token has its node's identity; the discovery
 * token writes its own folder only. Also: a second pass makes nothing, a pass stopped half way
 * finishes with no duplicate, and a status holds accessor IDs only.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startConsulAgent, type ConsulAgentHandle } from '../../../testing/harness/consul-agent.js';
import { MemoryKv } from '../../../testing/fakes/memory-kv.js';
import { joinVia, leave, readAgentView, type AgentHttpOptions } from '../../consul/agent-http.js';
import { httpAclApi } from './acl-api.js';
import { ClusterTokenKeeper } from './token-keeper.js';
import { KvTokenRecords } from './token-records.js';
import type { TokenRecord } from './token-plan.js';

const DC = 'dc1';
const FOLDER = 'swarm/docker/swarm/nodes/';

describe('least-privilege tokens on a real Consul 1.8.7 agent with ACLs (default deny)', () => {
  let agent: ConsulAgentHandle;
  let port: number;
  let node: string;
  let serfAddr: string;
  let records: Map<string, TokenRecord>;
  const store = new KvTokenRecords(new MemoryKv(), 'swarmop/');

  /** One raw call with `token`; resolves the HTTP status. */
  const status = async (token: string, method: string, path: string, body?: unknown): Promise<number> => {
    const res = await fetch(`${agent.httpAddr}${path}`, {
      method,
      headers: { 'X-Consul-Token': token },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    await res.text();
    return res.status;
  };
  /** The call passes the ACL check with `token` (any answer but 403) and is refused without a token: the check is real. */
  const passesAcl = async (token: string, method: string, path: string, body?: unknown): Promise<void> => {
    assert.equal(await status('', method, path, body), 403, `${method} ${path} without a token`);
    assert.notEqual(await status(token, method, path, body), 403, `${method} ${path} with the token`);
  };
  const master = (): AgentHttpOptions => ({ token: agent.masterToken!, port, timeoutMs: 5000 });
  const secret = (key: string): string => records.get(key)!.secretID;
  const input = () => ({
    cluster: 'it',
    datacenter: DC,
    nodes: [node],
    discoveryFolders: [FOLDER],
    via: '127.0.0.1',
    agents: [{ node, address: '127.0.0.1', answering: true }],
    management: master(),
  });

  before(async () => {
    agent = await startConsulAgent({ acl: true });
    port = Number(agent.address.split(':')[1]);
    const self = (await (await fetch(`${agent.httpAddr}/v1/agent/self`, { headers: { 'X-Consul-Token': agent.masterToken! } })).json()) as {
      Config: { NodeName: string };
      Member: { Addr: string; Port: number };
    };
    node = self.Config.NodeName;
    serfAddr = `${self.Member.Addr}:${self.Member.Port}`;
    const keeper = new ClusterTokenKeeper({ records: store });
    const pass = await keeper.pass(input());
    records = pass.records;
    assert.ok(pass.done.length >= 5, pass.done.join('; '));
  });

  after(async () => {
    await agent?.stop();
  });

  it('a second pass, even by a restarted operator, finds everything in place and makes nothing', async () => {
    const again = await new ClusterTokenKeeper({ records: store }).pass(input());
    assert.deepEqual(again.done, []);
    const mine = (await httpAclApi('127.0.0.1', master()).listTokens()).filter((t) => t.description.endsWith('ConsulCluster it'));
    assert.equal(mine.length, 3, 'operator, discovery, one agent token');
  });

  it('the operator token lists raft peers and reads autopilot health (operator read)', async () => {
    const view = await readAgentView('127.0.0.1', { token: secret('operator'), port });
    assert.equal(view.raftDenied, undefined);
    assert.equal(view.raft.length, 1);
    // A lone dev server answers autopilot health with 429 (not healthy yet): past the ACL check all the same.
    await passesAcl(secret('operator'), 'GET', '/v1/operator/autopilot/health');
  });

  it('the operator token joins and force-leaves (agent and operator write)', async () => {
    await joinVia('127.0.0.1', serfAddr, { token: secret('operator'), port });
    // A node that does not exist: Consul answers 500 after the ACL check passed (a refused token is a 403).
    await passesAcl(secret('operator'), 'PUT', '/v1/agent/force-leave/no-such-node');
    await passesAcl(secret('operator'), 'PUT', `/v1/agent/join/${serfAddr}`);
  });

  it('the operator token registers and deregisters a service (service and node write)', async () => {
    const op = secret('operator');
    assert.equal(await status(op, 'PUT', '/v1/agent/service/register', { ID: 'web1', Name: 'web', Port: 80 }), 200);
    assert.equal(await status(op, 'PUT', '/v1/agent/service/deregister/web1'), 200);
  });

  it('the operator token is refused KV, ACL and prepared-query calls (403)', async () => {
    const op = secret('operator');
    assert.equal(await status(op, 'GET', '/v1/kv/swarmop/anything'), 403, 'KV read');
    assert.equal(await status(op, 'PUT', '/v1/kv/swarmop/anything', 'x'), 403, 'KV write');
    assert.equal(await status(op, 'GET', '/v1/acl/tokens'), 403, 'ACL token list');
    assert.equal(await status(op, 'GET', '/v1/acl/policies'), 403, 'ACL policy list');
    assert.equal(await status(op, 'PUT', '/v1/acl/token', { Description: 'escalate' }), 403, 'ACL token create');
    assert.equal(await status(op, 'POST', '/v1/query', { Name: 'q', Service: { Service: 'web' } }), 403, 'prepared query');
  });

  it("each agent token has its node's identity: its own node writable, another node and the KV not", async () => {
    const r = records.get(`agents/${node}`)!;
    const res = await fetch(`${agent.httpAddr}/v1/acl/token/${r.accessorID}`, { headers: { 'X-Consul-Token': agent.masterToken! } });
    const token = (await res.json()) as { NodeIdentities?: { NodeName: string; Datacenter: string }[]; Policies?: unknown[] };
    assert.deepEqual(token.NodeIdentities, [{ NodeName: node, Datacenter: DC }]);
    assert.equal(token.Policies, undefined);
    assert.equal(r.delivered, true, 'handed to the running agent');
    assert.equal(await status(r.secretID, 'PUT', '/v1/catalog/register', { Node: node, Address: '127.0.0.1' }), 200);
    assert.equal(await status(r.secretID, 'PUT', '/v1/catalog/register', { Node: 'other-node', Address: '127.0.0.2' }), 403);
    assert.equal(await status(r.secretID, 'GET', '/v1/kv/swarmop/anything'), 403);
  });

  it('the discovery token writes its own folder with a session, and no other key', async () => {
    const d = secret('discovery');
    assert.equal(await status(d, 'PUT', `/v1/kv/${FOLDER}10.0.0.1:2375`, '10.0.0.1:2375'), 200);
    assert.equal(await status(d, 'PUT', '/v1/kv/swarm/other', 'x'), 403);
    assert.equal(await status(d, 'GET', '/v1/kv/swarmop/anything'), 403);
    assert.equal(await status(d, 'PUT', '/v1/session/create', { TTL: '10s', Behavior: 'delete' }), 200);
    assert.equal(await status(d, 'GET', '/v1/acl/tokens'), 403);
  });

  it('an operator stopped half way through the pass finishes it after a restart: no token twice', async () => {
    let creates = 0;
    const failing = (address: string, http: AgentHttpOptions) => {
      const api = httpAclApi(address, http);
      return {
        ...api,
        createToken: async (t: Parameters<typeof api.createToken>[0]) => {
          if (++creates === 2) throw new Error('operator stopped');
          await api.createToken(t);
        },
      };
    };
    const half = { ...input(), cluster: 'half' };
    await assert.rejects(new ClusterTokenKeeper({ records: store, aclApi: failing }).pass(half), /operator stopped/);
    const done = await new ClusterTokenKeeper({ records: store }).pass(half);
    const mine = (await httpAclApi('127.0.0.1', master()).listTokens()).filter((t) => t.description.endsWith('ConsulCluster half'));
    assert.equal(mine.length, 3);
    assert.deepEqual(mine.map((t) => t.accessorID).sort(), [...done.records.values()].map((r) => r.accessorID).sort());
  });

  it('status names every token by accessor ID and purpose, and carries no secret', async () => {
    const keeper = new ClusterTokenKeeper({ records: store });
    await keeper.pass(input());
    const text = JSON.stringify(keeper.status('it', records));
    assert.match(text, /"purpose":"initial-management"/);
    for (const r of records.values()) {
      assert.ok(text.includes(r.accessorID));
      assert.equal(text.includes(r.secretID), false);
    }
    assert.equal(text.includes(agent.masterToken!), false);
  });

  it('the operator token makes the agent leave (agent write on its node): last, the agent stops', async () => {
    await leave('127.0.0.1', { token: secret('operator'), port });
  });
});
