import { type ReplicaId, replicaIdProblem } from "@convergent/clocks";
import { InvalidArgumentError } from "@convergent/core";
import { CounterRangeError } from "./errors.js";
import type { GCounterState } from "./g-counter.js";

/**
 * Adds `amount` (a positive safe integer) to `replica`'s count. The delta is the one entry
 * that changed, so shipping it costs one replica id and one number whatever the counter's size.
 * Throws InvalidArgumentError for a bad amount or replica id, and CounterRangeError when the
 * replica's own count would pass Number.MAX_SAFE_INTEGER.
 */
export function increment(
  state: ReadonlyMap<ReplicaId, number>,
  replica: ReplicaId,
  amount = 1,
): GCounterState {
  if (!Number.isSafeInteger(amount) || amount < 1) {
    throw new InvalidArgumentError(
      `increment amount must be a positive safe integer, got ${String(amount)}`,
    );
  }
  const known = state.get(replica);
  // A replica already in the state was validated when it got there; skip the scan on hot paths.
  if (known === undefined) checkReplica(replica);
  const current = known ?? 0;
  // Subtracting keeps the check exact; `current + amount` could already have rounded.
  if (amount > Number.MAX_SAFE_INTEGER - current) {
    throw new CounterRangeError(
      `replica ${replica}'s count ${current} + ${amount} would pass Number.MAX_SAFE_INTEGER`,
    );
  }
  const delta: GCounterState = new Map();
  delta.set(replica, current + amount);
  return delta;
}

function checkReplica(replica: unknown): void {
  const problem = replicaIdProblem(replica);
  if (problem !== undefined) throw new InvalidArgumentError(problem);
}
