/**
 * The CLI and the operator against a REAL Consul agent that serves HTTPS only and requires client
 * certificates (verify_incoming), with an openssl CA made for the test: the consul CLI's
 * environment and flags reach it; a wrong CA, a missing client certificate and a plain-HTTP
 * address each end in one line naming the problem, exit code 5, and nothing written.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startTlsConsul, type TlsConsulHandle } from '../../testing/harness/tls-consul.js';
import { captureIo } from '../../testing/util/capture-io.js';
import { main } from './main.js';
import { eventually } from '../../testing/util/wait-until.js';
import { ensureBuilt } from '../../testing/util/built-package.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
let consul: TlsConsulHandle;
let goodEnv: Record<string, string>;
let counter = 0;

// It runs the built CLI: dist/ as hack/test.sh built it for this run (run on its own, the file builds
// this checkout, which replaces dist/: not beside the lab suites).
describe('the CLI and the operator against a Consul with TLS', { concurrency: false }, () => {
  before(async () => {
    consul = await startTlsConsul();
    goodEnv = {
      CONSUL_HTTP_ADDR: consul.httpsAddr,
      CONSUL_CACERT: consul.pki.caCert,
      CONSUL_CLIENT_CERT: consul.pki.clientCert,
      CONSUL_CLIENT_KEY: consul.pki.clientKey,
    };
    // The operator runs as the built CLI, the way users start it.
    await ensureBuilt();
  });
  after(async () => consul?.stop());

  const newPrefix = (): string => `tls-int-${process.pid}-${++counter}/`;

  const HOST = (name: string) => `apiVersion: swarmop.io/v1alpha1
kind: DockerHost
metadata:
  name: ${name}
spec:
  endpoint: tcp://127.0.0.1:1
  address: 127.0.0.1
`;

  async function cli(env: Record<string, string | undefined>, argv: string[], stdin?: string) {
    const io = captureIo({ env, cwd: REPO, ...(stdin === undefined ? {} : { stdin }) });
    const code = await main(argv, io);
    return { code, out: io.out, err: io.err };
  }

  /** Keys under `prefix`, read with the right certificate. */
  async function keysUnder(prefix: string): Promise<string[]> {
    const res = await consul.http('GET', `/v1/kv/${prefix}?keys`);
    if (res.status === 404) return [];
    assert.equal(res.status, 200, res.body);
    return JSON.parse(res.body) as string[];
  }

  test('every CLI command that reaches the store works over TLS with the CA, client certificate and key from the environment', async () => {
    const prefix = newPrefix();
    const env = { ...goodEnv, SWARMOP_PREFIX: prefix };
    const apply = await cli(env, ['apply', '-f', '-'], HOST('h1'));
    assert.deepEqual([apply.code, apply.out, apply.err], [0, 'dockerhost/h1 created\n', '']);
    const get = await cli(env, ['get', 'dockerhost', 'h1', '-o', 'name']);
    assert.deepEqual([get.code, get.out, get.err], [0, 'dockerhost/h1\n', '']);
    const yaml = await cli(env, ['get', 'dockerhost', 'h1', '-o', 'yaml']);
    assert.equal(yaml.code, 0);
    assert.match(yaml.out, /endpoint: tcp:\/\/127\.0\.0\.1:1/);
    const describe = await cli(env, ['describe', 'dockerhost', 'h1']);
    assert.equal(describe.code, 0, describe.err);
    assert.match(describe.out, /^Name:\s+h1$/m);
    const diff = await cli(env, ['diff', '-f', '-'], HOST('h1'));
    assert.deepEqual([diff.code, diff.out, diff.err], [0, '', '']);
    const patch = await cli(env, ['patch', 'dockerhost', 'h1', '-p', '{"spec":{"address":"127.0.0.2"}}']);
    assert.deepEqual([patch.code, patch.out, patch.err], [0, 'dockerhost/h1 patched\n', '']);
    const label = await cli(env, ['label', 'dockerhost', 'h1', 'zone=a']);
    assert.deepEqual([label.code, label.out, label.err], [0, 'dockerhost/h1 labeled\n', '']);
    const annotate = await cli(env, ['annotate', 'dockerhost', 'h1', 'owner=ops']);
    assert.deepEqual([annotate.code, annotate.out, annotate.err], [0, 'dockerhost/h1 annotated\n', '']);
    // The editor is a sed run on the file edit hands it (through /bin/sh, so PATH finds sed).
    const edit = await cli({ ...env, PATH: process.env.PATH, SWARMOP_EDITOR: "sed -i 's/address: 127.0.0.2$/address: 127.0.0.3/'" }, [
      'edit',
      'dockerhost',
      'h1',
    ]);
    assert.deepEqual([edit.code, edit.out], [0, 'dockerhost/h1 edited\n'], edit.err);
    const stored = await cli(env, [
      'get',
      'dockerhost',
      'h1',
      '-o',
      'jsonpath={.spec.address} {.metadata.labels.zone} {.metadata.annotations.owner}',
    ]);
    assert.deepEqual([stored.code, stored.out, stored.err], [0, '127.0.0.3 a ops', '']);
    const events = await cli(env, ['events']);
    assert.deepEqual([events.code, events.out, events.err], [0, '', 'No events found.\n']);
    // No operator runs here: the wait reaches the store and runs out of time (6), not Unavailable (5).
    const wait = await cli(env, ['wait', 'dockerhost/h1', '--for=condition=Ready', '--timeout', '1s']);
    assert.equal(wait.code, 6, wait.err);
    const del = await cli(env, ['delete', 'dockerhost', 'h1']);
    assert.deepEqual([del.code, del.out, del.err], [0, 'dockerhost/h1 deleted\n', '']);
    assert.deepEqual(
      (await keysUnder(prefix)).filter((k) => k.startsWith(`${prefix}objects/`)),
      [],
    );
  });

  test("consul's flags, single-dash as consul spells them, replace the environment: address, CA, client pair, server name", async () => {
    const prefix = newPrefix();
    const flags = [
      '-http-addr',
      consul.httpsAddr,
      '-ca-file',
      consul.pki.caCert,
      '-client-cert',
      consul.pki.clientCert,
      '-client-key',
      consul.pki.clientKey,
      '-tls-server-name',
      'server.dc1.consul',
      '--prefix',
      prefix,
    ];
    // The environment points at a plain-HTTP port with a wrong CA: the flags must win.
    const env = { CONSUL_HTTP_ADDR: '127.0.0.1:1', CONSUL_CACERT: consul.pki.otherCaCert };
    const apply = await cli(env, [...flags, 'apply', '-f', '-'], HOST('h2'));
    assert.deepEqual([apply.code, apply.out, apply.err], [0, 'dockerhost/h2 created\n', '']);
    // CONSUL_HTTP_SSL turns a host:port address into TLS; CONSUL_CAPATH is a folder of CAs.
    const viaSsl = await cli(
      {
        CONSUL_HTTP_ADDR: consul.hostPort,
        CONSUL_HTTP_SSL: 'true',
        CONSUL_CAPATH: consul.pki.caDir,
        CONSUL_CLIENT_CERT: consul.pki.clientCert,
        CONSUL_CLIENT_KEY: consul.pki.clientKey,
        SWARMOP_PREFIX: prefix,
      },
      ['get', 'dockerhosts', '-o', 'name'],
    );
    assert.deepEqual([viaSsl.code, viaSsl.out, viaSsl.err], [0, 'dockerhost/h2\n', '']);
    assert.ok((await keysUnder(prefix)).includes(`${prefix}objects/dockerhosts/h2`), 'h2 is stored');
  });

  test('CONSUL_HTTP_SSL_VERIFY=false skips the certificate check (a wrong CA then passes); CONSUL_TLS_SERVER_NAME names the certificate to expect', async () => {
    const prefix = newPrefix();
    const unverified = await cli(
      { ...goodEnv, CONSUL_CACERT: consul.pki.otherCaCert, CONSUL_HTTP_SSL_VERIFY: 'false', SWARMOP_PREFIX: prefix },
      ['apply', '-f', '-'],
      HOST('h6'),
    );
    assert.deepEqual([unverified.code, unverified.out], [0, 'dockerhost/h6 created\n']);
    // ...and says so: anyone on the path could read and change the store.
    assert.equal(
      unverified.err,
      `warning: CONSUL_HTTP_SSL_VERIFY=false: the store Consul's certificate is not verified, so anyone on the path to ${goodEnv.CONSUL_HTTP_ADDR} can read and change the store and the token\n`,
    );
    const named = await cli({ ...goodEnv, CONSUL_TLS_SERVER_NAME: 'server.dc1.consul', SWARMOP_PREFIX: prefix }, [
      'get',
      'dockerhosts',
      '-o',
      'name',
    ]);
    assert.deepEqual([named.code, named.out, named.err], [0, 'dockerhost/h6\n', '']);
    const wrongName = await cli({ ...goodEnv, CONSUL_TLS_SERVER_NAME: 'elsewhere.example', SWARMOP_PREFIX: prefix }, [
      'get',
      'dockerhosts',
      '-o',
      'name',
    ]);
    assert.deepEqual(
      [wrongName.code, wrongName.err],
      [
        5,
        `error: cannot reach Consul at ${consul.httpsAddr}: its TLS certificate does not name "elsewhere.example" (set CONSUL_TLS_SERVER_NAME or --tls-server-name to a name it holds)\n`,
      ],
    );
  });

  test('a config-file context carries the TLS files; a variable still overrides one of its fields', async () => {
    const prefix = newPrefix();
    const dir = mkdtempSync(join(tmpdir(), 'swarmop-tls-ctx-'));
    const file = join(dir, 'config.yaml');
    const p = consul.pki;
    writeFileSync(
      file,
      `currentContext: tls\ncontexts:\n  - {name: tls, address: "${consul.httpsAddr}", caFile: "${p.caCert}", clientCert: "${p.clientCert}", clientKey: "${p.clientKey}", prefix: "${prefix}"}\n`,
    );
    try {
      const apply = await cli({ SWARMOP_CONFIG: file }, ['apply', '-f', '-'], HOST('h5'));
      assert.deepEqual([apply.code, apply.out, apply.err], [0, 'dockerhost/h5 created\n', '']);
      const wrongCa = await cli({ SWARMOP_CONFIG: file, CONSUL_CACERT: p.otherCaCert }, ['get', 'dockerhosts', '-o', 'name']);
      assert.deepEqual(
        [wrongCa.code, wrongCa.err],
        [
          5,
          `error: cannot reach Consul at ${consul.httpsAddr}: its TLS certificate is not signed by the CA in CONSUL_CACERT=${p.otherCaCert} (UNABLE_TO_VERIFY_LEAF_SIGNATURE)\n`,
        ],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const FAILURES: { name: string; env: () => Record<string, string | undefined>; argv?: () => string[]; error: () => string }[] = [
    {
      name: 'a wrong CA',
      env: () => ({ ...goodEnv, CONSUL_CACERT: consul.pki.otherCaCert }),
      error: () =>
        `error: cannot reach Consul at ${consul.httpsAddr}: its TLS certificate is not signed by the CA in CONSUL_CACERT=${consul.pki.otherCaCert} (UNABLE_TO_VERIFY_LEAF_SIGNATURE)\n`,
    },
    {
      name: 'a missing client certificate',
      env: () => ({ ...goodEnv, CONSUL_CLIENT_CERT: undefined, CONSUL_CLIENT_KEY: undefined }),
      error: () =>
        `error: cannot reach Consul at ${consul.httpsAddr}: it requires a client certificate and none is set (set CONSUL_CLIENT_CERT and CONSUL_CLIENT_KEY, or --client-cert and --client-key)\n`,
    },
    {
      name: 'a plain-HTTP address',
      env: () => ({ ...goodEnv, CONSUL_HTTP_ADDR: consul.hostPort }),
      error: () =>
        `error: cannot reach Consul at ${consul.hostPort}: it serves HTTPS only, the address asks for plain HTTP (use ${consul.httpsAddr} or CONSUL_HTTP_SSL=true)\n`,
    },
    {
      name: 'a server name the certificate does not hold',
      env: () => goodEnv,
      argv: () => ['--tls-server-name', 'elsewhere.example'],
      error: () =>
        `error: cannot reach Consul at ${consul.httpsAddr}: its TLS certificate does not name "elsewhere.example" (set CONSUL_TLS_SERVER_NAME or --tls-server-name to a name it holds)\n`,
    },
  ];

  for (const f of FAILURES) {
    test(`${f.name}: apply, patch and get fail with one line naming it, exit code 5, nothing written`, async () => {
      const prefix = newPrefix();
      const env = { ...f.env(), SWARMOP_PREFIX: prefix };
      const apply = await cli(env, [...(f.argv?.() ?? []), 'apply', '-f', '-'], HOST('h3'));
      assert.deepEqual([apply.code, apply.out, apply.err], [5, '', f.error()]);
      const patch = await cli(env, [...(f.argv?.() ?? []), 'patch', 'dockerhost', 'h3', '-p', '{"spec":{"address":"127.0.0.2"}}']);
      assert.deepEqual([patch.code, patch.out, patch.err], [5, '', f.error()]);
      const get = await cli(env, [...(f.argv?.() ?? []), 'get', 'dockerhosts']);
      assert.deepEqual([get.code, get.out, get.err], [5, '', f.error()]);
      assert.deepEqual(await keysUnder(prefix), []);
    });
  }

  interface Child {
    lines: string[];
    exit: Promise<number | null>;
    kill(): void;
  }

  function operator(env: Record<string, string | undefined>, prefix: string, extra: string[] = []): Child {
    const child = spawn(
      process.execPath,
      [
        'bin/swarmop.js',
        'operator',
        '--prefix',
        prefix,
        '--log-format',
        'json',
        '--metrics-addr',
        '127.0.0.1:0',
        '--leader-elect',
        '--resync-seconds',
        '2',
        ...extra,
      ],
      {
        cwd: REPO,
        env: { PATH: process.env.PATH, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const lines: string[] = [];
    for (const s of [child.stdout, child.stderr]) createInterface({ input: s }).on('line', (l) => lines.push(l));
    const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    return { lines, exit, kill: () => child.kill('SIGTERM') };
  }

  test('the operator works over TLS: leader lock, status written, /readyz answers', async () => {
    const prefix = newPrefix();
    const env = { ...goodEnv, SWARMOP_PREFIX: prefix };
    assert.equal((await cli(env, ['apply', '-f', '-'], HOST('h4'))).code, 0);
    const op = operator(env, prefix);
    try {
      const addr = await eventually(
        'the metrics address',
        () => {
          for (const l of op.lines) {
            const m = /"addr":"([\d.]+:\d+)"/.exec(l);
            if (m && l.includes('metrics server listening')) return m[1];
          }
          return undefined;
        },
        { intervalMs: 100 },
      );
      await eventually(
        '/readyz 200',
        async () => ((await fetch(`http://${addr}/readyz`).catch(() => undefined))?.status === 200 ? true : undefined),
        { intervalMs: 100 },
      );
      // The DockerHost's engine is unreachable: a written Ready=False proves status writes went through.
      const wait = await cli(env, ['wait', 'dockerhost/h4', '--for=condition=Ready=False', '--timeout', '30s']);
      assert.deepEqual([wait.code, wait.err], [0, '']);
      assert.ok((await keysUnder(prefix)).includes(`${prefix}leader`), 'the leader lock is held in the store');
    } finally {
      op.kill();
      assert.equal(await op.exit, 0);
    }
  });

  // The operator checks the store before it starts anything: each refusal ends it at once, with
  // the CLI's one line (its other output is JSON log lines) and nothing written.
  for (const f of FAILURES) {
    test(`the operator with ${f.name} stops at once with the one-line error and exit code 5, nothing written`, async () => {
      const prefix = newPrefix();
      const op = operator(f.env(), prefix, f.argv?.() ?? []);
      const code = await Promise.race([op.exit, new Promise<'running'>((r) => setTimeout(() => r('running'), 20_000))]);
      if (code === 'running') op.kill();
      assert.equal(code, 5);
      assert.deepEqual(
        op.lines.filter((l) => !l.startsWith('{')),
        [f.error().trimEnd()],
      );
      assert.deepEqual(await keysUnder(prefix), []);
    });
  }
});
