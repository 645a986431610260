/**
 * A REAL Consul agent that speaks HTTPS only and requires client certificates
 * (`verify_incoming`), with a throw-away PKI made by openssl: a CA, a server certificate for
 * 127.0.0.1 / localhost / server.dc1.consul, a client certificate, and an unrelated second CA
 * (for "wrong CA" cases). Stopped by PID only; its folder is removed on stop().
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:https';
import { promisify } from 'node:util';
import { consulBinary } from './consul-agent.js';
import { eventually } from '../util/wait-until.js';
import { freePorts } from '../util/free-ports.js';

const execFileP = promisify(execFile);

export interface TestPki {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A CA that signed nothing the agent uses. */
  otherCaCert: string;
  /** A folder holding only caCert (for CONSUL_CAPATH). */
  caDir: string;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  await execFileP('openssl', args, { cwd: dir, timeout: 30_000 });
}

/** Makes the CA, server and client certificates in `dir` (EC P-256: quick to generate). */
export async function makeTestPki(dir: string): Promise<TestPki> {
  const key = (name: string) => openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`]);
  const ca = async (name: string) => {
    await key(name);
    await openssl(dir, ['req', '-x509', '-new', '-key', `${name}.key`, '-subj', `/CN=${name}`, '-days', '2', '-out', `${name}.pem`]);
  };
  const leaf = async (name: string, ext: string) => {
    await key(name);
    await openssl(dir, ['req', '-new', '-key', `${name}.key`, '-subj', `/CN=${name}`, '-out', `${name}.csr`]);
    writeFileSync(join(dir, `${name}.ext`), ext);
    await openssl(dir, [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.pem`,
    ]);
  };
  await ca('ca');
  await ca('other-ca');
  await leaf('server', 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:server.dc1.consul\nextendedKeyUsage=serverAuth,clientAuth\n');
  await leaf('client', 'extendedKeyUsage=clientAuth\n');
  const caDir = join(dir, 'ca.d');
  await execFileP('mkdir', ['-p', caDir]);
  writeFileSync(join(caDir, 'ca.pem'), readFileSync(join(dir, 'ca.pem')));
  return {
    dir,
    caCert: join(dir, 'ca.pem'),
    serverCert: join(dir, 'server.pem'),
    serverKey: join(dir, 'server.key'),
    clientCert: join(dir, 'client.pem'),
    clientKey: join(dir, 'client.key'),
    otherCaCert: join(dir, 'other-ca.pem'),
    caDir,
  };
}

export interface TlsConsulHandle {
  /** "https://127.0.0.1:PORT". */
  httpsAddr: string;
  /** "127.0.0.1:PORT" (the same port, without a scheme). */
  hostPort: string;
  pki: TestPki;
  /** GET/PUT/DELETE on the agent with the right client certificate (test assertions). */
  http(method: string, path: string, body?: string): Promise<{ status: number; body: string }>;
  stop(): Promise<void>;
}

export async function startTlsConsul(): Promise<TlsConsulHandle> {
  const bin = await consulBinary();
  const dir = mkdtempSync(join(tmpdir(), 'swarmop-tls-consul-'));
  const pki = await makeTestPki(dir);
  const [https, serfLan, serfWan, server] = await freePorts(4);
  const hcl = [
    'disable_update_check = true',
    `ports { http = -1, https = ${https}, dns = -1, grpc = -1, serf_lan = ${serfLan}, serf_wan = ${serfWan}, server = ${server} }`,
    `ca_file = "${pki.caCert}"`,
    `cert_file = "${pki.serverCert}"`,
    `key_file = "${pki.serverKey}"`,
    'verify_incoming = true',
    'verify_outgoing = true',
  ].join('\n');
  const out = openSync(join(dir, 'consul.log'), 'a');
  let child: ChildProcess;
  try {
    child = spawn(
      bin,
      ['agent', '-dev', '-node', `swarmop-tls-${https}`, '-bind', '127.0.0.1', '-client', '127.0.0.1', '-log-level', 'warn', '-hcl', hcl],
      {
        stdio: ['ignore', out, out],
      },
    );
  } finally {
    closeSync(out);
  }
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const onExit = (): void => {
    if (!exited && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  };
  process.on('exit', onExit);

  const agent = new Agent({
    ca: readFileSync(pki.caCert),
    cert: readFileSync(pki.clientCert),
    key: readFileSync(pki.clientKey),
    keepAlive: false,
  });
  const call = (method: string, path: string, body?: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: https, method, path, agent, timeout: 2000 }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end(body);
    });

  const stop = async (): Promise<void> => {
    process.off('exit', onExit);
    if (!exited && child.pid !== undefined) {
      const gone = new Promise((r) => child.once('exit', r));
      process.kill(child.pid, 'SIGTERM');
      const t = setTimeout(() => !exited && child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), 5000);
      await gone;
      clearTimeout(t);
    }
    agent.destroy();
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await eventually(
      'the TLS consul agent to serve KV',
      async () => {
        const put = await call('PUT', '/v1/kv/swarmop-tls-probe', 'ok');
        return put.status === 200 && put.body.trim() === 'true';
      },
      { timeoutMs: 30_000, intervalMs: 100, stopIf: () => (exited ? 'the TLS consul agent exited' : undefined) },
    );
  } catch (err) {
    const log = readFileSync(join(dir, 'consul.log'), 'utf8');
    await stop();
    throw new Error(`${(err as Error).message}:\n${log.split('\n').slice(-15).join('\n')}`, { cause: err });
  }
  await call('DELETE', '/v1/kv/swarmop-tls-probe');
  return { httpsAddr: `https://127.0.0.1:${https}`, hostPort: `127.0.0.1:${https}`, pki, http: call, stop };
}
