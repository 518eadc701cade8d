/**
 * The OR-Map through the store: a todo document (LWW title, done flag, OR-Set of tags, counter of
 * likes) edited on two partitioned replicas, with a field removed concurrently with an update.
 */
import type { ReplicaId } from "@convergent/clocks";
import { gCounter, increment } from "@convergent/g-counter";
import { lwwRegister, set } from "@convergent/lww-register";
import { fieldEntries, fieldValue, type OrMapValue, orMap, updateField } from "@convergent/or-map";
import { add, orSet } from "@convergent/or-set";
import { describe, expect, test } from "vitest";
import type { Replica } from "./replica.js";
import { cluster } from "./test-support/cluster.js";

describe("OR-Map handle", () => {
  test("a nested todo: concurrent like and title removal keep the like and drop the title", async () => {
    const c = await cluster(2);
    const [a, b] = c.replicas as [Replica, Replica];
    const [ia, ib] = c.ids as [ReplicaId, ReplicaId];
    const todos = a.orMap("todos");
    await c.settle(
      todos.update("todo-1", orMap, (todo, { replica, clock }) =>
        updateField(todo, replica, "title", lwwRegister, (t) => set(t, clock, "Buy milk")),
      ),
    );
    await c.settle(
      todos.update("todo-1", orMap, (todo, { replica }) =>
        updateField(todo, replica, "tags", orSet, (s) => add(s, replica, "errand")),
      ),
    );
    await c.run(300);
    c.network.partition([[ia], [ib]]);
    await c.run(5);
    await c.settle(
      b
        .orMap("todos")
        .update("todo-1", orMap, (todo, { replica }) =>
          updateField(todo, replica, "likes", gCounter, (n) => increment(n, replica)),
        ),
    );
    await c.settle(a.orMap("todos").removeField("todo-1", orMap));
    c.network.heal();
    await c.run(1000);
    for (const r of [a, b]) {
      const read = await c.settle(r.orMap("todos").value());
      expect(read.exists).toBe(true);
      const todo = fieldValue(read.value, "todo-1", orMap) as OrMapValue;
      expect(fieldEntries(todo)).toEqual([{ name: "likes", type: "g-counter", value: 1 }]);
    }
  });

  test("one field name as two types is two fields; the map key is its own (name, type) key", async () => {
    const c = await cluster(1);
    const [a] = c.replicas as [Replica];
    const doc = a.orMap("doc");
    await c.settle(doc.update("x", gCounter, (n, { replica }) => increment(n, replica, 2)));
    await c.settle(doc.update("x", orSet, (s, { replica }) => add(s, replica, "e")));
    await c.settle(a.register("doc").set("a register under the same name"));
    const read = await c.settle(doc.value());
    expect(fieldEntries(read.value).map((f) => f.type)).toEqual(["g-counter", "or-set"]);
    expect(a.list("doc")).toEqual([
      { key: "doc", type: "lww-register" },
      { key: "doc", type: "or-map" },
    ]);
    await c.settle(doc.delete());
    expect((await c.settle(doc.value())).exists).toBe(false);
    expect((await c.settle(a.register("doc").get())).exists).toBe(true);
  });
});
