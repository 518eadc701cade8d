import type { HybridLogicalClock } from "@convergent/clocks";
import type { PlainValue } from "@convergent/core";
import { storedPlainValue } from "@convergent/core";
import { stamp } from "./entry.js";
import type { LwwRegisterState } from "./lww-register.js";

/**
 * Writes `value` with a timestamp from `clock` (whose replica id is the writer's) that is
 * greater than the register's current one, so the write replaces the value it was made after.
 * Throws InvalidArgumentError for a value that is not a PlainValue, and ClockDriftError when the
 * current timestamp is further ahead of this replica's physical time than the clock allows;
 * either way nothing changes. The register stores a canonical frozen copy of `value`.
 */
export function set(
  state: Readonly<LwwRegisterState>,
  clock: HybridLogicalClock,
  value: PlainValue,
): LwwRegisterState {
  const stored = storedPlainValue(value);
  return { entry: stamp(clock, state.entry, stored) };
}

/** The winning value, or undefined for a register nobody has written. Treat it as read-only. */
export function value(state: Readonly<LwwRegisterState>): PlainValue | undefined {
  return state.entry?.value;
}
