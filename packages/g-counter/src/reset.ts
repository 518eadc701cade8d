import type { GCounterState, ReadonlyGCounterState } from "./g-counter.js";

/**
 * The exact observed-remove (`CrdtType.reset`): a delta with no counts whose floors are the
 * counts `state` shows. Joined anywhere, it cancels exactly the increments `state` had seen; an
 * increment it had not seen raises its replica's count past the floor and survives with its own
 * amount. It mints nothing and reads no clock, so two resets of the same observed counts are the
 * same delta, and concurrent resets join to the floor of everything either observed.
 */
export function reset(state: ReadonlyGCounterState): GCounterState {
  const delta: GCounterState = new Map();
  if (state.size > 0) delta.floors = new Map(state);
  return delta;
}
