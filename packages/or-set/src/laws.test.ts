import type { ReplicaId } from "@convergent/clocks";
import { crdtLaws, type LawSpec } from "@convergent/core/testing";
import fc from "fast-check";
import { describe, test } from "vitest";
import type { OrSetElement } from "./element.js";
import { add, clear, createOrSet, orSet, remove } from "./or-set.js";
import type { OrSetState } from "./state.js";

type Op<E> = { kind: "add"; element: E } | { kind: "remove"; element: E } | { kind: "clear" };

function operations<E>(element: fc.Arbitrary<E>): fc.Arbitrary<Op<E>> {
  return fc.oneof(
    { weight: 5, arbitrary: element.map((e) => ({ kind: "add" as const, element: e })) },
    { weight: 3, arbitrary: element.map((e) => ({ kind: "remove" as const, element: e })) },
    { weight: 1, arbitrary: fc.constant({ kind: "clear" as const }) },
  );
}

/** The sequential set a single replica must behave like, compared by key. */
function sequential<E>(keyOf: (e: E) => OrSetElement) {
  return {
    initial: () => new Map<OrSetElement, E>(),
    step(model: Map<OrSetElement, E>, op: Op<E>) {
      const next = new Map(model);
      if (op.kind === "add") next.set(keyOf(op.element), op.element);
      else if (op.kind === "remove") next.delete(keyOf(op.element));
      else next.clear();
      return next;
    },
    check: (value: ReadonlySet<E>, model: Map<OrSetElement, E>) =>
      value.size === model.size && [...value].every((e) => model.has(keyOf(e))),
  };
}

// "1" and 1 share a domain on purpose: they must stay different elements.
const smallElements = fc.constantFrom<OrSetElement>("a", "b", "c", "1", 1, 2, 0.5);

const defaultSpec: LawSpec<
  OrSetState<OrSetElement>,
  ReadonlySet<OrSetElement>,
  Op<OrSetElement>
> = {
  type: orSet,
  operation: operations(smallElements),
  mutate(state, replica: ReplicaId, op) {
    if (op.kind === "add") return add(state, replica, op.element);
    if (op.kind === "remove") return remove(state, replica, op.element);
    return clear(state, replica);
  },
  sequential: sequential((e) => e),
};

describe("or-set laws", () => {
  for (const law of crdtLaws(defaultSpec)) test(law.name, law.check);
});

interface Point {
  readonly x: number;
  readonly y: number;
}
const points = createOrSet<Point>({
  name: "point-set",
  key: (p) => `${p.x},${p.y}`,
  toWire: (p) => [p.x, p.y],
  fromWire(plain) {
    if (!Array.isArray(plain) || plain.length !== 2) throw new Error("a point is [x, y]");
    const [x, y] = plain as unknown[];
    if (!Number.isSafeInteger(x) || !Number.isSafeInteger(y)) throw new Error("bad coordinate");
    return { x: x as number, y: y as number };
  },
});
const somePoints = fc
  .record({ x: fc.integer({ min: 0, max: 2 }), y: fc.integer({ min: 0, max: 1 }) })
  .map((p): Point => ({ x: p.x, y: p.y }));

const pointSpec: LawSpec<OrSetState<Point>, ReadonlySet<Point>, Op<Point>> = {
  type: points.type,
  operation: operations(somePoints),
  mutate(state, replica: ReplicaId, op) {
    if (op.kind === "add") return points.add(state, replica, op.element);
    if (op.kind === "remove") return points.remove(state, replica, op.element);
    return points.clear(state, replica);
  },
  sequential: sequential((p) => `${p.x},${p.y}`),
};

describe("keyed or-set laws (objects with a key function)", () => {
  for (const law of crdtLaws(pointSpec)) test(law.name, law.check);
});
