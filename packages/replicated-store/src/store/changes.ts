/**
 * Change events for subscribers, per key and store-wide, from the keyspace's change stream:
 * a change of a deletion record is reported as a change of the key it deletes, and the store's
 * other internal keys are not reported. Remote changes also feed the conflict and lag metrics.
 */
import type { ReplicaId } from "@convergent/clocks";
import type { Keyspace, KeyspaceChange, Unsubscribe } from "@convergent/sync";
import type { MetricsHooks } from "../metrics-hooks.js";
import { deletedKeyOf, isDeleted, isReservedKey } from "./deletion.js";

export interface ChangeEvent {
  readonly key: string;
  readonly origin: "local" | "remote";
  /** False when the key is now deleted (or was never written). */
  readonly exists: boolean;
  /** The key's type tag, when it holds a value. */
  readonly tag: string | undefined;
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
    const keys = new Set<string>();
    for (const key of change.keys) {
      const user = deletedKeyOf(key) ?? (isReservedKey(key) ? undefined : key);
      if (user !== undefined) keys.add(user);
    }
    for (const key of keys) {
      if (change.origin === "remote") this.#observeRemote(key);
      else this.#observeLocal(key);
      if (this.#all.size === 0 && !this.#byKey.has(key)) continue;
      const event = this.#event(key, change.origin);
      for (const listener of [...this.#all]) listener(event);
      for (const listener of [...(this.#byKey.get(key) ?? [])]) listener(event);
    }
  }

  #event(key: string, origin: "local" | "remote"): ChangeEvent {
    const entry = this.#keyspace.get(key);
    if (entry === undefined || isDeleted(this.#keyspace, key)) {
      return { key, origin, exists: false, tag: entry?.tag, value: undefined };
    }
    const type = this.#keyspace.registry.get(entry.tag);
    return { key, origin, exists: true, tag: entry.tag, value: type?.value(entry.state) };
  }

  #observeLocal(key: string): void {
    const entry = this.#keyspace.get(key);
    if (entry?.tag !== "lww-register") return;
    const stamp = (entry.state as { entry?: LwwStamp }).entry;
    if (stamp !== undefined) this.#ownWinners.set(key, stamp);
  }

  #observeRemote(key: string): void {
    const entry = this.#keyspace.get(key);
    if (entry === undefined) return;
    if (entry.tag === "mv-register") {
      const count = (entry.state as { siblings: Map<string, unknown> }).siblings.size;
      if (count > 1 && count > (this.#siblings.get(key) ?? 0)) {
        this.#metrics.conflict({ key, kind: "siblings" });
      }
      this.#siblings.set(key, count);
    } else if (entry.tag === "lww-register") {
      const stamp = (entry.state as { entry?: LwwStamp }).entry;
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
        this.#metrics.conflict({ key, kind: "lww-overwrite" });
      }
      if (stamp !== undefined) {
        this.#metrics.applied({
          origin: stamp.replica,
          key,
          lagMs: Math.max(0, this.#now() - stamp.wallTime),
        });
      }
    }
  }
}
