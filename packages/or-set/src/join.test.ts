import { containsDot, type Dot, dotsOf, replicaId } from "@convergent/clocks";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { contextOfDots } from "./context-of-dots.js";
import type { ElementKey } from "./element.js";
import { dotList, type ElementDots } from "./element-dots.js";
import { add, clear, orSet, remove } from "./or-set.js";
import { dotIndexOf, makeState, type OrSetState } from "./state.js";

const replicas = ["a", "b", "c"].map(replicaId);
type State = OrSetState<ElementKey>;

/** The paper's join written with plain dot sets, as a reference. */
function referenceJoin(x: State, y: State): State {
  const entries = new Map<ElementKey, ElementDots>();
  const keep = (key: ElementKey, d: Dot) => {
    const list = dotList(entries.get(key) ?? []);
    if (!list.some((e) => e.replica === d.replica && e.counter === d.counter)) {
      entries.set(key, [...list, d]);
    }
  };
  const has = (s: State, key: ElementKey, d: Dot) =>
    dotList(s.entries.get(key) ?? []).some(
      (e) => e.replica === d.replica && e.counter === d.counter,
    );
  for (const [self, other] of [
    [x, y],
    [y, x],
  ] as const) {
    for (const [key, dots] of self.entries) {
      for (const d of dotList(dots)) {
        if (has(other, key, d) || !containsDot(other.context, d)) keep(key, d);
      }
    }
  }
  for (const [key, dots] of entries) {
    const list = dotList(dots);
    entries.set(key, list.length === 1 ? (list[0] as Dot) : list);
  }
  const context = contextOfDots([...dotsOf(x.context), ...dotsOf(y.context)].filter(unique()));
  return makeState(entries, undefined, context);
}

function unique() {
  const seen = new Set<string>();
  return (d: Dot) => {
    const id = `${d.replica}:${d.counter}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  };
}

// Long runs over few elements push counters far past the live count, so the dot index takes
// its sparse (Map) form as well as its dense one.
const run = fc.array(
  fc.record({
    at: fc.nat({ max: 2 }),
    kind: fc.oneof(
      { weight: 200, arbitrary: fc.constantFrom("add", "add", "remove", "sync") },
      { weight: 1, arbitrary: fc.constant("clear") },
    ),
    // One element is rarely touched, so its old dot stays live below a long run of churn.
    element: fc.oneof(
      { weight: 100, arbitrary: fc.constantFrom<ElementKey>("p", "q", 1) },
      { weight: 1, arbitrary: fc.constant<ElementKey>("kept") },
    ),
    from: fc.nat({ max: 2 }),
  }),
  { minLength: 300, maxLength: 600, size: "max" },
);

type Run = typeof run extends fc.Arbitrary<infer T> ? T : never;

function execute(steps: Run): State[] {
  const states = replicas.map((replica) => {
    const state = orSet.empty();
    return orSet.joinInto(state, add(state, replica, "kept"));
  });
  for (const step of steps) {
    const state = states[step.at] as State;
    const replica = replicas[step.at] as (typeof replicas)[number];
    if (step.kind === "add") orSet.joinInto(state, add(state, replica, step.element));
    else if (step.kind === "remove") orSet.joinInto(state, remove(state, replica, step.element));
    else if (step.kind === "clear") orSet.joinInto(state, clear(state, replica));
    else orSet.joinInto(state, states[step.from] as State);
  }
  return states;
}

describe("joinInto", () => {
  test("matches the reference join on long runs (dense and sparse dot indexes)", () => {
    const forms = new Set<string>();
    fc.assert(
      fc.property(run, (steps) => {
        const [x, y] = execute(steps) as [State, State];
        const expected = referenceJoin(x, y);
        for (const [target, source] of [
          [orSet.clone(x), y],
          [orSet.clone(y), x],
        ] as const) {
          for (const dots of dotIndexOf(target).values()) {
            forms.add(dots instanceof Map ? "sparse" : "dense");
          }
          expect(orSet.equals(orSet.joinInto(target, source), expected)).toBe(true);
        }
      }),
      { numRuns: 100 },
    );
    expect([...forms].sort()).toEqual(["dense", "sparse"]);
  });

  test("one-dot deltas (the short path) match the reference join, seen or unseen, live or removed", () => {
    const elements: ElementKey[] = ["p", "q", 1, "kept"];
    fc.assert(
      fc.property(run, fc.nat({ max: 2 }), fc.nat({ max: 2 }), (steps, from, to) => {
        const states = execute(steps);
        const origin = states[from] as State;
        const replica = replicas[from] as (typeof replicas)[number];
        for (const element of elements) {
          for (const delta of [add(origin, replica, element), remove(origin, replica, element)]) {
            for (const target of [states[to] as State, origin]) {
              const expected = referenceJoin(target, delta);
              const joined = orSet.joinInto(orSet.clone(target), delta);
              expect(orSet.equals(joined, expected)).toBe(true);
            }
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  test("a one-dot context whose entry holds another dot takes the general path", () => {
    const [a, b] = replicas as [(typeof replicas)[number], (typeof replicas)[number]];
    const target = orSet.empty();
    orSet.joinInto(target, add(target, a, "x"));
    // Not a state any replica produces: the entry's dot lies outside the context.
    const odd = makeState<ElementKey>(
      new Map<ElementKey, ElementDots>([["y", { replica: b, counter: 1 }]]),
      undefined,
      contextOfDots([{ replica: a, counter: 1 }]),
    );
    const expected = referenceJoin(target, odd);
    expect(orSet.equals(orSet.joinInto(orSet.clone(target), odd), expected)).toBe(true);
  });

  test("applying a delta costs the delta, not the target: the target's elements are never walked", () => {
    const replica = replicas[0] as (typeof replicas)[number];
    const target = orSet.empty();
    for (let i = 0; i < 2000; i++) orSet.joinInto(target, add(target, replica, `e${i}`));
    orSet.joinInto(target, remove(target, replica, "e0")); // builds the dot index once
    const walks = watchWalks(target);
    for (let i = 1; i < 1000; i++) {
      orSet.joinInto(target, remove(target, replica, `e${i}`));
      orSet.joinInto(target, add(target, replica, `e${i}`));
      orSet.joinInto(target, add(target, replica, `new${i}`));
    }
    expect(walks.count).toBe(0);
    expect(target.entries.size).toBe(2000 - 1 + 999);
  });
});

/** Counts iterations over a state's entries. */
function watchWalks(state: State): { count: number } {
  const walks = { count: 0 };
  for (const method of ["entries", "keys", "values", "forEach", Symbol.iterator] as const) {
    const original = state.entries[method].bind(state.entries) as (...args: unknown[]) => unknown;
    Object.defineProperty(state.entries, method, {
      value: (...args: unknown[]) => {
        walks.count++;
        return original(...args);
      },
    });
  }
  return walks;
}
