import type { ReplicaId } from "@convergent/clocks";
import { CounterRangeError } from "./errors.js";

type Entries = ReadonlyMap<ReplicaId, readonly [number, number]>;

/**
 * sum(P) - sum(N), exact. Throws CounterRangeError only when the result itself lies outside
 * ±Number.MAX_SAFE_INTEGER; large but cancelling sums are handled through bigint.
 */
export function value(state: Entries): number {
  let p = 0;
  let n = 0;
  for (const entry of state.values()) {
    if (entry[0] > Number.MAX_SAFE_INTEGER - p || entry[1] > Number.MAX_SAFE_INTEGER - n) {
      return toSafeNumber(bigValue(state));
    }
    p += entry[0];
    n += entry[1];
  }
  return p - n;
}

/** sum(P) - sum(N) as a bigint: always exact. */
export function bigValue(state: Entries): bigint {
  let total = 0n;
  for (const entry of state.values()) total += BigInt(entry[0]) - BigInt(entry[1]);
  return total;
}

const MAX = BigInt(Number.MAX_SAFE_INTEGER);

function toSafeNumber(total: bigint): number {
  if (total > MAX || total < -MAX) {
    throw new CounterRangeError(
      "the counter's value lies outside ±Number.MAX_SAFE_INTEGER; read it with bigValue()",
    );
  }
  return Number(total);
}
