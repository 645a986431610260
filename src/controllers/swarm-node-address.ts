/**
 * The address part of a swarm node's `Status.Addr` / manager `Addr` ("10.0.0.5:2377" → "10.0.0.5"),
 * shared by SwarmCluster (which node is which listed host) and ServiceAddresses (which host runs a task).
 */

/** The host part of `addr`; '' when there is none or it is the unspecified 0.0.0.0. */
export function hostOfAddr(addr: string | undefined): string {
  if (!addr) return '';
  const host = addr.replace(/:\d+$/, '');
  return host === '0.0.0.0' ? '' : host;
}
