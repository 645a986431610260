/**
 * Security with a REAL Consul agent in ACL default-deny mode: the CLI, the store and the operator
 * work with CONSUL_HTTP_TOKEN holding a policy on the prefix, and fail clearly without it (exit 5,
 * one line naming what was refused, no stack). The token never shows in any output, log line,
 * event or status.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { captureIo } from '../util/capture-io.js';
import { main } from '../../src/cli/main.js';
import { createDockerHostReconciler } from '../../src/controllers/dockerhost/index.js';
import type { Resource } from '../../src/crds/index.js';
import { isSwarmopError } from '../../src/errors.js';
import { Operator } from '../../src/operator/operator.js';
import { createLogger } from '../../src/runtime/logger.js';
import { waitUntil } from '../util/wait-until.js';
import { ConsulKv } from '../../src/store/consul-kv.js';
import { ResourceStore } from '../../src/store/resource-store.js';
import { startConsulAgent, type ConsulAgentHandle } from '../harness/consul-agent.js';
import { lineSink } from '../util/line-sink.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const PREFIX = 'acl-test/';
let agent: ConsulAgentHandle;
let writeToken: string;
let readToken: string;
const outputs: string[] = [];
const SIA =
  'apiVersion: swarmop.io/v1alpha1\nkind: StaticIPAttachment\nmetadata: {name: web}\nspec: {host: consul01, container: web, bridge: br0, address: 10.1.0.5/24, gateway: 10.1.0.1}\n';

async function aclPut(path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${agent.httpAddr}/v1/acl/${path}`, {
    method: 'PUT',
    headers: { 'X-Consul-Token': agent.masterToken! },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  assert.equal(res.status, 200, `acl ${path}: ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

async function tokenFor(name: string, rules: string): Promise<string> {
  await aclPut('policy', { Name: name, Rules: rules });
  const token = await aclPut('token', { Description: `swarmop ${name}`, Policies: [{ Name: name }] });
  return String(token.SecretID);
}

before(async () => {
  agent = await startConsulAgent({ acl: true });
  writeToken = await tokenFor('swarmop-write', `key_prefix "${PREFIX}" { policy = "write" }`);
  readToken = await tokenFor('swarmop-read', `key_prefix "${PREFIX}" { policy = "read" }`);
});
after(async () => {
  await agent?.stop();
  // Whatever each test printed: no secret anywhere.
  for (const text of outputs) {
    for (const secret of [writeToken, readToken, agent?.masterToken]) if (secret) assert.ok(!text.includes(secret), 'a token was printed');
  }
});

async function cli(argv: string[], token: string | undefined, stdin?: string) {
  const env: Record<string, string> = { CONSUL_HTTP_ADDR: agent.address, SWARMOP_PREFIX: PREFIX };
  if (token !== undefined) env.CONSUL_HTTP_TOKEN = token;
  const io = captureIo({ env, cwd: REPO, ...(stdin !== undefined ? { stdin } : {}) });
  const code = await main(argv, io);
  outputs.push(io.out, io.err);
  return { code, out: io.out, err: io.err };
}

function assertClearRefusal(r: { code: number; out: string; err: string }, what: RegExp): void {
  assert.equal(r.code, 5, r.err);
  const lines = r.err.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `one line, got:\n${r.err}`);
  assert.match(lines[0]!, /^error: /);
  assert.match(lines[0]!, /refused/);
  assert.match(lines[0]!, /Permission denied|ACL not found/i);
  assert.match(lines[0]!, /CONSUL_HTTP_TOKEN/);
  assert.match(lines[0]!, what);
  assert.doesNotMatch(r.err, /\n\s+at |internal error/);
}

test('with a token whose policy covers the prefix, apply, get, describe and delete work', async () => {
  const applied = await cli(['apply', '-f', 'manifests'], writeToken);
  assert.equal(applied.code, 0, applied.err);
  assert.equal(applied.out.trim().split('\n').length, 7);
  const got = await cli(['get', 'all', '-o', 'json'], writeToken);
  assert.equal(got.code, 0, got.err);
  assert.equal((JSON.parse(got.out) as { items: unknown[] }).items.length, 7);
  const described = await cli(['describe', 'sia', 'ubuntu114'], writeToken);
  assert.equal(described.code, 0, described.err);
  // A read-only token reads, but cannot write.
  const readOnly = await cli(['get', 'dockerhosts', '-o', 'name'], readToken);
  assert.equal(readOnly.code, 0, readOnly.err);
  assert.equal(readOnly.out.trim().split('\n').length, 3);
  const deleted = await cli(['delete', 'dockerhost', 'consulsvr'], writeToken);
  assert.equal(deleted.code, 0, deleted.err);
});

test('without a token, apply exits 5 with one line naming the key it may not read', async () => {
  const none = await cli(['apply', '-f', '-'], undefined, SIA);
  assertClearRefusal(none, /refused read of acl-test\/objects\/staticipattachments\/web/);
});

test('a token Consul does not know is refused on the first read: exit 5, one line, never echoed', async () => {
  const bogus = await cli(['apply', '-f', '-'], 'not-the-token-5f1e', SIA);
  assertClearRefusal(bogus, /acl-test\//);
  assert.doesNotMatch(bogus.err + bogus.out, /not-the-token-5f1e/);
  const got = await cli(['get', 'sia', 'ubuntu114'], 'not-the-token-5f1e');
  assert.equal(got.code, 5, got.err);
  assert.doesNotMatch(got.err + got.out, /not-the-token-5f1e/);
});

// Known gap in src/store/consul-kv.ts (not this suite's code): Consul 1.8 answers a /v1/txn that
// the ACL refuses with 409 and Errors[].What "Permission denied"; ConsulKv maps every 409 to a
// Conflict, so an apply by a read-only token exited 4 ("created by someone else meanwhile") and a delete
// retried its CAS loop and ended "kept changing underneath" (fixed in ConsulKv.txn).
test('writes the ACL refuses are reported as forbidden (exit 5), not as conflicts', async () => {
  const readOnly = await cli(['apply', '-f', '-'], readToken, SIA);
  assertClearRefusal(readOnly, /acl-test\//);
  const refusedDelete = await cli(['delete', 'dockerhost', 'consul01'], readToken);
  assertClearRefusal(refusedDelete, /acl-test\//);
});

test('refused applies write nothing', async () => {
  await cli(['apply', '-f', '-'], undefined, SIA);
  await cli(['apply', '-f', '-'], readToken, SIA);
  const after = await cli(['get', 'sia', 'web'], writeToken);
  assert.equal(after.code, 3, after.err);
});

// (A listing is not refused: Consul 1.8 filters what the token may not read, so `get all` without a
// token shows an empty store; Consul gives no sign that results were filtered.)
test('reading an object without a token is refused with exit 5', async () => {
  const got = await cli(['get', 'sia', 'ubuntu114'], undefined);
  assertClearRefusal(got, /acl-test\//);
});

test('ResourceStore works with the token and throws Forbidden without it', async () => {
  const doc = {
    apiVersion: 'swarmop.io/v1alpha1',
    kind: 'DockerHost',
    metadata: { name: 'store-host' },
    spec: { endpoint: 'tcp://127.0.0.1:1', address: '127.0.0.1' },
  } as Resource;
  const withToken = new ConsulKv({ address: agent.address, token: writeToken });
  const without = new ConsulKv({ address: agent.address });
  try {
    const store = new ResourceStore({ kv: withToken, prefix: PREFIX });
    assert.deepEqual(await store.apply([doc]), [{ kind: 'DockerHost', name: 'store-host', action: 'created' }]);
    assert.equal((await store.get('DockerHost', 'store-host'))?.spec.address, '127.0.0.1');
    const denied = new ResourceStore({ kv: without, prefix: PREFIX });
    await assert.rejects(denied.apply([{ ...doc, metadata: { name: 'other' } }]), (err: unknown) => {
      assert.ok(isSwarmopError(err, 'Forbidden'), String(err));
      assert.doesNotMatch(`${err.message} ${err.details.join(' ')} ${err.stack ?? ''}`, new RegExp(writeToken));
      return true;
    });
    assert.equal(await store.get('DockerHost', 'other'), undefined);
  } finally {
    withToken.close();
    without.close();
  }
});

test('the operator works with the token and never logs it or writes it into status or events', { timeout: 60_000 }, async () => {
  const kv = new ConsulKv({ address: agent.address, token: writeToken });
  const store = new ResourceStore({ kv, prefix: PREFIX });
  const { stream: sink, lines } = lineSink();
  const operator = new Operator({
    kv,
    store,
    reconcilers: [createDockerHostReconciler({ unreachableRecheckMs: 60_000, probeTimeoutMs: 1_000 })],
    // The token is even handed to the logger as a field: the logger must redact it, not rely on callers.
    log: createLogger({ format: 'json', level: 'debug', stream: sink, defaultMeta: { consulToken: writeToken } }),
    hostEvents: false,
  });
  const ac = new AbortController();
  const done = operator.start(ac.signal);
  try {
    await store.apply([
      {
        apiVersion: 'swarmop.io/v1alpha1',
        kind: 'DockerHost',
        metadata: { name: 'op-host' },
        spec: { endpoint: 'tcp://127.0.0.1:1', address: '127.0.0.1' },
      } as Resource,
    ]);
    await waitUntil(
      'op-host reconciled',
      async () => (await store.get('DockerHost', 'op-host'))?.status?.conditions?.some((c) => c.type === 'Ready') === true,
      20_000,
      50,
    );
    await waitUntil(
      'an event recorded',
      async () => (await store.listEvents({ kind: 'DockerHost', name: 'op-host' })).length > 0,
      10_000,
      50,
    );
  } finally {
    ac.abort();
    await done;
  }
  const everything = [
    ...lines,
    JSON.stringify(await store.listEvents()),
    JSON.stringify(await store.listAll()),
    ...(await kv.list(PREFIX)).pairs.map((p) => p.value),
  ].join('\n');
  kv.close();
  assert.ok(lines.length > 0, 'the operator logged');
  assert.ok(!everything.includes(writeToken), 'the token appears in a log line, event, status or object');
  outputs.push(everything);
});

test('the token reaches Consul as the consul CLI takes it: CONSUL_HTTP_TOKEN_FILE, -token, -token-file; a token file wins over a token, a flag over its variable', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'swarmop-acl-token-'));
  const good = join(dir, 'write.token');
  const bogus = join(dir, 'bogus.token');
  writeFileSync(good, `${writeToken}\n`);
  writeFileSync(bogus, 'not-the-token-77c2\n');
  const run = async (env: Record<string, string>, argv: string[], stdin?: string) => {
    const io = captureIo({
      env: { CONSUL_HTTP_ADDR: agent.address, SWARMOP_PREFIX: PREFIX, ...env },
      cwd: REPO,
      ...(stdin !== undefined ? { stdin } : {}),
    });
    const code = await main(argv, io);
    outputs.push(io.out, io.err);
    return { code, out: io.out, err: io.err };
  };
  const name = 'token-file-web';
  const doc = SIA.replace('name: web', `name: ${name}`);
  try {
    const viaFile = await run({ CONSUL_HTTP_TOKEN_FILE: good }, ['apply', '-f', '-'], doc);
    assert.deepEqual([viaFile.code, viaFile.out, viaFile.err], [0, `staticipattachment/${name} created\n`, '']);
    const get = ['get', 'sia', name, '-o', 'name'];
    const ok = [0, `staticipattachment/${name}\n`, ''];
    const flag = await run({ CONSUL_HTTP_TOKEN: 'not-the-token-77c2' }, ['-token', writeToken, ...get]);
    assert.deepEqual([flag.code, flag.out, flag.err], ok, '-token wins over CONSUL_HTTP_TOKEN');
    const fileFlag = await run({ CONSUL_HTTP_TOKEN: 'not-the-token-77c2' }, ['-token-file', good, ...get]);
    assert.deepEqual([fileFlag.code, fileFlag.out, fileFlag.err], ok, '-token-file wins over CONSUL_HTTP_TOKEN');
    // consul's api.NewClient: a token file that is set and not empty replaces the token.
    const fileOverToken = await run({ CONSUL_HTTP_TOKEN: writeToken, CONSUL_HTTP_TOKEN_FILE: bogus }, get);
    assertClearRefusal(fileOverToken, /acl-test\//);
    assert.doesNotMatch(fileOverToken.err + fileOverToken.out, /not-the-token-77c2/);
  } finally {
    await run({ CONSUL_HTTP_TOKEN: writeToken }, ['delete', 'sia', name]);
    rmSync(dir, { recursive: true, force: true });
  }
});
