/**
 * Two small CRDT types for the sync package's own tests and examples, so the protocol can be
 * checked without depending on the data-type packages: a last-writer-wins register of bytes
 * (ordered by (millis, counter, replica), like an HLC timestamp) and a grow-only counter. Not
 * exported from the package.
 */
import type { ReplicaId } from "@convergent/clocks";
import { type CrdtType, DecodeError, defineCrdt } from "@convergent/core";

export interface FixtureStamp {
  readonly millis: number;
  readonly counter: number;
  readonly replica: ReplicaId;
}

export type FixtureRegisterState = {
  readonly stamp: FixtureStamp;
  readonly value: Uint8Array;
} | null;

function compareStamps(a: FixtureStamp, b: FixtureStamp): number {
  if (a.millis !== b.millis) return a.millis - b.millis;
  if (a.counter !== b.counter) return a.counter - b.counter;
  return a.replica < b.replica ? -1 : a.replica > b.replica ? 1 : 0;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function isUint(value: unknown, max = Number.MAX_SAFE_INTEGER): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 && value <= max;
}

/** Mutable holder: joinInto needs a target it can change, and the register state is a value. */
export interface FixtureRegister {
  current: FixtureRegisterState;
}

export const fixtureRegister: CrdtType<FixtureRegister, Uint8Array | undefined> = defineCrdt<
  FixtureRegister,
  Uint8Array | undefined
>({
  name: "fixture-register",
  empty: () => ({ current: null }),
  clone: (state) => ({ current: state.current }),
  joinInto(target, source) {
    const s = source.current;
    const t = target.current;
    if (s !== null && (t === null || compareStamps(s.stamp, t.stamp) > 0)) target.current = s;
    return target;
  },
  leq(a, b) {
    if (a.current === null) return true;
    return b.current !== null && compareStamps(a.current.stamp, b.current.stamp) <= 0;
  },
  equals(a, b) {
    if (a.current === null || b.current === null) return a.current === b.current;
    return (
      compareStamps(a.current.stamp, b.current.stamp) === 0 &&
      sameBytes(a.current.value, b.current.value)
    );
  },
  value: (state) => state.current?.value,
  wire: {
    version: 1,
    toWire(state, writer) {
      const c = state.current;
      if (c === null) return [];
      return [c.stamp.millis, c.stamp.counter, writer.replica(c.stamp.replica), c.value];
    },
    fromWire(plain, reader) {
      if (!Array.isArray(plain)) throw new DecodeError("WRONG_TYPE", "register must be an array");
      if (plain.length === 0) return { current: null };
      const [millis, counter, replica, value] = plain as unknown[];
      if (
        plain.length !== 4 ||
        !isUint(millis) ||
        !isUint(counter) ||
        !(value instanceof Uint8Array)
      ) {
        throw new DecodeError("MALFORMED", "register must be [millis, counter, replica, bytes]");
      }
      return { current: { stamp: { millis, counter, replica: reader.replica(replica) }, value } };
    },
  },
});

/** A last-writer-wins assignment at the given logical time. */
export function assignRegister(
  _state: FixtureRegister,
  replica: ReplicaId,
  millis: number,
  counter: number,
  value: Uint8Array,
): FixtureRegister {
  return { current: { stamp: { millis, counter, replica }, value } };
}

export type FixtureCounterState = Map<ReplicaId, number>;

export const fixtureCounter: CrdtType<FixtureCounterState, number> = defineCrdt<
  FixtureCounterState,
  number
>({
  name: "fixture-counter",
  empty: () => new Map(),
  clone: (state) => new Map(state),
  joinInto(target, source) {
    for (const [r, n] of source) if (n > (target.get(r) ?? 0)) target.set(r, n);
    return target;
  },
  leq(a, b) {
    for (const [r, n] of a) if (n > (b.get(r) ?? 0)) return false;
    return true;
  },
  equals(a, b) {
    if (a.size !== b.size) return false;
    for (const [r, n] of a) if (b.get(r) !== n) return false;
    return true;
  },
  value(state) {
    let sum = 0;
    for (const n of state.values()) sum += n;
    return sum;
  },
  wire: {
    version: 1,
    toWire(state, writer) {
      return [...state]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([r, n]) => [writer.replica(r), n]);
    },
    fromWire(plain, reader) {
      if (!Array.isArray(plain)) throw new DecodeError("WRONG_TYPE", "counter must be an array");
      if (plain.length > reader.limits.maxEntries) {
        throw new DecodeError("LIMIT_EXCEEDED", "too many counter entries");
      }
      const state: FixtureCounterState = new Map();
      for (const item of plain as unknown[]) {
        if (!Array.isArray(item) || item.length !== 2 || !isUint(item[1]) || item[1] === 0) {
          throw new DecodeError("MALFORMED", "counter entry must be [replica, positive count]");
        }
        const r = reader.replica(item[0]);
        if (state.has(r)) throw new DecodeError("INVALID_VALUE", "duplicate counter replica");
        state.set(r, item[1] as number);
      }
      return state;
    },
  },
});

export function incrementCounter(
  state: FixtureCounterState,
  replica: ReplicaId,
  amount: number,
): FixtureCounterState {
  return new Map([[replica, (state.get(replica) ?? 0) + amount]]);
}
