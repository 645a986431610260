/**
 * V8 flags the operator process runs with; bin/swarmop.js sets them before the CLI loads.
 *
 * --no-allocation-site-pretenuring: V8 watches which allocation sites' objects survive young
 * collections and, past a threshold, allocates from those sites straight into the old
 * generation. The operator's first listing (10,000 documents decoded at once, all kept) teaches
 * it that the HTTP client's and the reconcile path's sites survive; from then on every Consul
 * request's short-lived objects went to the old generation, which is only collected by a full
 * mark-compact, so the heap grew by ~2.5 MB per young collection until V8's initial old-space
 * limit: at 10,000 documents the first sync peaked at 163 MB of heap (31 MB live) and left the
 * RSS at ~280 MB. Without pretenuring those objects die young: peak heap ~80 MB, RSS ~180 MB
 * under tsx, and the sync is no slower (bench:runtime prints both runs).
 *
 * --optimize-for-size: V8 otherwise grows the young generation to 2 x 16 MB under the first
 * sync's allocation rate and keeps it, and lets the old generation grow further between full
 * collections. With it the young generation stays at 2 x 8 MB at most (in the benchmark, mostly
 * much less): at 10,000 documents the RSS right
 * after the first sync went from ~175 to ~145 MB under tsx, the first sync and a full resync took
 * as long as before (3.8 s and 3.3 s).
 *
 * Only flags that V8 reads while running belong here: sizes fixed when the heap is created
 * (e.g. --max-semi-space-size) have no effect when set from inside the process.
 */
import v8 from 'node:v8';

export const OPERATOR_V8_FLAGS: readonly string[] = ['--no-allocation-site-pretenuring', '--optimize-for-size'];

export function applyOperatorV8Flags(set: (flag: string) => void = (flag) => v8.setFlagsFromString(flag)): void {
  for (const flag of OPERATOR_V8_FLAGS) set(flag);
}
