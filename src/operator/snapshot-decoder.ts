/**
 * SnapshotDecoder: turns the objects watcher's output into DecodedObjects by kind, decoding (JSON
 * parse, schema validation, defaulting) only the objects whose objects or status key changed.
 * - `decode(pairs)`: a whole listing (objects, optionally status keys). An object whose keys have
 *   the ModifyIndex it had in the previous listing or change is reused as it is. The result for
 *   one `pairs` array is memoized (held weakly, so the listing itself can be freed).
 * - `decodeChanges(changed, removedKeys)`: only the objects keys named, grouped by kind as
 *   [name, object | undefined (gone)] pairs, for a ObjectIndex's `patch`.
 * With 10,000 documents a single change costs one decode instead of 10,000.
 */
import type { KvPair } from '../store/kv.js';
import type { DecodedObject, ResourceStore } from '../store/resource-store.js';
import { objectKey, parseKey } from '../store/store-keys.js';

export interface SnapshotDecoderOptions {
  store: Pick<ResourceStore, 'prefix' | 'decode'>;
}

interface KeyInfo {
  objKey: string;
  section: 'objects' | 'status';
  kind: string;
  name: string;
}

export class SnapshotDecoder {
  readonly #store: SnapshotDecoderOptions['store'];
  /** Decoded objects as of the last listing or change, by objects key. */
  #byKey = new Map<string, DecodedObject>();
  #last: { pairs: WeakRef<readonly KvPair[]>; byKind: Map<string, DecodedObject[]> } | undefined;
  /** Key -> its object (parsing 20k keys on every listing showed up in profiles). */
  #keys = new Map<string, KeyInfo | null>();
  /** Objects decoded so far (tests and benchmarks read it). */
  decodes = 0;

  constructor(options: SnapshotDecoderOptions) {
    this.#store = options.store;
  }

  /** Every object of the listing, grouped by kind, in listing order. */
  decode(pairs: readonly KvPair[]): ReadonlyMap<string, readonly DecodedObject[]> {
    if (this.#last?.pairs.deref() === pairs) return this.#last.byKind;
    const objects: KvPair[] = [];
    const statusOf = new Map<string, KvPair>();
    for (const pair of pairs) {
      const k = this.#keyInfo(pair.key);
      if (!k) continue;
      if (k.section === 'objects') objects.push(pair);
      else statusOf.set(k.objKey, pair);
    }
    const byKey = new Map<string, DecodedObject>();
    const byKind = new Map<string, DecodedObject[]>();
    // A status key without its object has nothing to reconcile and is skipped.
    for (const obj of objects) {
      const d = this.#decodeOne(obj, statusOf.get(obj.key));
      if (!d) continue;
      byKey.set(obj.key, d);
      let list = byKind.get(d.kind);
      if (!list) byKind.set(d.kind, (list = []));
      list.push(d);
    }
    this.#byKey = byKey;
    this.#last = { pairs: new WeakRef(pairs), byKind };
    if (this.#keys.size > 4 * pairs.length + 1024) this.#keys.clear(); // forget keys long gone
    return byKind;
  }

  /** The named objects keys only: changed ones decoded, removed ones as undefined, by kind. */
  decodeChanges(changed: readonly KvPair[], removedKeys: readonly string[]): Map<string, [string, DecodedObject | undefined][]> {
    this.#last = undefined;
    const byKind = new Map<string, [string, DecodedObject | undefined][]>();
    const add = (kind: string, name: string, d: DecodedObject | undefined) => {
      let list = byKind.get(kind);
      if (!list) byKind.set(kind, (list = []));
      list.push([name, d]);
    };
    for (const key of removedKeys) {
      const k = this.#keyInfo(key);
      if (!k || k.section !== 'objects') continue;
      this.#byKey.delete(key);
      add(k.kind, k.name, undefined);
    }
    for (const pair of changed) {
      const k = this.#keyInfo(pair.key);
      if (!k || k.section !== 'objects') continue;
      const d = this.#decodeOne(pair, undefined);
      if (!d) continue;
      this.#byKey.set(pair.key, d);
      add(k.kind, k.name, d);
    }
    return byKind;
  }

  #decodeOne(obj: KvPair, st: KvPair | undefined): DecodedObject | undefined {
    const prev = this.#byKey.get(obj.key);
    const statusIndex = st?.modifyIndex ?? 0;
    if (prev && prev.specIndex === obj.modifyIndex && prev.statusIndex === statusIndex) return prev;
    this.decodes++;
    return this.#store.decode(st ? [obj, st] : [obj])[0];
  }

  #keyInfo(key: string): KeyInfo | null {
    let info = this.#keys.get(key);
    if (info === undefined) {
      const parsed = parseKey(this.#store.prefix, key);
      info =
        !parsed || parsed.section === 'events'
          ? null
          : {
              section: parsed.section,
              kind: parsed.kind,
              name: parsed.name,
              objKey: parsed.section === 'objects' ? key : objectKey(this.#store.prefix, parsed.kind, parsed.name),
            };
      this.#keys.set(key, info);
    }
    return info;
  }
}
