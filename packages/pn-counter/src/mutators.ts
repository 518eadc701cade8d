import { type ReplicaId, replicaIdProblem } from "@convergent/clocks";
import { InvalidArgumentError } from "@convergent/core";
import { CounterRangeError } from "./errors.js";
import type { PnCounterState } from "./pn-counter.js";

const EMPTY_ENTRY = [0, 0] as const;

/** The replica's entry; a replica not yet in the state is validated first (once, not per op). */
function entryOf(
  state: ReadonlyMap<ReplicaId, readonly [number, number]>,
  replica: ReplicaId,
): readonly [number, number] {
  const entry = state.get(replica);
  if (entry !== undefined) return entry;
  const problem = replicaIdProblem(replica);
  if (problem !== undefined) throw new InvalidArgumentError(problem);
  return EMPTY_ENTRY;
}

function checkAmount(operation: string, amount: unknown): void {
  if (!Number.isSafeInteger(amount) || (amount as number) < 1) {
    throw new InvalidArgumentError(
      `${operation} amount must be a positive safe integer, got ${String(amount)}`,
    );
  }
}

function outOfRange(replica: ReplicaId, which: string, current: number, amount: number) {
  return new CounterRangeError(
    `replica ${replica}'s ${which} count ${current} + ${amount} would pass Number.MAX_SAFE_INTEGER`,
  );
}

/**
 * Adds `amount` (a positive safe integer) to `replica`'s increments. The delta is that
 * replica's one entry. Throws InvalidArgumentError for a bad amount or replica id, and
 * CounterRangeError when the replica's increment count would pass Number.MAX_SAFE_INTEGER.
 */
export function increment(
  state: ReadonlyMap<ReplicaId, readonly [number, number]>,
  replica: ReplicaId,
  amount = 1,
): PnCounterState {
  checkAmount("increment", amount);
  const entry = entryOf(state, replica);
  const p = entry[0];
  // Subtracting keeps the check exact; `p + amount` could already have rounded.
  if (amount > Number.MAX_SAFE_INTEGER - p) throw outOfRange(replica, "increment", p, amount);
  const delta: PnCounterState = new Map();
  delta.set(replica, [p + amount, entry[1]]);
  return delta;
}

/** Adds `amount` to `replica`'s decrements; the mirror image of `increment`. */
export function decrement(
  state: ReadonlyMap<ReplicaId, readonly [number, number]>,
  replica: ReplicaId,
  amount = 1,
): PnCounterState {
  checkAmount("decrement", amount);
  const entry = entryOf(state, replica);
  const n = entry[1];
  if (amount > Number.MAX_SAFE_INTEGER - n) throw outOfRange(replica, "decrement", n, amount);
  const delta: PnCounterState = new Map();
  delta.set(replica, [entry[0], n + amount]);
  return delta;
}
