// Shared by the tests: field types with an exact reset, and a random operation language over
// nested maps with its sequential model. Not part of the package (excluded from the build).
import { type ReplicaId, replicaId } from "@convergent/clocks";
import type { CrdtType, PlainValue } from "@convergent/core";
import { gCounter, increment } from "@convergent/g-counter";
import { clear as mvClear, mvRegister, write } from "@convergent/mv-register";
import { add, orSet, remove, clear as setClear } from "@convergent/or-set";
import fc from "fast-check";
import { createOrMap, type OrMapKit } from "./or-map.js";
import type { OrMapState } from "./state.js";
import type { OrMapValue } from "./view.js";

const anyone = replicaId("resetter");

/**
 * The type itself when it defines `reset`; otherwise (until every package has one) the same
 * type with its observed-remove mutator as reset: or-set `clear` and mv-register `clear` name
 * exactly the observed dots and mint nothing, which is the reset contract.
 */
function withReset<S, V>(type: CrdtType<S, V>, reset: (state: S) => S): CrdtType<S, V> {
  return type.reset !== undefined ? type : Object.freeze({ ...type, reset });
}

export const setField = withReset(orSet, (s) => setClear(s, anyone));
export const mvField = withReset(mvRegister, (s) => mvClear(s, anyone));
/** Undefined while g-counter has no reset. */
export const counterField: CrdtType<Map<ReplicaId, number>, number> | undefined =
  gCounter.reset === undefined ? undefined : gCounter;

export const testKit: OrMapKit = createOrMap([
  setField,
  mvField,
  ...(counterField === undefined ? [] : [counterField]),
] as CrdtType<unknown, unknown>[]);
export const testMap = testKit.type;

export type FieldOp =
  | { readonly kind: "add"; readonly element: string }
  | { readonly kind: "removeElement"; readonly element: string }
  | { readonly kind: "write"; readonly value: string }
  | { readonly kind: "increment"; readonly amount: number };

export type MapOp =
  | {
      readonly kind: "update";
      readonly path: readonly string[];
      readonly name: string;
      readonly op: FieldOp;
    }
  | {
      readonly kind: "removeField";
      readonly path: readonly string[];
      readonly name: string;
      readonly tag: string;
    };

const names = fc.constantFrom("x", "y", "m");
const paths = fc.array(fc.constantFrom("m", "n"), { maxLength: 2 });
const elements = fc.constantFrom("a", "b", "c");
const fieldOps: fc.Arbitrary<FieldOp> = fc.oneof(
  elements.map((element) => ({ kind: "add" as const, element })),
  elements.map((element) => ({ kind: "removeElement" as const, element })),
  elements.map((value) => ({ kind: "write" as const, value })),
  ...(counterField === undefined
    ? []
    : [fc.integer({ min: 1, max: 3 }).map((amount) => ({ kind: "increment" as const, amount }))]),
);
const tags = fc.constantFrom(
  setField.name,
  mvField.name,
  testMap.name,
  ...(counterField === undefined ? [] : [counterField.name]),
);

export const mapOps: fc.Arbitrary<MapOp> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("update" as const),
      path: paths,
      name: names,
      op: fieldOps,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("removeField" as const),
      path: paths,
      name: names,
      tag: tags,
    }),
  },
);

function leafDelta(
  kit: OrMapKit,
  state: OrMapState,
  replica: ReplicaId,
  name: string,
  op: FieldOp,
) {
  switch (op.kind) {
    case "add":
      return kit.updateField(state, replica, name, setField, (s) => add(s, replica, op.element));
    case "removeElement":
      return kit.updateField(state, replica, name, setField, (s) => remove(s, replica, op.element));
    case "write":
      return kit.updateField(state, replica, name, mvField, (s) => write(s, replica, op.value));
    case "increment":
      return kit.updateField(
        state,
        replica,
        name,
        counterField as CrdtType<Map<ReplicaId, number>, number>,
        (s) => increment(s, replica, op.amount),
      );
  }
}

/** The delta of `op` made at `replica` on `state`; nested paths go through `updateField`. */
export function applyOp(
  kit: OrMapKit,
  state: OrMapState,
  replica: ReplicaId,
  op: MapOp,
): OrMapState {
  const at = (s: OrMapState, path: readonly string[]): OrMapState => {
    const [head, ...rest] = path;
    if (head === undefined) {
      return op.kind === "update"
        ? leafDelta(kit, s, replica, op.name, op.op)
        : kit.removeField(s, op.name, op.tag);
    }
    return kit.updateField(s, replica, head, kit.type, (inner) => at(inner, rest));
  };
  return at(state, op.path);
}

/** The sequential model: name → tag → a set, the register's values, a count or a nested model. */
export type Model = Map<string, Map<string, FieldModel>>;
type FieldModel = ReadonlySet<string> | readonly PlainValue[] | number | Model;

export function stepModel(model: Model, op: MapOp): Model {
  const at = (m: Model, path: readonly string[]): Model => {
    const next: Model = new Map([...m].map(([k, v]) => [k, new Map(v)]));
    const [head, ...rest] = path;
    if (head !== undefined) {
      const tags = next.get(head) ?? new Map<string, FieldModel>();
      tags.set(testMap.name, at((tags.get(testMap.name) as Model | undefined) ?? new Map(), rest));
      next.set(head, tags);
      return next;
    }
    if (op.kind === "removeField") {
      next.get(op.name)?.delete(op.tag);
      if (next.get(op.name)?.size === 0) next.delete(op.name);
      return next;
    }
    const tags = next.get(op.name) ?? new Map<string, FieldModel>();
    const f = op.op;
    if (f.kind === "add" || f.kind === "removeElement") {
      const set = new Set((tags.get(setField.name) as ReadonlySet<string> | undefined) ?? []);
      if (f.kind === "add") set.add(f.element);
      else set.delete(f.element);
      tags.set(setField.name, set);
    } else if (f.kind === "write") {
      tags.set(mvField.name, [f.value]);
    } else {
      const tag = (counterField as CrdtType<unknown, unknown>).name;
      tags.set(tag, ((tags.get(tag) as number | undefined) ?? 0) + f.amount);
    }
    next.set(op.name, tags);
    return next;
  };
  return at(model, op.path);
}

/** A canonical JSON form of a map value or a model, for comparing the two. */
export function canonical(view: OrMapValue | Model): string {
  const walk = (v: ReadonlyMap<string, ReadonlyMap<string, unknown>>): unknown =>
    [...v.keys()].sort().map((name) => {
      const tags = v.get(name) as ReadonlyMap<string, unknown>;
      return [name, [...tags.keys()].sort().map((tag) => [tag, leaf(tags.get(tag))])];
    });
  const leaf = (x: unknown): unknown => {
    if (x instanceof Map) return walk(x);
    if (x instanceof Set) return [...x].sort();
    if (Array.isArray(x)) return [...x].map((e) => JSON.stringify(e)).sort();
    return x;
  };
  return JSON.stringify(walk(view));
}
