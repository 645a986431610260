/**
 * A throw-away PKI made offline by the project's consul binary (`consul tls ca create`,
 * `consul tls cert create`), the way a user makes one for a TLS ConsulCluster.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { consulBinary } from './consul-agent.js';

const execFileP = promisify(execFile);

export interface Pem {
  cert: string;
  key: string;
}

export interface ConsulPki {
  ca: Pem;
  /** `-server -dc <dc>`: SANs server.<dc>.consul, localhost, 127.0.0.1 and the extra IPs. */
  server: Pem;
  /** `-client`: SANs client.<dc>.consul, localhost, 127.0.0.1. */
  client: Pem;
  /** `-cli`: a client certificate for tools (no IP SAN), used as the operator's. */
  cli: Pem;
}

/** Makes a CA and its certificates in `dir` (created); `extraIps` go on the server certificate. */
export async function makeConsulPki(dir: string, dc = 'dc1', extraIps: string[] = []): Promise<ConsulPki> {
  const bin = await consulBinary();
  mkdirSync(dir, { recursive: true });
  const run = (args: string[]) => execFileP(bin, args, { cwd: dir, timeout: 30_000 });
  await run(['tls', 'ca', 'create']);
  await run(['tls', 'cert', 'create', '-server', '-dc', dc, ...extraIps.flatMap((ip) => ['-additional-ipaddress', ip])]);
  await run(['tls', 'cert', 'create', '-client', '-dc', dc]);
  await run(['tls', 'cert', 'create', '-cli', '-dc', dc]);
  const pem = (base: string): Pem => ({
    cert: readFileSync(join(dir, `${base}.pem`), 'utf8'),
    key: readFileSync(join(dir, `${base}-key.pem`), 'utf8'),
  });
  return {
    ca: pem('consul-agent-ca'),
    server: pem(`${dc}-server-consul-0`),
    client: pem(`${dc}-client-consul-0`),
    cli: pem(`${dc}-cli-consul-0`),
  };
}

/**
 * A new server certificate from the CA in `dir` (made by makeConsulPki there): SANs
 * server.<dc>.consul, localhost, 127.0.0.1 and `ip`, the address the operator calls the agent at.
 * Each call issues a new one (a new serial), as a rotation does.
 */
export async function issueServerCert(dir: string, dc: string, ip: string): Promise<Pem> {
  const bin = await consulBinary();
  const before = new Set(readdirSync(dir));
  await execFileP(bin, ['tls', 'cert', 'create', '-server', '-dc', dc, '-additional-ipaddress', ip], { cwd: dir, timeout: 30_000 });
  const made = readdirSync(dir).filter((f) => !before.has(f) && f.endsWith('.pem') && !f.endsWith('-key.pem'));
  if (made.length !== 1) throw new Error(`consul tls cert create made ${made.join(', ') || 'no certificate'} in ${dir}`);
  const base = made[0]!.slice(0, -'.pem'.length);
  return { cert: readFileSync(join(dir, `${base}.pem`), 'utf8'), key: readFileSync(join(dir, `${base}-key.pem`), 'utf8') };
}
