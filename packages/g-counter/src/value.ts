import type { ReplicaId } from "@convergent/clocks";
import { CounterRangeError } from "./errors.js";

/**
 * The total, exact. Throws CounterRangeError when it exceeds Number.MAX_SAFE_INTEGER instead
 * of returning a rounded number; `bigValue` has no such limit.
 */
export function value(state: ReadonlyMap<ReplicaId, number>): number {
  let total = 0;
  for (const count of state.values()) {
    if (count > Number.MAX_SAFE_INTEGER - total) {
      throw new CounterRangeError(
        "the counter's total exceeds Number.MAX_SAFE_INTEGER; read it with bigValue()",
      );
    }
    total += count;
  }
  return total;
}

/** The total as a bigint: always exact. */
export function bigValue(state: ReadonlyMap<ReplicaId, number>): bigint {
  let total = 0n;
  for (const count of state.values()) total += BigInt(count);
  return total;
}
