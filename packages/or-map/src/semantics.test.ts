import { replicaId } from "@convergent/clocks";
import { InvalidArgumentError } from "@convergent/core";
import { increment } from "@convergent/g-counter";
import { write } from "@convergent/mv-register";
import { add, remove } from "@convergent/or-set";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { embedded, embeddedUpdate, isPresent, readEmbedded } from "./embedded.js";
import { createOrMap } from "./or-map.js";
import { MAX_OR_MAP_DEPTH, type OrMapState } from "./state.js";
import {
  applyOp,
  canonical,
  counterField,
  type MapOp,
  type Model,
  mapOps,
  mvField,
  setField,
  stepModel,
  testKit,
  testMap,
} from "./test-support.js";
import { fieldEntries, fieldValue, type OrMapValue } from "./view.js";

const alice = replicaId("alice");
const bob = replicaId("bob");
const { updateField, removeField } = testKit;

function run(state: OrMapState, replica: typeof alice, ops: readonly MapOp[]): OrMapState {
  let s = state;
  for (const op of ops) s = testMap.join(s, applyOp(testKit, s, replica, op));
  return s;
}

const model = (ops: readonly MapOp[]): Model => ops.reduce(stepModel, new Map() as Model);

describe("an update concurrent with a field remove survives with exactly its effect", () => {
  test("property: the merge reads as if the remove had come before the concurrent updates", () => {
    // A top-level remove only: a nested one also updates (so enables) the maps above it.
    const removes = mapOps.filter((op) => op.kind === "removeField" && op.path.length === 0);
    fc.assert(
      fc.property(
        fc.array(mapOps, { maxLength: 15 }),
        removes,
        fc.array(mapOps, { maxLength: 10 }),
        (history, removal, concurrent) => {
          const shared = run(new Map(), alice, history);
          const atBob = run(testMap.clone(shared), bob, [removal]);
          const atAlice = run(testMap.clone(shared), alice, concurrent);
          const merged = testMap.join(atAlice, atBob);
          expect(testMap.equals(merged, testMap.join(atBob, atAlice))).toBe(true);
          expect(canonical(testMap.value(merged))).toBe(
            canonical(model([...history, removal, ...concurrent])),
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  test("a set field keeps exactly the adds the remover had not seen", () => {
    let shared: OrMapState = new Map();
    for (const e of ["a", "b"]) {
      shared = testMap.join(
        shared,
        updateField(shared, alice, "tags", setField, (s) => add(s, alice, e)),
      );
    }
    const removal = removeField(shared, "tags", setField.name);
    let atAlice = shared;
    atAlice = testMap.join(
      atAlice,
      updateField(atAlice, alice, "tags", setField, (s) => add(s, alice, "c")),
    );
    atAlice = testMap.join(
      atAlice,
      updateField(atAlice, alice, "tags", setField, (s) => remove(s, alice, "a")),
    );
    const merged = testMap.join(testMap.join(shared, removal), atAlice);
    expect(fieldValue(testMap.value(merged), "tags", setField)).toEqual(new Set(["c"]));
  });

  test("a nested map keeps exactly the concurrent updates inside it", () => {
    const inTodo = (s: OrMapState, f: (todo: OrMapState) => OrMapState) =>
      testMap.join(s, updateField(s, alice, "todo", testMap, f));
    let shared: OrMapState = new Map();
    shared = inTodo(shared, (t) =>
      updateField(t, alice, "tags", setField, (s) => add(s, alice, "old")),
    );
    shared = inTodo(shared, (t) =>
      updateField(t, alice, "title", mvField, (s) => write(s, alice, "x")),
    );
    const removal = removeField(shared, "todo", testMap.name);
    const atAlice = inTodo(shared, (t) =>
      updateField(t, alice, "tags", setField, (s) => add(s, alice, "new")),
    );
    const merged = testMap.join(testMap.join(shared, removal), atAlice);
    const todo = fieldValue(testMap.value(merged), "todo", testMap) as OrMapValue;
    expect(fieldEntries(todo)).toEqual([
      { name: "tags", type: setField.name, value: new Set(["new"]) },
    ]);
  });

  test.skipIf(counterField === undefined)(
    "a counter field keeps exactly the concurrent increments",
    () => {
      const counter = counterField as NonNullable<typeof counterField>;
      const bump = (s: OrMapState, by: number, who = alice) =>
        testMap.join(
          s,
          updateField(s, who, "likes", counter, (c) => increment(c, who, by)),
        );
      const shared = bump(bump(new Map(), 3), 4, bob);
      const removal = removeField(shared, "likes", counter.name);
      const atAlice = bump(shared, 2);
      const merged = testMap.join(atAlice, testMap.join(shared, removal));
      expect(fieldValue(testMap.value(merged), "likes", counter)).toBe(2);
    },
  );
});

describe("fields are keyed by (name, type)", () => {
  test("concurrently creating a name as two types gives two fields, both listed", () => {
    const asSet = updateField(new Map(), alice, "x", setField, (s) => add(s, alice, "a"));
    const asRegister = updateField(new Map(), bob, "x", mvField, (s) => write(s, bob, 1));
    const merged = testMap.join(asSet, asRegister);
    const view = testMap.value(merged);
    expect(fieldEntries(view)).toEqual([
      { name: "x", type: mvField.name, value: [1] },
      { name: "x", type: setField.name, value: new Set(["a"]) },
    ]);
    // Removing one leaves the other.
    const after = testMap.join(merged, removeField(merged, "x", mvField.name));
    expect(fieldEntries(testMap.value(after)).map((e) => e.type)).toEqual([setField.name]);
  });

  test("add wins: a field updated concurrently with its remove stays, even by an empty update", () => {
    const shared = updateField(new Map(), alice, "x", setField, (s) => add(s, alice, "a"));
    const removal = removeField(shared, "x", setField.name);
    const touch = updateField(shared, bob, "x", setField, (s) => remove(s, bob, "zzz"));
    const merged = testMap.join(testMap.join(shared, removal), touch);
    expect(testKit.getField(merged, "x", setField)).toEqual({ exists: true, value: new Set() });
  });
});

describe("mutators", () => {
  test("an unregistered field type or a bad name is an InvalidArgumentError", () => {
    const stranger = Object.freeze({ ...setField });
    expect(() => updateField(new Map(), alice, "x", stranger, (s) => s)).toThrow(
      InvalidArgumentError,
    );
    expect(() => updateField(new Map(), alice, "\ud800", setField, (s) => s)).toThrow(
      InvalidArgumentError,
    );
    expect(() => updateField(new Map(), alice, 7 as unknown as string, setField, (s) => s)).toThrow(
      InvalidArgumentError,
    );
  });

  test("a type without reset cannot be embedded or held; duplicate tags are refused", () => {
    const { reset: _, ...withoutReset } = setField;
    const noReset = Object.freeze({ ...withoutReset, name: "plain" });
    expect(() => embedded(noReset)).toThrow(InvalidArgumentError);
    expect(() => createOrMap([noReset])).toThrow(InvalidArgumentError);
    expect(() => createOrMap([setField, Object.freeze({ ...setField })])).toThrow(
      InvalidArgumentError,
    );
    expect(() => createOrMap([Object.freeze({ ...setField, name: "or-map" })])).toThrow(
      InvalidArgumentError,
    );
  });

  test(`maps nest at most ${MAX_OR_MAP_DEPTH} deep`, () => {
    const nest = (s: OrMapState, depth: number): OrMapState =>
      depth === 1
        ? updateField(s, alice, "leaf", setField, (x) => add(x, alice, "a"))
        : updateField(s, alice, "m", testMap, (inner) => nest(inner, depth - 1));
    expect(() => nest(new Map(), MAX_OR_MAP_DEPTH)).not.toThrow();
    expect(() => nest(new Map(), MAX_OR_MAP_DEPTH + 1)).toThrow(InvalidArgumentError);
  });

  test("removing an absent field, or one already removed, is an empty delta", () => {
    const shared = updateField(new Map(), alice, "x", setField, (s) => add(s, alice, "a"));
    expect(removeField(shared, "y", setField.name).size).toBe(0);
    const removed = testMap.join(shared, removeField(shared, "x", setField.name));
    expect(removeField(removed, "x", setField.name).size).toBe(0);
    expect(testMap.reset(removed).size).toBe(0);
  });

  test("a removed field's next update continues its dots (no reuse)", () => {
    let s = updateField(new Map(), alice, "x", setField, (x) => add(x, alice, "a"));
    s = testMap.join(s, removeField(s, "x", setField.name));
    s = testMap.join(
      s,
      updateField(s, alice, "x", setField, (x) => add(x, alice, "a")),
    );
    expect(fieldValue(testMap.value(s), "x", setField)).toEqual(new Set(["a"]));
  });
});

describe("embedded", () => {
  const type = embedded(setField);
  test("same tag as the inner type, one embedding per type object", () => {
    expect(type.name).toBe(setField.name);
    expect(embedded(setField)).toBe(type);
  });

  test("exists and value; a delete reads as the inner empty value", () => {
    let entry = type.empty();
    expect(readEmbedded(setField, entry)).toEqual({ exists: false, value: new Set() });
    entry = type.join(entry, embeddedUpdate(entry, alice, add(entry.state, alice, "a")));
    expect(isPresent(entry)).toBe(true);
    expect(type.read(entry)).toEqual({ exists: true, value: new Set(["a"]) });
    entry = type.join(entry, type.reset(entry));
    expect(isPresent(entry)).toBe(false);
    expect(type.value(entry)).toEqual(new Set());
  });
});
