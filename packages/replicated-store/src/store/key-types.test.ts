/**
 * Keys are (name, type) pairs (issue 11, items 2 and 8): one name created concurrently as two
 * types is two keys, so nothing can stall sync, and a delete never binds a name to a type.
 */
import type { ReplicaId } from "@convergent/clocks";
import { orSet } from "@convergent/or-set";
import { describe, expect, test } from "vitest";
import type { Replica } from "./replica.js";
import { cluster } from "./test-support/cluster.js";

describe("keys are (name, type)", () => {
  test("one name created as a counter and as a set while partitioned: two keys, and sync never stalls", async () => {
    const c = await cluster(2);
    const [a, b] = c.replicas as [Replica, Replica];
    const [ia, ib] = c.ids as [ReplicaId, ReplicaId];
    c.network.partition([[ia], [ib]]);
    await c.run(5);
    await c.settle(a.counter("x").increment(3));
    await c.settle(b.set("x").add("apple"));
    for (let i = 0; i < 20; i++) {
      await c.settle(a.counter(`a${i}`).increment(1));
      await c.settle(b.register(`b${i}`).set(i));
    }
    c.network.heal();
    await c.run(1000);
    for (const r of [a, b]) {
      expect(await c.settle(r.counter("x").value())).toMatchObject({ exists: true, value: 3 });
      expect([...(await c.settle(r.set("x").values())).value]).toEqual(["apple"]);
      expect(r.list("x")).toEqual([
        { key: "x", type: "or-set" },
        { key: "x", type: "pn-counter" },
      ]);
      expect(r.list()).toHaveLength(42);
    }
    // Nothing buffered or diverged: a write at `all` is confirmed by both replicas.
    await c.settle(a.counter("after").increment(1, { level: "all" }));
    expect(a.keyspace.context).toEqual(b.keyspace.context);
  });

  test("after a delete the name is free for any type, and the old total does not come back", async () => {
    const c = await cluster(1);
    const [a] = c.replicas as [Replica];
    await c.settle(a.gCounter("x").increment(10));
    await c.settle(a.delete("x"));
    await c.settle(a.set("x").add("e"));
    await c.settle(a.gCounter("x").increment(1));
    expect((await c.settle(a.gCounter("x").value())).value).toBe(1);
    expect(a.list()).toEqual([
      { key: "x", type: "g-counter" },
      { key: "x", type: "or-set" },
    ]);
  });

  test("subscribers of a name hear every type held under it", async () => {
    const c = await cluster(1);
    const [a] = c.replicas as [Replica];
    const tags: string[] = [];
    a.subscribeKey("x", (event) => tags.push(event.tag));
    await c.settle(a.counter("x").increment(1));
    await c.settle(a.set("x").add("e"));
    await c.settle(a.delete("x", { type: orSet }));
    expect(tags).toEqual(["pn-counter", "or-set", "or-set"]);
  });

  test("a peer cannot bind a name to another type's state: the keyspace refuses the pair", async () => {
    const c = await cluster(1);
    const [a] = c.replicas as [Replica];
    await c.settle(a.set("x").add("e"));
    const entry = a.keyspace.get("x\u0000or-set");
    expect(entry).toBeDefined();
    const forged = { key: "x\u0000pn-counter", tag: "or-set", state: entry?.state, dots: [] };
    expect(() => a.keyspace.applyRemote([forged])).toThrow(/names type "pn-counter"/);
    expect(() =>
      a.keyspace.applyRemote([{ ...forged, key: "\u0000deleted:x\u0000or-set" }]),
    ).toThrow(/reserved/);
    expect(a.list()).toEqual([{ key: "x", type: "or-set" }]);
  });
});
