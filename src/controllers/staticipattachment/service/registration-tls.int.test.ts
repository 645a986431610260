/**
 * The service registration edge against a REAL Consul agent that serves HTTPS only and requires
 * client certificates (a ConsulCluster with `tls.http: disabled` runs its agents like this): with
 * the cluster's CA and the operator's client certificate a service is registered, read back and
 * deregistered over HTTPS; without them the call fails and nothing is registered.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { startTlsConsul, type TlsConsulHandle } from '../../../../testing/harness/tls-consul.js';
import type { AgentTls } from '../../../consul/agent-http.js';
import { HttpServiceAgent } from './agent.js';
import { desiredRegistration } from './registration.js';

let consul: TlsConsulHandle;
let agent: HttpServiceAgent;
let tls: AgentTls;

before(async () => {
  consul = await startTlsConsul();
  const port = Number(new URL(consul.httpsAddr).port);
  // The plain-HTTP port is the HTTPS one too: a call without TLS must fail there, not find another listener.
  agent = new HttpServiceAgent({ port, httpsPort: port });
  tls = {
    ca: readFileSync(consul.pki.caCert, 'utf8'),
    cert: readFileSync(consul.pki.clientCert, 'utf8'),
    key: readFileSync(consul.pki.clientKey, 'utf8'),
  };
});
after(async () => {
  await consul?.stop();
});

const reg = desiredRegistration('web-1', { consulCluster: 'dc', name: 'web', port: 8080, tags: ['v1'] }, '127.0.0.1');

test('over HTTPS with the client certificate: registered, read back, deregistered', async () => {
  await agent.register('127.0.0.1', reg, { tls });
  const seen = await agent.read('127.0.0.1', 'web-1', { tls });
  assert.equal(seen?.name, 'web');
  assert.equal(seen?.port, 8080);
  assert.deepEqual(seen?.tags, ['v1']);
  await agent.deregister('127.0.0.1', 'web-1', { tls });
  assert.equal(await agent.read('127.0.0.1', 'web-1', { tls }), undefined);
});

test('without TLS, or without the client certificate, the call fails and nothing is registered', async () => {
  await assert.rejects(
    agent.register('127.0.0.1', reg),
    /consul agent 127\.0\.0\.1: PUT \/v1\/agent\/service\/register: HTTP 400 Client sent an HTTP request to an HTTPS server/,
  );
  const otherCa = readFileSync(consul.pki.otherCaCert, 'utf8');
  await assert.rejects(agent.register('127.0.0.1', reg, { tls: { ...tls, ca: otherCa } }), /failed/);
  assert.equal(await agent.read('127.0.0.1', 'web-1', { tls }), undefined);
});
