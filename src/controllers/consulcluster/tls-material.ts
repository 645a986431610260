/**
 * Checks of a TLS ConsulCluster's certificates before any agent gets them (pure, node:crypto): a
 * certificate the agents would refuse is reported with what is wrong, instead of rolling agents
 * into a cluster whose members cannot talk to each other.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';

/** A certificate that expires sooner than this is reported (condition CertificateExpiring). */
export const EXPIRY_WARNING_MS = 7 * 24 * 3600 * 1000;

export interface CertCheckInput {
  /** What the certificate is, for messages: "node consul-1", "the operator's client certificate". */
  what: string;
  cert: string;
  key: string;
  /** The agent's address: must be an IP SAN (the operator calls the agent there). */
  address?: string;
  /** Servers: the name verify_server_hostname checks, server.<datacenter>.consul. */
  serverName?: string;
}

export interface CertCheck {
  problems: string[];
  /** Set when it expires within EXPIRY_WARNING_MS. */
  expiring?: string;
}

function parseCert(pem: string, what: string, problems: string[]): X509Certificate | undefined {
  try {
    return new X509Certificate(pem);
  } catch (err) {
    problems.push(`${what}: not a PEM certificate (${(err as Error).message})`);
    return undefined;
  }
}

function parseKey(pem: string, what: string, problems: string[]): KeyObject | undefined {
  try {
    return createPrivateKey(pem);
  } catch (err) {
    problems.push(`${what}: the key is not a PEM private key (${(err as Error).message})`);
    return undefined;
  }
}

/** The CA itself: a certificate, a CA, valid now. */
export function checkCa(pem: string, now: number): { ca?: X509Certificate; problems: string[] } {
  const problems: string[] = [];
  const ca = parseCert(pem, 'the CA certificate', problems);
  if (!ca) return { problems };
  if (!ca.ca) problems.push('the CA certificate is not a CA (basicConstraints CA:TRUE missing)');
  if (Date.parse(ca.validTo) <= now) problems.push(`the CA certificate expired on ${ca.validTo}`);
  return { ca, problems };
}

/** One leaf certificate against the CA. */
export function checkCert(ca: X509Certificate, i: CertCheckInput, now: number): CertCheck {
  const problems: string[] = [];
  const cert = parseCert(i.cert, i.what, problems);
  const key = parseKey(i.key, i.what, problems);
  if (!cert) return { problems };
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey))
    problems.push(`${i.what}: not signed by the CA (issuer "${cert.issuer.replace(/\n/g, ', ')}")`);
  if (key && !cert.checkPrivateKey(key)) problems.push(`${i.what}: the key does not belong to the certificate`);
  if (i.address !== undefined && cert.checkIP(i.address) === undefined)
    problems.push(`${i.what}: no IP SAN ${i.address} (the agent's address)`);
  if (i.serverName !== undefined && cert.checkHost(i.serverName, { wildcards: false }) === undefined)
    problems.push(`${i.what}: no DNS SAN ${i.serverName} (verify_server_hostname checks it on every server)`);
  const notAfter = Date.parse(cert.validTo);
  if (notAfter <= now) problems.push(`${i.what}: expired on ${cert.validTo}`);
  else if (Date.parse(cert.validFrom) > now) problems.push(`${i.what}: not valid before ${cert.validFrom}`);
  const out: CertCheck = { problems };
  if (notAfter > now && notAfter - now < EXPIRY_WARNING_MS) out.expiring = `${i.what} expires on ${cert.validTo}`;
  return out;
}
