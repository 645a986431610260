/**
 * What to do so a cluster has the policies and tokens it should (pure). The store's token records
 * come first: a record is written before its token is created in Consul (with the record's own
 * accessor and secret), so an operator stopped between the two finishes the same token next time
 * instead of making a second one. A token with the wanted description but no record (the record
 * was lost) is adopted, not duplicated.
 */
import type { AclPolicy, AclTokenSummary } from '../../consul/acl-http.js';
import type { WantedPolicy, WantedToken } from './token-policies.js';

/** A token as the store keeps it, under the cluster's token records. */
export interface TokenRecord {
  accessorID: string;
  secretID: string;
  /** Agent tokens: set on the running agent (PUT /v1/agent/token/agent) since the token was made. */
  delivered?: boolean;
}

export interface ObservedAcl {
  /** The wanted policies by name, as Consul has them (absent: none by that name). */
  policies: ReadonlyMap<string, AclPolicy>;
  tokens: readonly AclTokenSummary[];
}

export type TokenStep =
  | { type: 'createPolicy'; policy: WantedPolicy }
  | { type: 'updatePolicy'; id: string; policy: WantedPolicy }
  /** A token with the description exists but the store has no record: read its secret, record it. */
  | { type: 'adoptToken'; token: WantedToken; accessorID: string }
  /** Neither exists: record new IDs, then create the token. */
  | { type: 'newToken'; token: WantedToken }
  /** The store has a record whose token Consul does not have: create it with the recorded IDs. */
  | { type: 'completeToken'; token: WantedToken; record: TokenRecord };

/** Policies first: tokens name them. Nothing to do gives []. */
export function planTokens(
  wanted: { policies: readonly WantedPolicy[]; tokens: readonly WantedToken[] },
  records: ReadonlyMap<string, TokenRecord>,
  observed: ObservedAcl,
): TokenStep[] {
  const steps: TokenStep[] = [];
  for (const p of wanted.policies) {
    const have = observed.policies.get(p.name);
    if (!have) steps.push({ type: 'createPolicy', policy: p });
    else if (have.rules.trim() !== p.rules.trim()) steps.push({ type: 'updatePolicy', id: have.id, policy: p });
  }
  const accessors = new Set(observed.tokens.map((t) => t.accessorID));
  for (const t of wanted.tokens) {
    const record = records.get(t.key);
    if (record) {
      if (!accessors.has(record.accessorID)) steps.push({ type: 'completeToken', token: t, record });
      continue;
    }
    const existing = observed.tokens.find((x) => x.description === t.description);
    steps.push(existing ? { type: 'adoptToken', token: t, accessorID: existing.accessorID } : { type: 'newToken', token: t });
  }
  return steps;
}

/** One line per step for an event or a log (accessor IDs and names only, never a secret). */
export function describeTokenStep(s: TokenStep): string {
  switch (s.type) {
    case 'createPolicy':
      return `created policy ${s.policy.name}`;
    case 'updatePolicy':
      return `updated the rules of policy ${s.policy.name}`;
    case 'adoptToken':
      return `recorded the existing ${s.token.key} token ${s.accessorID}`;
    case 'newToken':
      return `created the ${s.token.key} token`;
    case 'completeToken':
      return `created the recorded ${s.token.key} token ${s.record.accessorID}`;
  }
}
