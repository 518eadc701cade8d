import { replicaId } from "@convergent/clocks";
import { comparePlainValues, equalPlainValues, type PlainValue } from "@convergent/core";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { mvRegister } from "./mv-register.js";
import { siblingCount, value } from "./queries.js";
import type { MvRegisterState } from "./state.js";
import { applyRule, mutate, type Op, operation } from "./test-arbitraries.js";

/**
 * A reference model with no clocks at all: each operation records which writes it observed,
 * and a write is visible while no known operation has observed it. The register must show
 * exactly the visible writes. Runs here are longer than the law kit's (which stay under about
 * ten steps), so three-way conflicts, gaps in contexts and late deliveries all occur.
 */
interface Event {
  readonly id: number;
  readonly written?: PlainValue;
  readonly observed: ReadonlySet<number>;
}

type Step =
  | { readonly kind: "mutate"; readonly at: number; readonly op: Op }
  | { readonly kind: "deliver"; readonly to: number; readonly event: number }
  | { readonly kind: "sync"; readonly from: number; readonly to: number };

const REPLICAS = ["alice", "bob", "carol"].map(replicaId);
const index = fc.nat({ max: REPLICAS.length - 1 });
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant("mutate" as const), at: index, op: operation }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant("deliver" as const), to: index, event: fc.nat() }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("sync" as const), from: index, to: index }),
  },
);

function visible(known: ReadonlySet<number>, events: readonly Event[]): Event[] {
  const overwritten = new Set<number>();
  for (const id of known) for (const seen of (events[id] as Event).observed) overwritten.add(seen);
  return [...known]
    .map((id) => events[id] as Event)
    .filter((e) => e.written !== undefined && !overwritten.has(e.id));
}

describe("mv-register against a clock-free reference model", () => {
  test("every replica shows exactly the writes no known operation has observed", () => {
    let conflicts = 0;
    fc.assert(
      fc.property(fc.array(step, { minLength: 10, maxLength: 80 }), (steps) => {
        const states: MvRegisterState[] = REPLICAS.map(() => mvRegister.empty());
        const known = REPLICAS.map(() => new Set<number>());
        const events: Event[] = [];
        const deltas: MvRegisterState[] = [];
        for (const s of steps) {
          if (s.kind === "mutate") {
            const before = states[s.at] as MvRegisterState;
            const shown = visible(known[s.at] as Set<number>, events);
            const observed = new Set(shown.map((e) => e.id));
            const values = shown.map((e) => e.written as PlainValue).sort(comparePlainValues);
            const written =
              s.op.kind === "write"
                ? s.op.value
                : s.op.kind === "resolve"
                  ? applyRule(s.op.rule, values)
                  : undefined;
            const event: Event =
              written === undefined
                ? { id: events.length, observed }
                : { id: events.length, written, observed };
            events.push(event);
            known[s.at]?.add(event.id);
            const delta = mutate(before, REPLICAS[s.at] as never, s.op);
            deltas.push(delta);
            states[s.at] = mvRegister.join(before, delta);
          } else if (s.kind === "deliver") {
            if (deltas.length === 0) continue;
            const id = s.event % deltas.length;
            states[s.to] = mvRegister.join(
              states[s.to] as MvRegisterState,
              deltas[id] as MvRegisterState,
            );
            known[s.to]?.add(id);
          } else {
            states[s.to] = mvRegister.join(
              states[s.to] as MvRegisterState,
              states[s.from] as MvRegisterState,
            );
            for (const id of known[s.from] as Set<number>) known[s.to]?.add(id);
          }
        }
        states.forEach((state, r) => {
          const expected = visible(known[r] as Set<number>, events)
            .map((e) => e.written as PlainValue)
            .sort(comparePlainValues);
          const actual = value(state);
          // equalPlainValues, not toEqual: a written -0 is stored as its canonical 0.
          expect(actual.length).toBe(expected.length);
          actual.forEach((v, i) => {
            expect(equalPlainValues(v, expected[i] as PlainValue)).toBe(true);
          });
          if (siblingCount(state) > 2) conflicts++;
        });
      }),
      { numRuns: 300 },
    );
    // The property is only meaningful if runs reach real three-way conflicts.
    expect(conflicts).toBeGreaterThan(0);
  });
});
