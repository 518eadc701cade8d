/**
 * Change events for subscribers, per key name and store-wide, from the keyspace's change
 * stream: each (name, type) key is reported under its name with its type's tag. Remote changes
 * also feed the conflict and lag metrics.
 */
import { compareHlc, type ReplicaId } from "@convergent/clocks";
import { type Embedded, isPresent } from "@convergent/or-map";
import type { Keyspace, KeyspaceChange, Unsubscribe } from "@convergent/sync";
import { type MetricsHooks, noMetrics } from "../metrics-hooks.js";
import { parseStoreKey } from "./keys.js";

export interface ChangeEvent {
  /** The key's name. */
  readonly key: string;
  readonly origin: "local" | "remote";
  /** False when the key is now deleted. */
  readonly exists: boolean;
  /** The tag of the key's type: a name held as two types reports each as its own change. */
  readonly tag: string;
  /** The key's value as its type sees it (undefined when it does not exist). */
  readonly value: unknown;
}

interface LwwStamp {
  readonly wallTime: number;
  readonly logical: number;
  readonly replica: ReplicaId;
}

export class ChangeObserver {
  readonly #keyspace: Keyspace;
  readonly #metrics: MetricsHooks;
  readonly #now: () => number;
  readonly #byKey = new Map<string, Set<(event: ChangeEvent) => void>>();
  readonly #all = new Set<(event: ChangeEvent) => void>();
  /** Sibling counts of MV-Register keys, to report only newly created siblings. */
  readonly #siblings = new Map<string, number>();
  /** LWW register keys whose winning write is this replica's own, with that write's stamp. */
  readonly #ownWinners = new Map<string, LwwStamp>();
  /**
   * Per LWW map key, the entry last observed for each field (entries are immutable, so this holds
   * references, not copies): a field whose entry changed is new here. Kept only with metrics on.
   */
  readonly #mapSeen = new Map<string, Map<string, LwwStamp>>();
  /** Per LWW map key, the fields whose winning write is this replica's own, with its stamp. */
  readonly #ownFieldWinners = new Map<string, Map<string, LwwStamp>>();

  constructor(keyspace: Keyspace, metrics: MetricsHooks, now: () => number) {
    this.#keyspace = keyspace;
    this.#metrics = metrics;
    this.#now = now;
  }

  subscribe(key: string | undefined, listener: (event: ChangeEvent) => void): Unsubscribe {
    let set = this.#all;
    if (key !== undefined) {
      set = this.#byKey.get(key) ?? new Set();
      this.#byKey.set(key, set);
    }
    const entry = (event: ChangeEvent) => listener(event);
    set.add(entry);
    return () => {
      set.delete(entry);
      if (key !== undefined && set.size === 0) this.#byKey.delete(key);
    };
  }

  changed(change: KeyspaceChange): void {
    for (const key of new Set(change.keys)) {
      const name = parseStoreKey(key)?.name;
      if (name === undefined) continue;
      if (change.origin === "remote") this.#observeRemote(key, name);
      else this.#observeLocal(key);
      if (this.#all.size === 0 && !this.#byKey.has(name)) continue;
      const event = this.#event(key, name, change.origin);
      if (event === undefined) continue;
      for (const listener of [...this.#all]) listener(event);
      for (const listener of [...(this.#byKey.get(name) ?? [])]) listener(event);
    }
  }

  #event(key: string, name: string, origin: "local" | "remote"): ChangeEvent | undefined {
    const entry = this.#keyspace.get(key);
    if (entry === undefined) return undefined;
    const state = entry.state as Embedded<unknown>;
    if (!isPresent(state))
      return { key: name, origin, exists: false, tag: entry.tag, value: undefined };
    const type = this.#keyspace.registry.get(entry.tag);
    return { key: name, origin, exists: true, tag: entry.tag, value: type?.value(state) };
  }

  /** The key's type state (inside its embedding), when it holds `tag`. */
  #inner(key: string, tag: string): unknown {
    const entry = this.#keyspace.get(key);
    return entry?.tag === tag ? (entry.state as Embedded<unknown>).state : undefined;
  }

  #observeLocal(key: string): void {
    if (this.#metrics === noMetrics) return;
    const map = this.#inner(key, "lww-map") as ReadonlyMap<string, LwwStamp> | undefined;
    if (map !== undefined) {
      for (const [field, stamp] of this.#newMapEntries(key, map)) {
        if (stamp.replica !== this.#keyspace.replica) continue;
        const own = this.#ownFieldWinners.get(key) ?? new Map<string, LwwStamp>();
        this.#ownFieldWinners.set(key, own);
        own.set(field, stamp);
      }
      return;
    }
    const state = this.#inner(key, "lww-register") as { entry?: LwwStamp } | undefined;
    const stamp = state?.entry;
    if (stamp !== undefined) this.#ownWinners.set(key, stamp);
  }

  /**
   * The entries of an LWW map that changed since this key was last observed (O(fields): only
   * while metrics are recorded); tombstones written by deletes at an entry's own timestamp are
   * not new writes.
   */
  #newMapEntries(key: string, map: ReadonlyMap<string, LwwStamp>): [string, LwwStamp][] {
    const seen = this.#mapSeen.get(key) ?? new Map<string, LwwStamp>();
    this.#mapSeen.set(key, seen);
    const fresh: [string, LwwStamp][] = [];
    for (const [field, stamp] of map) {
      const before = seen.get(field);
      if (before === stamp) continue;
      seen.set(field, stamp);
      if (before === undefined || compareHlc(stamp, before) !== 0) fresh.push([field, stamp]);
    }
    return fresh;
  }

  #observeRemote(key: string, name: string): void {
    const entry = this.#keyspace.get(key);
    if (entry === undefined) return;
    if (entry.tag === "lww-map") {
      if (this.#metrics === noMetrics) return;
      const map = this.#inner(key, entry.tag) as ReadonlyMap<string, LwwStamp>;
      const own = this.#ownFieldWinners.get(key);
      for (const [field, stamp] of this.#newMapEntries(key, map)) {
        const mine = own?.get(field);
        if (mine !== undefined && compareHlc(stamp, mine) !== 0) {
          // Our own write to this field lost to another replica's: reported by the loser.
          own?.delete(field);
          this.#metrics.conflict({ key: name, kind: "lww-overwrite" });
        }
        const lagMs = Math.max(0, this.#now() - stamp.wallTime);
        this.#metrics.applied({ origin: stamp.replica, key: name, lagMs });
      }
      return;
    }
    if (entry.tag === "mv-register") {
      const inner = this.#inner(key, entry.tag) as { siblings: Map<string, unknown> };
      const count = inner.siblings.size;
      if (count > 1 && count > (this.#siblings.get(key) ?? 0)) {
        this.#metrics.conflict({ key: name, kind: "siblings" });
      }
      this.#siblings.set(key, count);
    } else if (entry.tag === "lww-register") {
      const stamp = (this.#inner(key, entry.tag) as { entry?: LwwStamp }).entry;
      const own = this.#ownWinners.get(key);
      const replaced =
        stamp !== undefined &&
        own !== undefined &&
        (stamp.replica !== own.replica ||
          stamp.wallTime !== own.wallTime ||
          stamp.logical !== own.logical);
      if (replaced) {
        // Our own write lost to another replica's: reported from the loser's side.
        this.#ownWinners.delete(key);
        this.#metrics.conflict({ key: name, kind: "lww-overwrite" });
      }
      if (stamp !== undefined) {
        this.#metrics.applied({
          origin: stamp.replica,
          key: name,
          lagMs: Math.max(0, this.#now() - stamp.wallTime),
        });
      }
    }
  }
}
