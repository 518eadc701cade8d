import {
  type Dot,
  emptyCausalContext,
  isReplicaId,
  type MutableCausalContext,
  type ReplicaId,
} from "@convergent/clocks";
import { InvalidArgumentError, type PlainValue } from "@convergent/core";

/** One write that no later write has observed and replaced: its dot and the value it wrote. */
export interface Sibling {
  readonly dot: Dot;
  readonly value: PlainValue;
}

/**
 * A multi-value register: the surviving siblings, keyed by `dotKey(dot)`, and the causal context
 * of every write and clear this state has seen (a causal dot store; Almeida, Shoker, Baquero
 * 2018). Invariant: every sibling's dot is in the context. Only the target of `joinInto` is
 * ever changed in place; treat every other state as an immutable value.
 */
export interface MvRegisterState {
  readonly siblings: Map<string, Sibling>;
  readonly context: MutableCausalContext;
}

/** The key of a dot in `MvRegisterState.siblings`; counters are digits, so it is unambiguous. */
export function dotKey(d: Dot): string {
  return `${d.counter}@${d.replica}`;
}

export function emptyMvRegister(): MvRegisterState {
  return { siblings: new Map(), context: emptyCausalContext() };
}

export function assertReplica(replica: unknown): asserts replica is ReplicaId {
  if (!isReplicaId(replica)) {
    throw new InvalidArgumentError(`replica must be a valid ReplicaId, got ${String(replica)}`);
  }
}
