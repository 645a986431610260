import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspect } from 'node:util';
import { agentConfigFile, agentMasterToken, agentTokens, SecretText } from './agent-config-file.js';

const GOSSIP = 'pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=';
const TOKEN = '0b7c5a3e-5d1e-4f0a-9c1b-7a6e2d4f8c10';
const AGENT = '5e1a2b3c-1111-4222-8333-944455556666';

test('a server of an ACL cluster gets the gossip key, the initial management and recovery tokens, and its own agent token', () => {
  const f = agentConfigFile({ role: 'server', gossipKey: GOSSIP, aclToken: TOKEN, agentToken: AGENT, aclEnabled: true })!;
  assert.equal(f.path, '/consul/config/swarmop-secrets.json');
  assert.deepEqual(JSON.parse(f.content.reveal()), {
    encrypt: GOSSIP,
    acl: { enable_token_persistence: true, tokens: { master: TOKEN, agent_master: agentMasterToken(TOKEN), agent: AGENT } },
  });
  assert.match(f.digest, /^[0-9a-f]{64}$/);
});

test('the initial management token is never an agent token: not before the node token exists, and never on a client', () => {
  assert.deepEqual(JSON.parse(agentConfigFile({ role: 'server', aclToken: TOKEN, aclEnabled: true })!.content.reveal()), {
    acl: { enable_token_persistence: true, tokens: { master: TOKEN, agent_master: agentMasterToken(TOKEN) } },
  });
  const client = agentConfigFile({ role: 'client', aclToken: TOKEN, agentToken: AGENT, aclEnabled: true })!.content.reveal();
  assert.deepEqual(JSON.parse(client), {
    acl: { enable_token_persistence: true, tokens: { agent_master: agentMasterToken(TOKEN), agent: AGENT } },
  });
  assert.equal(client.includes(TOKEN), false);
});

test('a client gets no master token; without ACLs only the agent token; without secrets no file', () => {
  assert.deepEqual(JSON.parse(agentConfigFile({ role: 'server', aclToken: TOKEN, aclEnabled: false })!.content.reveal()), {
    acl: { tokens: { agent: TOKEN } },
  });
  assert.deepEqual(JSON.parse(agentConfigFile({ role: 'server', gossipKey: GOSSIP, aclEnabled: false })!.content.reveal()), {
    encrypt: GOSSIP,
  });
  assert.equal(agentConfigFile({ role: 'server', aclEnabled: true }), undefined);
});

test("the agent token's arrival leaves the digest as it was: running agents got it through the API and are not restarted", () => {
  const d = (agentToken?: string) =>
    agentConfigFile({ role: 'client', aclToken: TOKEN, aclEnabled: true, ...(agentToken ? { agentToken } : {}) })!.digest;
  assert.equal(d(AGENT), d());
  assert.equal(d(AGENT), d(AGENT.replace('1', '2')));
});

test('the agent master token is a stable UUID that differs from the token and changes with it', () => {
  const a = agentMasterToken(TOKEN);
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.equal(agentMasterToken(TOKEN), a);
  assert.notEqual(a, TOKEN);
  assert.notEqual(agentMasterToken(`${TOKEN}x`), a);
});

test('the digest changes with any secret and never contains one', () => {
  const d = (k: string, t: string) => agentConfigFile({ role: 'server', gossipKey: k, aclToken: t, aclEnabled: true })!.digest;
  assert.equal(d(GOSSIP, TOKEN), d(GOSSIP, TOKEN));
  assert.notEqual(d(GOSSIP, TOKEN), d(GOSSIP.replace('p', 'q'), TOKEN));
  assert.notEqual(d(GOSSIP, TOKEN), d(GOSSIP, TOKEN.replace('0', '1')));
});

test('the secret content never prints: String, JSON and inspect are redacted', () => {
  const s = new SecretText(TOKEN);
  assert.equal(`${s}`, '<redacted>');
  assert.equal(JSON.stringify({ s }), '{"s":"<redacted>"}');
  assert.equal(inspect({ s }), '{ s: <redacted> }');
  assert.equal(s.reveal(), TOKEN);
});

test('operator calls: ACL clusters use the operator token once it exists, the management token before; the recovery token on agent endpoints', () => {
  assert.deepEqual(agentTokens(TOKEN, true), { token: TOKEN, localToken: agentMasterToken(TOKEN) });
  assert.deepEqual(agentTokens(TOKEN, true, AGENT), { token: AGENT, localToken: agentMasterToken(TOKEN) });
  assert.deepEqual(agentTokens(TOKEN, false, AGENT), { token: TOKEN });
  assert.deepEqual(agentTokens(TOKEN, false), { token: TOKEN });
  assert.deepEqual(agentTokens(undefined, true), {});
});
