/**
 * Check 4, causal delivery: each element added to one of the causal keys records, as its
 * dependencies, every causal element its replica showed when it was added (across all causal
 * keys). Any view of a replica, at any moment, that shows an element must show its
 * dependencies too; otherwise an effect was exposed before its cause.
 */

import { embedded } from "@convergent/or-map";
import { orSet } from "@convergent/or-set";
import type { Replica } from "@convergent/replicated-store";
import { CAUSAL_KEYS, SET, storeKey } from "./schedule.js";

// The embedding the store holds OR-Sets in (one per type object), and the keys as it spells them.
const embeddedSet = embedded(orSet);
const KEYS = CAUSAL_KEYS.map((name) => storeKey(name, SET));

export class CausalTracker {
  readonly #deps = new Map<string, readonly string[]>();

  /** What `replica` shows of the causal keys right now. */
  view(replica: Replica): Set<string> {
    const seen = new Set<string>();
    for (const key of KEYS) {
      const value = replica.keyspace.value(key, embeddedSet);
      if (value !== undefined) for (const element of value) seen.add(String(element));
    }
    return seen;
  }

  added(element: string, dependencies: ReadonlySet<string>): void {
    this.#deps.set(element, [...dependencies]);
  }

  /** The first element shown without one of its dependencies, described; else undefined. */
  check(view: ReadonlySet<string>): string | undefined {
    for (const element of view) {
      for (const dependency of this.#deps.get(element) ?? []) {
        if (!view.has(dependency))
          return `shows ${element} but not ${dependency}, which it depends on`;
      }
    }
    return undefined;
  }
}
