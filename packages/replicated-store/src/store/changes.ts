/**
 * Change events for subscribers, per key name and store-wide, from the keyspace's change
 * stream: each (name, type) key is reported under its name with its type's tag. Remote changes
 * also feed the conflict and lag metrics.
 */
import type { ReplicaId } from "@convergent/clocks";
import { type Embedded, isPresent } from "@convergent/or-map";
import type { Keyspace, KeyspaceChange, Unsubscribe } from "@convergent/sync";
import type { MetricsHooks } from "../metrics-hooks.js";
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
    const state = this.#inner(key, "lww-register") as { entry?: LwwStamp } | undefined;
    const stamp = state?.entry;
    if (stamp !== undefined) this.#ownWinners.set(key, stamp);
  }

  #observeRemote(key: string, name: string): void {
    const entry = this.#keyspace.get(key);
    if (entry === undefined) return;
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
