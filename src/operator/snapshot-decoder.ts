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
import { objectKey, parseKey } from '../store/store-keys.js';

export interface SnapshotDecoderOptions {
  store: Pick<ResourceStore, 'prefix' | 'decode'>;
}

export class SnapshotDecoder {
  readonly #store: SnapshotDecoderOptions['store'];
  /** Decoded objects of the previous listing, by objects key. */
  #byKey = new Map<string, DecodedObject>();
  #last: { pairs: readonly KvPair[]; byKind: Map<string, DecodedObject[]> } | undefined;
  /** Key -> its objects key and section (parsing 20k keys on every listing showed up in profiles). */
  #keys = new Map<string, { objKey: string; section: 'objects' | 'status' } | null>();
  /** Objects decoded so far (tests and benchmarks read it). */
  decodes = 0;

  constructor(options: SnapshotDecoderOptions) {
    this.#store = options.store;
  }

  /** Every object of the listing, grouped by kind, in listing order. */
  decode(pairs: readonly KvPair[]): ReadonlyMap<string, readonly DecodedObject[]> {
    if (this.#last?.pairs === pairs) return this.#last.byKind;
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
      const st = statusOf.get(obj.key);
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
    if (this.#keys.size > 4 * pairs.length + 1024) this.#keys.clear(); // forget keys long gone
    return byKind;
  }

  #keyInfo(key: string): { objKey: string; section: 'objects' | 'status' } | null {
    let info = this.#keys.get(key);
    if (info === undefined) {
      const parsed = parseKey(this.#store.prefix, key);
      info =
        !parsed || parsed.section === 'events'
          ? null
          : { section: parsed.section, objKey: parsed.section === 'objects' ? key : objectKey(this.#store.prefix, parsed.kind, parsed.name) };
      this.#keys.set(key, info);
    }
    return info;
  }
}
