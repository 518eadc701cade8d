/**
 * Local deltas waiting for the next push, merged per key: a key updated a thousand times in one
 * turn of the event loop travels as one joined delta with its thousand dots (written as gaps of
 * zero, a byte each), not a thousand entries.
 */
import type { DeltaEntry } from "../keyspace/keyspace.js";
import type { TypeRegistry } from "../keyspace/registry.js";

interface Merged {
  readonly key: string;
  readonly tag: string;
  readonly origin: DeltaEntry["origin"];
  readonly prev: number;
  state: unknown;
  /** Whether `state` is a copy this batch may join into (the first delta is shared). */
  owned: boolean;
  readonly counters: number[];
}

export class PendingDeltas {
  readonly #registry: TypeRegistry;
  readonly #list: Merged[] = [];
  /** Per key, its latest pending delta, which the next update of the key may extend. */
  readonly #latest = new Map<string, Merged>();

  constructor(registry: TypeRegistry) {
    this.#registry = registry;
  }

  get size(): number {
    return this.#list.length;
  }

  /** Adds `entry`, joined into the pending delta of its key when its dots follow that one's. */
  add(entry: DeltaEntry): void {
    const merged = this.#latest.get(entry.key);
    const last = merged?.counters[merged.counters.length - 1];
    const type = this.#registry.get(entry.tag);
    if (merged !== undefined && merged.origin === entry.origin && last === entry.prev && type) {
      if (!merged.owned) {
        merged.state = type.clone(merged.state);
        merged.owned = true;
      }
      merged.state = type.joinInto(merged.state, entry.state);
      merged.counters.push(...entry.counters);
      return;
    }
    const fresh: Merged = { ...entry, owned: false, counters: [...entry.counters] };
    this.#list.push(fresh);
    this.#latest.set(entry.key, fresh);
  }

  /** Everything pending, in the order it was added, and empties the batch. */
  take(): DeltaEntry[] {
    const entries = this.#list.splice(0);
    this.#latest.clear();
    return entries;
  }
}
