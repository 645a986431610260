/**
 * SnapshotDecoder: turns the watchers' full listings (objects + status keys) into DecodedObjects
 * by kind, decoding (JSON parse, schema validation, defaulting) only the objects whose objects or
 * status key changed since the previous listing. With 10,000 documents a single change used to
 * re-validate all of them, once per kind's reflector; now it costs one decode plus a pass over
 * the keys. The result for one `pairs` array is memoized, so every reflector fed the same listing
 * shares one decode.
 */
import type { KvPair } from '../store/kv.js';
import type { DecodedObject, ResourceStore } from '../store/resource-store.js';
import { parseKey } from '../store/store-keys.js';

export interface SnapshotDecoderOptions {
  store: Pick<ResourceStore, 'prefix' | 'decode'>;
}

export class SnapshotDecoder {
  readonly #store: SnapshotDecoderOptions['store'];
  /** Decoded objects of the previous listing, by objects key. */
  #byKey = new Map<string, DecodedObject>();
  #last: { pairs: readonly KvPair[]; byKind: Map<string, DecodedObject[]> } | undefined;
  /** Objects decoded so far (tests and benchmarks read it). */
  decodes = 0;

  constructor(options: SnapshotDecoderOptions) {
    this.#store = options.store;
  }

  /** Every object of the listing, grouped by kind, in listing order. */
  decode(pairs: readonly KvPair[]): ReadonlyMap<string, readonly DecodedObject[]> {
    if (this.#last?.pairs === pairs) return this.#last.byKind;
    const prefix = this.#store.prefix;
    const groups = new Map<string, { obj?: KvPair; st?: KvPair }>();
    for (const pair of pairs) {
      const parsed = parseKey(prefix, pair.key);
      if (!parsed || parsed.section === 'events') continue;
      const id = `${parsed.plural}/${parsed.name}`;
      let g = groups.get(id);
      if (!g) groups.set(id, (g = {}));
      if (parsed.section === 'objects') g.obj = pair;
      else g.st = pair;
    }
    const byKey = new Map<string, DecodedObject>();
    const byKind = new Map<string, DecodedObject[]>();
    for (const { obj, st } of groups.values()) {
      if (!obj) continue; // status without its object: nothing to reconcile
      const prev = this.#byKey.get(obj.key);
      let d: DecodedObject | undefined;
      if (prev && prev.specIndex === obj.modifyIndex && prev.statusIndex === (st?.modifyIndex ?? 0)) d = prev;
      else {
        d = this.#store.decode(st ? [obj, st] : [obj])[0];
        this.decodes++;
      }
      if (!d) continue;
      byKey.set(obj.key, d);
      let list = byKind.get(d.kind);
      if (!list) byKind.set(d.kind, (list = []));
      list.push(d);
    }
    this.#byKey = byKey;
    this.#last = { pairs, byKind };
    return byKind;
  }
}
