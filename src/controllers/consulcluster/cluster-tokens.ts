/**
 * Makes a cluster's policies and tokens (token-plan.ts) through the cluster's ACL API, with the
 * initial management token, and hands each agent its token. The ACL API and the store's records
 * are interfaces, so the plan's promises (idempotent, safe to stop half way) are tested with fakes.
 */
import { randomUUID } from 'node:crypto';
import type { AclPolicy, AclTokenSummary, NewAclToken } from '../../consul/acl-http.js';
import { SwarmopError } from '../../errors.js';
import type { WantedPolicy, WantedToken } from './token-policies.js';
import { describeTokenStep, planTokens, type TokenRecord, type TokenStep } from './token-plan.js';

/** The cluster's ACL API, called with its initial management token. */
export interface AclApi {
  readPolicyByName(name: string): Promise<AclPolicy | undefined>;
  createPolicy(p: WantedPolicy): Promise<string>;
  updatePolicy(id: string, p: WantedPolicy): Promise<void>;
  listTokens(): Promise<AclTokenSummary[]>;
  readTokenSecret(accessorID: string): Promise<string | undefined>;
  createToken(t: NewAclToken): Promise<void>;
}

/** Where the store keeps a cluster's token records (token-records.ts). */
export interface TokenRecords {
  list(cluster: string): Promise<Map<string, TokenRecord>>;
  /** Create-only: resolves the record the store holds afterwards (another writer's, if it was first). */
  create(cluster: string, key: string, record: TokenRecord): Promise<TokenRecord>;
  /** Rewrites one record (agent tokens: `delivered`). */
  update(cluster: string, key: string, record: TokenRecord): Promise<void>;
  deleteAll(cluster: string): Promise<void>;
}

export interface EnsureTokensOptions {
  cluster: string;
  wanted: { policies: readonly WantedPolicy[]; tokens: readonly WantedToken[] };
  acl: AclApi;
  records: TokenRecords;
  newId?: () => string;
}

export interface EnsureTokensResult {
  records: Map<string, TokenRecord>;
  /** What was done, one line per step (no secrets). */
  done: string[];
}

export async function ensureClusterTokens(o: EnsureTokensOptions): Promise<EnsureTokensResult> {
  const newId = o.newId ?? randomUUID;
  const records = await o.records.list(o.cluster);
  const policies = new Map<string, AclPolicy>();
  for (const p of o.wanted.policies) {
    const have = await o.acl.readPolicyByName(p.name);
    if (have) policies.set(p.name, have);
  }
  const tokens = await o.acl.listTokens();
  const steps = planTokens(o.wanted, records, { policies, tokens });
  const done: string[] = [];
  for (const s of steps) {
    await runStep(s, o, records, newId);
    done.push(describeTokenStep(s));
  }
  return { records, done };
}

async function runStep(s: TokenStep, o: EnsureTokensOptions, records: Map<string, TokenRecord>, newId: () => string): Promise<void> {
  switch (s.type) {
    case 'createPolicy':
      await o.acl.createPolicy(s.policy);
      return;
    case 'updatePolicy':
      await o.acl.updatePolicy(s.id, s.policy);
      return;
    case 'adoptToken': {
      const secretID = await o.acl.readTokenSecret(s.accessorID);
      if (!secretID) throw new SwarmopError('Unavailable', `ACL token ${s.accessorID} (${s.token.description}) vanished while it was read`);
      records.set(s.token.key, await o.records.create(o.cluster, s.token.key, { accessorID: s.accessorID, secretID }));
      return;
    }
    case 'newToken': {
      // The record first: stopped after it, the next pass creates this very token (completeToken).
      const stored = await o.records.create(o.cluster, s.token.key, { accessorID: newId(), secretID: newId() });
      records.set(s.token.key, stored);
      await createRecorded(o, s.token, stored);
      return;
    }
    case 'completeToken':
      await createRecorded(o, s.token, s.record);
      return;
  }
}

async function createRecorded(o: EnsureTokensOptions, t: WantedToken, r: TokenRecord): Promise<void> {
  try {
    await o.acl.createToken({
      accessorID: r.accessorID,
      secretID: r.secretID,
      description: t.description,
      ...(t.policies ? { policies: t.policies } : {}),
      ...(t.nodeIdentity ? { nodeIdentity: t.nodeIdentity } : {}),
    });
  } catch (err) {
    // Another pass (or a create whose answer was lost) made it already: that is the wanted outcome.
    if ((await o.acl.listTokens()).some((x) => x.accessorID === r.accessorID)) return;
    throw err;
  }
}

export interface AgentTarget {
  node: string;
  address: string;
  answering: boolean;
}

/**
 * Hands each answering agent whose token was not yet delivered its token, and records that it was.
 * Agents started later read theirs from their config file. Returns the nodes handed one now; one
 * that fails is left for the next pass.
 */
export async function deliverAgentTokens(
  cluster: string,
  records: Map<string, TokenRecord>,
  agents: readonly AgentTarget[],
  store: Pick<TokenRecords, 'update'>,
  setAgentToken: (address: string, secretID: string) => Promise<void>,
): Promise<string[]> {
  const delivered: string[] = [];
  for (const a of agents) {
    const key = `agents/${a.node}`;
    const r = records.get(key);
    if (!r || r.delivered || !a.answering) continue;
    try {
      await setAgentToken(a.address, r.secretID);
    } catch {
      // This agent stopped answering: the next pass tries it again; the others are not held back.
      continue;
    }
    const next = { ...r, delivered: true };
    await store.update(cluster, key, next);
    records.set(key, next);
    delivered.push(a.node);
  }
  return delivered;
}
