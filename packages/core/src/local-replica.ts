import type { ReplicaId } from "@convergent/clocks";
import type { CrdtType } from "./crdt.js";

/**
 * One replica's copy of one CRDT value: owns its state and applies deltas in place, so a
 * mutation costs the size of its delta, not of the whole state. Ship the returned deltas (or
 * `state` for a full sync) to peers and `merge` what they send.
 */
export class LocalReplica<S, V> {
  readonly type: CrdtType<S, V>;
  readonly id: ReplicaId;
  #state: S;

  constructor(type: CrdtType<S, V>, id: ReplicaId, state?: S) {
    this.type = type;
    this.id = id;
    this.#state = state === undefined ? type.empty() : type.clone(state);
  }

  /** The live state. Treat it as read-only: it changes on the next update or merge. */
  get state(): S {
    return this.#state;
  }

  /** An independent copy of the current state. */
  snapshot(): S {
    return this.type.clone(this.#state);
  }

  value(): V {
    return this.type.value(this.#state);
  }

  /** Runs a mutator (state, replica) => delta, applies the delta locally and returns it. */
  update(mutator: (state: S, replica: ReplicaId) => S): S {
    const delta = mutator(this.#state, this.id);
    this.type.joinInto(this.#state, delta);
    return delta;
  }

  /** Joins a delta or full state received from a peer. */
  merge(remote: S): void {
    this.type.joinInto(this.#state, remote);
  }
}
