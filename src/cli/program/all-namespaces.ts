/**
 * `-A, --all-namespaces`: swarmop's kinds are cluster-wide (no namespaces), so every listing already
 * covers everything. The flag is accepted so kubectl's `get all -A` habit lists instead of failing.
 */
import { Option } from 'commander';

export function allNamespacesOption(): Option {
  return new Option('-A, --all-namespaces', 'accepted as in kubectl; swarmop has no namespaces, so every object is listed anyway');
}
