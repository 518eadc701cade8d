// The README example, with its printed results as assertions: if it stops compiling or stops
// reading as documented, this file fails.
import { HybridLogicalClock, replicaId } from "@convergent/clocks";
import { LocalReplica } from "@convergent/core";
import { gCounter, increment } from "@convergent/g-counter";
import { lwwRegister, set } from "@convergent/lww-register";
import { add, orSet } from "@convergent/or-set";
import { expect, test } from "vitest";
import {
  fieldEntries,
  fieldValue,
  type OrMapState,
  type OrMapValue,
  orMap,
  removeField,
  updateField,
} from "./index.js";

test("the README example runs as documented", () => {
  const alice = new LocalReplica(orMap, replicaId("alice"));
  const bob = new LocalReplica(orMap, replicaId("bob"));
  const clock = new HybridLogicalClock(alice.id);

  type Edit = (todo: OrMapState) => OrMapState;
  const editTodo = (replica: LocalReplica<OrMapState, OrMapValue>, edit: Edit) =>
    replica.update((doc, r) => updateField(doc, r, "todo-1", orMap, edit));

  bob.merge(
    editTodo(alice, (todo) => {
      const r = alice.id;
      let delta = updateField(todo, r, "title", lwwRegister, (t) => set(t, clock, "Buy milk"));
      delta = orMap.join(
        delta,
        updateField(todo, r, "done", lwwRegister, (d) => set(d, clock, false)),
      );
      return orMap.join(
        delta,
        updateField(todo, r, "tags", orSet, (s) => add(s, r, "errand")),
      );
    }),
  );
  const before = fieldValue(bob.value(), "todo-1", orMap) as OrMapValue;
  expect(fieldEntries(before).map((e) => [e.name, e.type])).toEqual([
    ["done", "lww-register"],
    ["tags", "or-set"],
    ["title", "lww-register"],
  ]);
  expect(fieldValue(before, "title", lwwRegister)).toBe("Buy milk");
  expect(fieldValue(before, "done", lwwRegister)).toBe(false);
  expect(fieldValue(before, "tags", orSet)).toEqual(new Set(["errand"]));

  const like = editTodo(bob, (todo) =>
    updateField(todo, bob.id, "likes", gCounter, (c) => increment(c, bob.id)),
  );
  const deletion = alice.update((doc) => removeField(doc, "todo-1", orMap.name));
  alice.merge(like);
  bob.merge(deletion);

  const todo = fieldValue(alice.value(), "todo-1", orMap) as OrMapValue;
  expect(fieldEntries(todo)).toEqual([{ name: "likes", type: "g-counter", value: 1 }]);
  expect(fieldValue(todo, "title", lwwRegister)).toBeUndefined();
  expect(orMap.equals(alice.state, bob.state)).toBe(true);
});
