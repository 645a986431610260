/** The AclApi of cluster-tokens.ts over the HTTP calls of consul/acl-http.ts, through one agent. */
import { createPolicy, createToken, listTokens, readPolicyByName, readTokenSecret, updatePolicy } from '../../consul/acl-http.js';
import type { AgentHttpOptions } from '../../consul/agent-http.js';
import type { AclApi } from './cluster-tokens.js';

/** `http` carries the initial management token (and the cluster's TLS identity). */
export function httpAclApi(address: string, http: AgentHttpOptions): AclApi {
  return {
    readPolicyByName: (name) => readPolicyByName(address, name, http),
    createPolicy: (p) => createPolicy(address, p, http),
    updatePolicy: (id, p) => updatePolicy(address, { id, ...p }, http),
    listTokens: () => listTokens(address, http),
    readTokenSecret: (accessorID) => readTokenSecret(address, accessorID, http),
    createToken: (t) => createToken(address, t, http),
  };
}
