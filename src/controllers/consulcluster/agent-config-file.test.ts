import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspect } from 'node:util';
import { agentConfigFile, agentMasterToken, agentTokens, SecretText } from './agent-config-file.js';

const GOSSIP = 'pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=';
const TOKEN = '0b7c5a3e-5d1e-4f0a-9c1b-7a6e2d4f8c10';

test('a server of an ACL cluster gets the gossip key, the master, agent and agent master tokens', () => {
  const f = agentConfigFile({ role: 'server', gossipKey: GOSSIP, aclToken: TOKEN, aclEnabled: true })!;
  assert.equal(f.path, '/consul/config/swarmop-secrets.json');
  assert.deepEqual(JSON.parse(f.content.reveal()), {
    encrypt: GOSSIP,
    acl: { tokens: { agent: TOKEN, master: TOKEN, agent_master: agentMasterToken(TOKEN) } },
  });
  assert.match(f.digest, /^[0-9a-f]{64}$/);
});

test('a client gets no master token; without ACLs only the agent token; without secrets no file', () => {
  assert.deepEqual(JSON.parse(agentConfigFile({ role: 'client', aclToken: TOKEN, aclEnabled: true })!.content.reveal()), {
    acl: { tokens: { agent: TOKEN, agent_master: agentMasterToken(TOKEN) } },
  });
  assert.deepEqual(JSON.parse(agentConfigFile({ role: 'server', aclToken: TOKEN, aclEnabled: false })!.content.reveal()), {
    acl: { tokens: { agent: TOKEN } },
  });
  assert.deepEqual(JSON.parse(agentConfigFile({ role: 'server', gossipKey: GOSSIP, aclEnabled: false })!.content.reveal()), {
    encrypt: GOSSIP,
  });
  assert.equal(agentConfigFile({ role: 'server', aclEnabled: true }), undefined);
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

test('operator calls: ACL clusters use the token, and the agent master token on the agent endpoints', () => {
  assert.deepEqual(agentTokens(TOKEN, true), { token: TOKEN, localToken: agentMasterToken(TOKEN) });
  assert.deepEqual(agentTokens(TOKEN, false), { token: TOKEN });
  assert.deepEqual(agentTokens(undefined, true), {});
});
