/** Names and labels of the agent containers this controller owns (the only ones it ever touches). */
export const CLUSTER_LABEL = 'io.swarmop.consulcluster';
export const CONFIG_HASH_LABEL = 'io.swarmop.config-hash';
export const MEMBER_LABEL = 'io.swarmop.member';
export const ROLE_LABEL = 'io.swarmop.consul-role';
export const FINALIZER = 'swarmop.io/consul-cleanup';

/** One agent per host per cluster, so the name needs no node part. */
export function containerName(cluster: string): string {
  return `swarmop-consul-${cluster}`;
}
