import { HybridLogicalClock, type ReplicaId, replicaId } from "@convergent/clocks";
import type { CrdtType, PlainValue } from "@convergent/core";
import type { LawSpec } from "@convergent/core/testing";
import { gCounter, increment } from "@convergent/g-counter";
import { lwwMap, lwwRegister, removeKey, set, setKey } from "@convergent/lww-register";
import { clear as mvClear, mvRegister, resolve, write } from "@convergent/mv-register";
import { add, orSet, remove, clear as setClear } from "@convergent/or-set";
import { decrement, pnCounter, increment as pnIncrement } from "@convergent/pn-counter";
import fc from "fast-check";
import { plainArbitrary } from "./frames.js";

/**
 * One real type as the codec tests use it: a law-kit spec whose random runs reach the states to
 * encode, and a builder for a 10,000-entry state for the size comparison with JSON.
 */
export interface TypeCase {
  readonly type: CrdtType<unknown, unknown>;
  readonly spec: LawSpec<unknown, unknown, unknown, unknown>;
  /** A state with `entries` entries (replicas for counters, elements, keys). */
  readonly big?: (entries: number) => unknown;
}

const asCase = <S, V, Op, C>(
  type: CrdtType<S, V>,
  spec: Omit<LawSpec<S, V, Op, C>, "type">,
  big?: (entries: number) => S,
): TypeCase => ({ type, spec: { ...spec, type }, big }) as unknown as TypeCase;

/** A clock per replica on a simulated physical time that moves forward with every reading. */
const clockFor = (replica: ReplicaId): HybridLogicalClock => {
  let now = 1_700_000_000_000;
  return new HybridLogicalClock(replica, { physicalTime: () => (now += 7) });
};

const value: fc.Arbitrary<PlainValue> = plainArbitrary as fc.Arbitrary<PlainValue>;
const element = fc.oneof(
  fc.constantFrom("a", "b", "10", "9", "ü", "😀", "\uff5e"),
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom(0.5, 2 ** 40, -(2 ** 33)),
);
const key = fc.constantFrom("a", "b", "10", "9", "ü", "😀", "\uff5e", "");

/** Replica ids as a deployment might make them: 12 characters. */
export const manyReplicas = (n: number): ReplicaId[] =>
  Array.from({ length: n }, (_, i) => replicaId(`node-${i.toString(36).padStart(7, "0")}`));
const three = manyReplicas(3) as [ReplicaId, ReplicaId, ReplicaId];

export const typeCases: readonly TypeCase[] = [
  asCase(
    gCounter,
    {
      operation: fc.oneof(fc.integer({ min: 1, max: 300 }), fc.constant(2 ** 40)),
      mutate: (s, r: ReplicaId, n) => increment(s, r, n),
    },
    (n) => new Map(manyReplicas(n).map((r, i) => [r, 1 + ((i * 7919) % 100_000)])),
  ),
  asCase(
    pnCounter,
    {
      operation: fc.record({ up: fc.boolean(), by: fc.integer({ min: 1, max: 70_000 }) }),
      mutate: (s, r: ReplicaId, o) => (o.up ? pnIncrement(s, r, o.by) : decrement(s, r, o.by)),
    },
    (n) =>
      new Map(
        manyReplicas(n).map((r, i) => [r, [1 + ((i * 7919) % 100_000), (i * 31) % 5000] as const]),
      ),
  ),
  asCase(
    orSet,
    {
      operation: fc.record({ kind: fc.constantFrom("add", "add", "remove", "clear"), element }),
      mutate: (s, r: ReplicaId, o) =>
        o.kind === "add"
          ? add(s, r, o.element)
          : o.kind === "remove"
            ? remove(s, r, o.element)
            : setClear(s, r),
    },
    (n) => {
      let s = orSet.empty();
      for (let i = 0; i < n; i++)
        s = orSet.joinInto(s, add(s, three[i % 3] as ReplicaId, `item-${i}`));
      return s;
    },
  ),
  asCase(lwwRegister, {
    operation: value,
    context: clockFor,
    mutate: (s, clock: HybridLogicalClock, v) => set(s, clock, v),
  }),
  asCase(
    lwwMap,
    {
      operation: fc.record({ remove: fc.boolean(), key, value }),
      context: clockFor,
      mutate: (s, clock: HybridLogicalClock, o) =>
        o.remove ? removeKey(s, clock, o.key) : setKey(s, clock, o.key, o.value),
    },
    (n) => {
      const clocks = three.map(clockFor);
      let s = lwwMap.empty();
      for (let i = 0; i < n; i++) {
        s = lwwMap.joinInto(
          s,
          setKey(
            s,
            clocks[i % 3] as HybridLogicalClock,
            `key-${i}`,
            i % 2 === 0 ? i : `value-${i}`,
          ),
        );
      }
      return s;
    },
  ),
  asCase(mvRegister, {
    operation: fc.record({ kind: fc.constantFrom("write", "write", "clear", "resolve"), value }),
    mutate: (s, r: ReplicaId, o) =>
      o.kind === "write"
        ? write(s, r, o.value)
        : o.kind === "clear"
          ? mvClear(s, r)
          : resolve(s, r, () => o.value),
  }),
];

/**
 * The JSON a user would write for the same state: Maps as objects (string keys) or entry
 * arrays, Sets as arrays, byte arrays as number arrays; internal caches left out.
 */
export function naiveJson(state: unknown): string {
  return JSON.stringify(state, (name, item: unknown) => {
    if (name === "dotIndex") return undefined;
    if (item instanceof Map) {
      const entries = [...item];
      return entries.every(([k]) => typeof k === "string") ? Object.fromEntries(entries) : entries;
    }
    if (item instanceof Set) return [...item];
    if (item instanceof Uint8Array) return [...item];
    return item;
  });
}
