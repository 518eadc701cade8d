import type { HybridLogicalClock } from "@convergent/clocks";
import type { PlainValue } from "@convergent/core";
import { storedPlainValue } from "@convergent/core";
import { stamp, tombstoneOf } from "./entry.js";
import type { LwwRegisterState } from "./lww-register.js";

/**
 * Writes `value` with a timestamp from `clock` (whose replica id is the writer's) that is
 * greater than the register's current one, so the write replaces the value it was made after.
 * Over an entry further ahead of physical time than the clock's `maxDriftMs`, the write is
 * stamped just above that entry without moving the clock (see `stamp`). Throws
 * InvalidArgumentError for a value that is not a PlainValue; nothing changes then, the clock
 * included. The register stores a canonical frozen copy of `value`.
 */
export function set(
  state: Readonly<LwwRegisterState>,
  clock: HybridLogicalClock,
  value: PlainValue,
): LwwRegisterState {
  const stored = storedPlainValue(value);
  return { entry: stamp(clock, state.entry, stored) };
}

/**
 * The exact delete (`lwwRegister.reset`): a tombstone at the observed entry's own timestamp, so
 * it removes exactly the write `state` shows, reads no clock, and a write its replica had not
 * seen survives it. The reset of a register never written is the empty register.
 */
export function reset(state: Readonly<LwwRegisterState>): LwwRegisterState {
  return { entry: state.entry === undefined ? undefined : tombstoneOf(state.entry) };
}

/**
 * The winning value, or undefined for a register nobody has written or whose write was
 * deleted. Treat it as read-only.
 */
export function value(state: Readonly<LwwRegisterState>): PlainValue | undefined {
  return state.entry?.value;
}
