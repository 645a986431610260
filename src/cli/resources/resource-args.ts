/**
 * The resource arguments every verb takes, as kubectl reads them: `KIND [NAME...]`,
 * `KIND1,KIND2` (no names), `all`, or `KIND/NAME...` (kinds may differ).
 */
import { KINDS, type KindInfo } from '../../crds/index.js';
import { SwarmopError } from '../../errors.js';
import { requireKind } from './kind-lookup.js';

export interface ResourceRef {
  kind: KindInfo;
  name: string;
}

export type ResourceArgs =
  /** Named objects. */
  | { type: 'refs'; refs: ResourceRef[] }
  /** Every object of these kinds (filtered by -l, if any). */
  | { type: 'kinds'; kinds: KindInfo[] };

export function parseResourceArgs(args: readonly string[]): ResourceArgs {
  if (args.length === 0) throw new SwarmopError('Invalid', 'give a resource type (e.g. sia, dh,sia, all) or KIND/NAME');
  const first = args[0]!;
  if (first.includes('/')) {
    const refs = args.map((a) => {
      const m = /^([^/]+)\/([^/]+)$/.exec(a);
      if (!m) throw new SwarmopError('Invalid', `"${a}": when the first argument is KIND/NAME, every argument must be KIND/NAME`);
      return { kind: requireKind(m[1]!), name: m[2]! };
    });
    return { type: 'refs', refs };
  }
  const kinds: KindInfo[] = [];
  for (const part of first.split(',')) {
    if (part === '') throw new SwarmopError('Invalid', `"${first}": empty resource type in the list`);
    for (const k of part.toLowerCase() === 'all' ? KINDS : [requireKind(part)]) if (!kinds.includes(k)) kinds.push(k);
  }
  const names = args.slice(1);
  if (names.length === 0) return { type: 'kinds', kinds };
  if (kinds.length !== 1)
    throw new SwarmopError('Invalid', `names need exactly one resource type, got "${first}" (use KIND/NAME for several kinds)`);
  for (const n of names)
    if (n.includes('/')) throw new SwarmopError('Invalid', `"${n}": give either KIND NAME... or KIND/NAME..., not both`);
  return { type: 'refs', refs: names.map((name) => ({ kind: kinds[0]!, name })) };
}

/** The kinds the arguments touch, in the order first named. */
export function kindsOf(a: ResourceArgs): KindInfo[] {
  if (a.type === 'kinds') return a.kinds;
  const out: KindInfo[] = [];
  for (const r of a.refs) if (!out.includes(r.kind)) out.push(r.kind);
  return out;
}
