// fast-check generators and the law-kit spec shared by this package's tests (not built).
import type { ReplicaId } from "@convergent/clocks";
import { equalPlainValues, FORBIDDEN_KEYS, type PlainValue } from "@convergent/core";
import type { LawSpec } from "@convergent/core/testing";
import fc from "fast-check";
import { clear, resolve, write } from "./mutators.js";
import { mvRegister } from "./mv-register.js";
import type { MvRegisterState } from "./state.js";

const key = fc.string({ maxLength: 3 }).filter((k) => !FORBIDDEN_KEYS.has(k));

/**
 * Small plain values: a few constants so equal values are written concurrently often, -0 and
 * unordered object keys to exercise canonicalization, and shallow arrays, objects and bytes.
 */
export const plainValue: fc.Arbitrary<PlainValue> = fc.letrec<{ value: PlainValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom<PlainValue>(null, true, false, 0, -0, 1, "a", "b"),
    fc.integer({ min: -1000, max: 1000 }),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.string({ maxLength: 4 }),
    fc.uint8Array({ maxLength: 3 }),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(key, tie("value"), { maxKeys: 3 }),
  ),
})).value;

/** How a test's `resolve` picks: deterministic functions of the canonical value list. */
export type Rule = "first" | "last" | "count";

export function applyRule(rule: Rule, values: readonly PlainValue[]): PlainValue {
  if (rule === "first") return values[0] ?? null;
  if (rule === "last") return values.at(-1) ?? null;
  return values.length;
}

export type Op =
  | { readonly kind: "write"; readonly value: PlainValue }
  | { readonly kind: "clear" }
  | { readonly kind: "resolve"; readonly rule: Rule };

export const operation: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("write" as const), value: plainValue }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("clear" as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("resolve" as const),
      rule: fc.constantFrom<Rule>("first", "last", "count"),
    }),
  },
);

export function mutate(state: MvRegisterState, replica: ReplicaId, op: Op): MvRegisterState {
  if (op.kind === "write") return write(state, replica, op.value);
  if (op.kind === "clear") return clear(state, replica);
  return resolve(state, replica, (values) => applyRule(op.rule, values));
}

/** On one replica the register is a plain variable: the last write, or nothing after a clear. */
export const spec: LawSpec<MvRegisterState, readonly PlainValue[], Op> = {
  type: mvRegister,
  operation,
  mutate,
  sequential: {
    initial: (): readonly PlainValue[] => [],
    step: (model, op) => {
      const current = model as readonly PlainValue[];
      if (op.kind === "write") return [op.value];
      if (op.kind === "clear") return [];
      return [applyRule(op.rule, current)];
    },
    check: (values, model) => {
      const expected = model as readonly PlainValue[];
      return (
        values.length === expected.length &&
        values.every((v, i) => equalPlainValues(v, expected[i] as PlainValue))
      );
    },
  },
  numRuns: 300,
};
