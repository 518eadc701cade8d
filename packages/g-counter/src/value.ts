import { CounterRangeError } from "./errors.js";
import type { ReadonlyGCounterState } from "./g-counter.js";

/**
 * The total, exact: the sum over replicas of how far each count lies above its floor (a count a
 * reset's floor covers adds 0). Throws CounterRangeError when it exceeds Number.MAX_SAFE_INTEGER
 * instead of returning a rounded number; `bigValue` has no such limit.
 */
export function value(state: ReadonlyGCounterState): number {
  const floors = state.floors;
  let total = 0;
  if (floors === undefined) {
    for (const count of state.values()) {
      if (count > Number.MAX_SAFE_INTEGER - total) throw tooLarge();
      total += count;
    }
    return total;
  }
  for (const [replica, count] of state) {
    // Both are safe integers, so the difference is exact.
    const above = count - (floors.get(replica) ?? 0);
    if (above <= 0) continue;
    if (above > Number.MAX_SAFE_INTEGER - total) throw tooLarge();
    total += above;
  }
  return total;
}

/** The total as a bigint: always exact. */
export function bigValue(state: ReadonlyGCounterState): bigint {
  const floors = state.floors;
  let total = 0n;
  for (const [replica, count] of state) {
    const above = count - (floors?.get(replica) ?? 0);
    if (above > 0) total += BigInt(above);
  }
  return total;
}

function tooLarge(): CounterRangeError {
  return new CounterRangeError(
    "the counter's total exceeds Number.MAX_SAFE_INTEGER; read it with bigValue()",
  );
}
