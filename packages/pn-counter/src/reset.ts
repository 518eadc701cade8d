import type { PnCounterState, ReadonlyPnCounterState } from "./pn-counter.js";

/**
 * The exact observed-remove (`CrdtType.reset`): a delta with no counts whose floors are the
 * `[P, N]` entries `state` shows. Joined anywhere, it cancels exactly the increments and
 * decrements `state` had seen; one it had not seen lifts its replica's P or N past the floor and
 * survives with its own amount. It mints nothing and reads no clock, so two resets of the same
 * observed counts are the same delta, and concurrent resets join to the floor of everything
 * either observed. Entries are immutable, so the floors share them.
 */
export function reset(state: ReadonlyPnCounterState): PnCounterState {
  const delta: PnCounterState = new Map();
  if (state.size > 0) delta.floors = new Map(state);
  return delta;
}
