import { CounterRangeError } from "./errors.js";
import type { ReadonlyPnCounterState } from "./pn-counter.js";

/**
 * sum(P) - sum(N) over what lies above the reset floors (`max(0, P - PF) - max(0, N - NF)` per
 * replica), exact. Throws CounterRangeError only when the result itself lies outside
 * ±Number.MAX_SAFE_INTEGER; large but cancelling sums are handled through bigint.
 */
export function value(state: ReadonlyPnCounterState): number {
  const floors = state.floors;
  let p = 0;
  let n = 0;
  if (floors === undefined) {
    for (const entry of state.values()) {
      if (entry[0] > Number.MAX_SAFE_INTEGER - p || entry[1] > Number.MAX_SAFE_INTEGER - n) {
        return toSafeNumber(bigValue(state));
      }
      p += entry[0];
      n += entry[1];
    }
    return p - n;
  }
  for (const [replica, entry] of state) {
    const floor = floors.get(replica);
    // Counts and floors are safe integers, so the differences are exact.
    const up = floor === undefined ? entry[0] : Math.max(0, entry[0] - floor[0]);
    const down = floor === undefined ? entry[1] : Math.max(0, entry[1] - floor[1]);
    if (up > Number.MAX_SAFE_INTEGER - p || down > Number.MAX_SAFE_INTEGER - n) {
      return toSafeNumber(bigValue(state));
    }
    p += up;
    n += down;
  }
  return p - n;
}

/** The same as a bigint: always exact. */
export function bigValue(state: ReadonlyPnCounterState): bigint {
  const floors = state.floors;
  let total = 0n;
  for (const [replica, entry] of state) {
    const floor = floors?.get(replica);
    const up = floor === undefined ? entry[0] : Math.max(0, entry[0] - floor[0]);
    const down = floor === undefined ? entry[1] : Math.max(0, entry[1] - floor[1]);
    total += BigInt(up) - BigInt(down);
  }
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
