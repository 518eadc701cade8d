/**
 * The types a store holds: the five built-in ones plus any user type meeting the core contract,
 * and, per type tag, an optional reset: a delta that removes every effect the replica has
 * observed, which is what deleting a key applies before recording the deletion.
 */
import type { HybridLogicalClock, ReplicaId } from "@convergent/clocks";
import { gCounter } from "@convergent/g-counter";
import { type LwwMapState, lwwMap, lwwRegister, removeKey } from "@convergent/lww-register";
import { clear as clearMv, type MvRegisterState, mvRegister } from "@convergent/mv-register";
import { clear as clearSet, orSet } from "@convergent/or-set";
import {
  decrement,
  increment,
  type PnCounterState,
  pnCounter,
  value,
} from "@convergent/pn-counter";
import { type AnyCrdtType, TypeRegistry } from "@convergent/sync";

/** What a mutator gets besides the state: who is writing, and the replica's HLC (LWW types). */
export interface MutatorContext {
  readonly replica: ReplicaId;
  readonly clock: HybridLogicalClock;
}

/** A delta removing every observed effect, or undefined when the state shows none. */
export type ResetFn = (state: unknown, context: MutatorContext) => unknown;

export const BUILT_IN_TYPES: readonly AnyCrdtType[] = [
  gCounter,
  pnCounter,
  orSet,
  lwwRegister,
  lwwMap,
  mvRegister,
] as readonly AnyCrdtType[];

/**
 * Built-in resets. A PN-Counter is reset by counting its observed value back to zero, so
 * concurrent increments survive; OR-Set and MV-Register clear the dots they observed; an LWW map
 * removes every live key with a newer timestamp. G-Counter and LWW register have none: their
 * deletion only hides the key, and a concurrent update brings back the joined state.
 */
export const BUILT_IN_RESETS: ReadonlyMap<string, ResetFn> = new Map<string, ResetFn>([
  [
    pnCounter.name,
    (state, { replica }) => {
      const v = value(state as PnCounterState);
      if (v === 0) return undefined;
      return v > 0
        ? decrement(state as PnCounterState, replica, v)
        : increment(state as PnCounterState, replica, -v);
    },
  ],
  [orSet.name, (state, { replica }) => clearSet(state as Parameters<typeof clearSet>[0], replica)],
  [mvRegister.name, (state, { replica }) => clearMv(state as MvRegisterState, replica)],
  [
    lwwMap.name,
    (state, { clock }) => {
      const map = state as LwwMapState;
      const delta: LwwMapState = new Map();
      for (const [key, entry] of map) {
        if (entry.value === undefined) continue;
        for (const [k, e] of removeKey(map, clock, key)) delta.set(k, e);
      }
      return delta.size === 0 ? undefined : delta;
    },
  ],
]);

export function storeRegistry(types: readonly AnyCrdtType[]): TypeRegistry {
  return new TypeRegistry([...BUILT_IN_TYPES, ...types]);
}
