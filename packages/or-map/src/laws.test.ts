import type { ReplicaId } from "@convergent/clocks";
import { crdtLaws, type LawSpec } from "@convergent/core/testing";
import { type GCounterState, gCounter, increment as gIncrement } from "@convergent/g-counter";
import { type MvRegisterState, write } from "@convergent/mv-register";
import { add, type OrSetState, remove } from "@convergent/or-set";
import {
  decrement,
  type PnCounterState,
  pnCounter,
  increment as pnIncrement,
} from "@convergent/pn-counter";
import fc from "fast-check";
import { describe, test } from "vitest";
import { type Embedded, embedded, embeddedUpdate } from "./embedded.js";
import { disable, enable, type PresenceState, presence } from "./presence.js";
import type { OrMapState } from "./state.js";
import {
  applyOp,
  canonical,
  type MapOp,
  type Model,
  mapOps,
  mvField,
  setField,
  stepModel,
  testKit,
  testMap,
} from "./test-support.js";
import type { OrMapValue } from "./view.js";

type PresenceOp = "enable" | "disable";

const presenceSpec: LawSpec<PresenceState, boolean, PresenceOp> = {
  type: presence,
  operation: fc.constantFrom<PresenceOp>("enable", "enable", "disable"),
  mutate: (state, replica: ReplicaId, op) =>
    op === "enable" ? enable(state, replica) : disable(state),
  sequential: {
    initial: () => false,
    step: (_: boolean, op) => op === "enable",
    check: (value, model) => value === model,
  },
};

describe("presence laws", () => {
  for (const law of crdtLaws(presenceSpec)) test(law.name, law.check);
});

// Set operations through the embedding, plus "delete" (the embedded reset) as a user operation.
type SetOp = { kind: "add" | "remove"; element: string } | { kind: "delete" };
const embeddedSet = embedded(setField);
const setOps: fc.Arbitrary<SetOp> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom("a", "b", "c").map((element) => ({ kind: "add" as const, element })),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom("a", "b").map((element) => ({ kind: "remove" as const, element })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "delete" as const }) },
);
const embeddedSetSpec: LawSpec<
  Embedded<OrSetState<string | number>>,
  ReadonlySet<string | number>,
  SetOp
> = {
  type: embeddedSet,
  operation: setOps,
  mutate(entry, replica: ReplicaId, op) {
    if (op.kind === "delete") return embeddedSet.reset(entry);
    const inner =
      op.kind === "add"
        ? add(entry.state, replica, op.element)
        : remove(entry.state, replica, op.element);
    return embeddedUpdate(entry, replica, inner);
  },
  sequential: {
    initial: () => new Set<string>(),
    step(model: Set<string>, op) {
      const next = new Set(model);
      if (op.kind === "add") next.add(op.element);
      else if (op.kind === "remove") next.delete(op.element);
      else next.clear();
      return next;
    },
    check: (value, model: Set<string>) =>
      value.size === model.size && [...model].every((e) => value.has(e)),
  },
};

describe("embedded(or-set) laws", () => {
  for (const law of crdtLaws(embeddedSetSpec)) test(law.name, law.check);
});

type MvOp = { kind: "write"; value: number } | { kind: "delete" };
const embeddedMv = embedded(mvField);
const embeddedMvSpec: LawSpec<Embedded<MvRegisterState>, readonly unknown[], MvOp> = {
  type: embeddedMv,
  operation: fc.oneof(
    {
      weight: 3,
      arbitrary: fc.integer({ min: 0, max: 3 }).map((value) => ({ kind: "write" as const, value })),
    },
    { weight: 1, arbitrary: fc.constant({ kind: "delete" as const }) },
  ),
  mutate: (entry, replica: ReplicaId, op) =>
    op.kind === "delete"
      ? embeddedMv.reset(entry)
      : embeddedUpdate(entry, replica, write(entry.state, replica, op.value)),
  sequential: {
    initial: (): readonly unknown[] => [],
    step: (_: readonly unknown[], op) => (op.kind === "delete" ? [] : [op.value]),
    check: (value, model: readonly unknown[]) =>
      value.length === model.length && value.every((v, i) => v === model[i]),
  },
};

describe("embedded(mv-register) laws", () => {
  for (const law of crdtLaws(embeddedMvSpec)) test(law.name, law.check);
});

const mapSpec: LawSpec<OrMapState, OrMapValue, MapOp> = {
  type: testMap,
  operation: mapOps,
  mutate: (state, replica: ReplicaId, op) => applyOp(testKit, state, replica, op),
  sequential: {
    initial: (): Model => new Map(),
    step: stepModel,
    check: (value, model: Model) => canonical(value) === canonical(model),
  },
};

describe("or-map laws (nested maps of sets, registers and counters)", () => {
  for (const law of crdtLaws(mapSpec)) test(law.name, law.check);
});

// Counters through the embedding (their reset is a floor of the observed per-replica counts).
type CounterOp = { kind: "increment" | "decrement"; amount: number } | { kind: "delete" };
const counterOps = (decrements: boolean): fc.Arbitrary<CounterOp> =>
  fc.oneof(
    {
      weight: 3,
      arbitrary: fc
        .integer({ min: 1, max: 3 })
        .map((amount) => ({ kind: "increment" as const, amount })),
    },
    ...(decrements
      ? [
          {
            weight: 2,
            arbitrary: fc
              .integer({ min: 1, max: 3 })
              .map((amount) => ({ kind: "decrement" as const, amount })),
          },
        ]
      : []),
    { weight: 1, arbitrary: fc.constant({ kind: "delete" as const }) },
  );
const counterModel = {
  initial: () => 0,
  step: (m: number, op: CounterOp) =>
    op.kind === "delete" ? 0 : op.kind === "increment" ? m + op.amount : m - op.amount,
  check: (value: number, model: number) => value === model,
};

describe.skipIf(gCounter.reset === undefined)("embedded(g-counter) laws", () => {
  const type = embedded(gCounter);
  for (const law of crdtLaws<Embedded<GCounterState>, number, CounterOp>({
    type,
    operation: counterOps(false),
    mutate: (entry, replica: ReplicaId, op) =>
      op.kind === "delete"
        ? type.reset(entry)
        : embeddedUpdate(entry, replica, gIncrement(entry.state, replica, op.amount)),
    sequential: counterModel,
  })) {
    test(law.name, law.check);
  }
});

describe.skipIf(pnCounter.reset === undefined)("embedded(pn-counter) laws", () => {
  const type = embedded(pnCounter);
  for (const law of crdtLaws<Embedded<PnCounterState>, number, CounterOp>({
    type,
    operation: counterOps(true),
    mutate(entry, replica: ReplicaId, op) {
      if (op.kind === "delete") return type.reset(entry);
      const inner =
        op.kind === "increment"
          ? pnIncrement(entry.state, replica, op.amount)
          : decrement(entry.state, replica, op.amount);
      return embeddedUpdate(entry, replica, inner);
    },
    sequential: counterModel,
  })) {
    test(law.name, law.check);
  }
});
