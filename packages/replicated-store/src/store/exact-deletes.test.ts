/**
 * Deletes are the join of what they observed (issue 11, items 1, 3, 5 and 8): each scenario
 * partitions two or three replicas, deletes and updates concurrently, heals, and checks every
 * replica reads exactly the effect of the updates the delete had not seen.
 */
import type { ReplicaId } from "@convergent/clocks";
import { gCounter } from "@convergent/g-counter";
import { describe, expect, test } from "vitest";
import { SessionTimeoutError } from "./errors.js";
import type { ReadOptions, Replica } from "./replica.js";
import { cluster } from "./test-support/cluster.js";

async function pair() {
  const c = await cluster(2);
  const [a, b] = c.replicas as [Replica, Replica];
  const [ia, ib] = c.ids as [ReplicaId, ReplicaId];
  const split = async () => {
    c.network.partition([[ia], [ib]]);
    await c.run(5);
  };
  const heal = async () => {
    c.network.heal();
    await c.run(1000);
  };
  return { c, a, b, split, heal };
}

describe("a delete is the join of what it observed", () => {
  test("two concurrent deletes of a PN-Counter both saw 10: a later +1 reads 1, not -9", async () => {
    const { c, a, b, split, heal } = await pair();
    await c.settle(a.counter("n").increment(10));
    await c.run(100);
    await split();
    await c.settle(a.counter("n").delete());
    await c.settle(b.counter("n").delete());
    await heal();
    for (const r of [a, b]) {
      expect(await c.settle(r.counter("n").value())).toMatchObject({ exists: false, value: 0 });
    }
    await c.settle(b.counter("n").increment(1));
    await c.run(500);
    for (const r of [a, b]) {
      expect(await c.settle(r.counter("n").value())).toMatchObject({ exists: true, value: 1 });
    }
  });

  test("a PN-Counter deleted concurrently with increments keeps exactly those increments", async () => {
    const { c, a, b, split, heal } = await pair();
    await c.settle(a.counter("n").increment(10));
    await c.settle(b.counter("n").decrement(4));
    await c.run(100);
    await split();
    await c.settle(a.counter("n").delete());
    await c.settle(b.counter("n").delete());
    await c.settle(b.counter("n").increment(3));
    await c.settle(a.counter("n").decrement(1));
    await heal();
    for (const r of [a, b]) {
      expect(await c.settle(r.counter("n").value())).toMatchObject({ exists: true, value: 2 });
    }
  });

  test("G-Counter: 10, delete, +1 reads 1 on the same replica and everywhere", async () => {
    const { c, a, b } = await pair();
    await c.settle(a.gCounter("g").increment(10));
    await c.settle(a.gCounter("g").delete());
    await c.settle(a.gCounter("g").increment(1));
    await c.run(500);
    for (const r of [a, b]) {
      expect(await c.settle(r.gCounter("g").value())).toMatchObject({ exists: true, value: 1 });
    }
  });

  test("LWW register: delete then set reads only the new value; a delete never brings the old back", async () => {
    const { c, a, b, split, heal } = await pair();
    await c.settle(a.register("r").set("old"));
    await c.run(100);
    await split();
    await c.settle(a.register("r").delete());
    await c.settle(b.register("r").delete());
    await heal();
    for (const r of [a, b]) {
      expect(await c.settle(r.register("r").get())).toMatchObject({ exists: false });
    }
    await c.settle(b.register("r").set("new"));
    await c.run(500);
    for (const r of [a, b]) {
      expect(await c.settle(r.register("r").get())).toMatchObject({ exists: true, value: "new" });
    }
  });

  test("LWW map: a concurrent write to a field that already existed survives the delete", async () => {
    const { c, a, b, split, heal } = await pair();
    await c.settle(a.map("todo").set("title", "draft"));
    await c.settle(a.map("todo").set("done", false));
    await c.run(100);
    await split();
    await c.settle(a.map("todo").delete());
    await c.settle(b.map("todo").set("title", "final"));
    await heal();
    for (const r of [a, b]) {
      const read = await c.settle(r.map("todo").entries());
      expect(read.exists).toBe(true);
      expect([...read.value]).toEqual([["title", "final"]]);
    }
  });

  test("OR-Set: an add concurrent with a delete survives it; the deleted elements do not come back", async () => {
    const { c, a, b, split, heal } = await pair();
    await c.settle(a.set("s").add("old"));
    await c.run(100);
    await split();
    await c.settle(a.set("s").delete());
    await c.settle(b.set("s").add("new"));
    await heal();
    for (const r of [a, b]) {
      const read = await c.settle(r.set("s").values());
      expect(read.exists).toBe(true);
      expect([...read.value]).toEqual(["new"]);
    }
  });

  test("MV register: a write concurrent with a delete is the only sibling left", async () => {
    const { c, a, b, split, heal } = await pair();
    await c.settle(a.mvRegister("m").write("old"));
    await c.run(100);
    await split();
    await c.settle(a.mvRegister("m").delete());
    await c.settle(b.mvRegister("m").write("new"));
    await heal();
    for (const r of [a, b]) {
      expect(await c.settle(r.mvRegister("m").values())).toMatchObject({
        exists: true,
        value: ["new"],
        siblings: false,
      });
    }
  });

  test("subscribers see a delete as the key ceasing to exist", async () => {
    const { c, a, b } = await pair();
    const seen: [string, string, boolean][] = [];
    b.subscribeKey("r", (event) => seen.push([event.origin, event.tag, event.exists]));
    await c.settle(a.register("r").set("v"));
    await c.run(100);
    await c.settle(a.delete("r"));
    await c.run(100);
    expect(seen[0]).toEqual(["remote", "lww-register", true]);
    expect(seen.at(-1)).toEqual(["remote", "lww-register", false]);
  });

  test("deleting a key never written writes nothing", async () => {
    const { c, a } = await pair();
    const result = await c.settle(a.delete("nothing"));
    expect(result.version).toEqual([]);
    expect(result.dot).toBeUndefined();
    expect(a.keyspace.size).toBe(0);
  });

  test("deleting an already deleted key writes nothing new", async () => {
    const { c, a } = await pair();
    await c.settle(a.set("s").add("x"));
    const first = await c.settle(a.delete("s"));
    const second = await c.settle(a.delete("s"));
    expect(first.dot).toBeDefined();
    expect(second.dot).toBeUndefined();
    expect(second.version).toEqual(first.version);
  });
});

type Read = (r: Replica, options: ReadOptions) => Promise<{ readonly exists: boolean }>;

describe("session tokens carry deletes", () => {
  const cases: [
    string,
    (r: Replica) => Promise<unknown>,
    (r: Replica) => Promise<unknown>,
    Read,
  ][] = [
    [
      "G-Counter",
      (r) => r.gCounter("k").increment(5),
      (r) => r.gCounter("k").delete(),
      (r, o) => r.gCounter("k").value(o),
    ],
    [
      "LWW register",
      (r) => r.register("k").set("v"),
      (r) => r.register("k").delete(),
      (r, o) => r.register("k").get(o),
    ],
  ];
  test.each(cases)(
    "%s read as deleted never reads the old value on a replica that missed the delete",
    async (_, write, remove, read) => {
      const c = await cluster(3);
      const [a, b, cc] = c.replicas as [Replica, Replica, Replica];
      const [ia, ib, ic] = c.ids as [ReplicaId, ReplicaId, ReplicaId];
      await c.settle(write(a));
      await c.run(500);
      c.network.partition([[ia, ib], [ic]]);
      await c.run(5);
      await c.settle(remove(a));
      await c.run(500);
      const session = b.session();
      expect((await c.settle(read(b, { session }))).exists).toBe(false);
      await expect(c.settle(read(cc, { session, timeoutMs: 200 }))).rejects.toBeInstanceOf(
        SessionTimeoutError,
      );
      c.network.heal();
      await c.run(1000);
      expect((await c.settle(read(cc, { session }))).exists).toBe(false);
    },
  );
});

describe("deleting by type", () => {
  test("delete with a type deletes only that type's key under the name", async () => {
    const { c, a } = await pair();
    await c.settle(a.gCounter("x").increment(2));
    await c.settle(a.set("x").add("e"));
    await c.settle(a.delete("x", { type: gCounter }));
    expect(a.list()).toEqual([{ key: "x", type: "or-set" }]);
    await c.settle(a.delete("x"));
    expect(a.list()).toEqual([]);
  });
});
