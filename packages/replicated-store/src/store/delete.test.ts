import type { ReplicaId } from "@convergent/clocks";
import { describe, expect, test } from "vitest";
import { cluster } from "./test-support/cluster.js";

async function partitioned() {
  const c = await cluster(2);
  const [a, b] = c.replicas as [
    NonNullable<(typeof c.replicas)[0]>,
    NonNullable<(typeof c.replicas)[0]>,
  ];
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

describe("deleting a key by causal context", () => {
  test("a delete replicates: the key reads as absent everywhere", async () => {
    const { c, a, b } = await partitioned();
    await c.settle(a.set("s").add("x"));
    await c.run(100);
    const deleted = await c.settle(b.delete("s"));
    expect(deleted.version.length).toBeGreaterThan(0);
    await c.run(100);
    for (const r of [a, b]) {
      expect(await c.settle(r.set("s").values())).toMatchObject({
        exists: false,
        value: new Set(),
      });
    }
  });

  test("an add concurrent with a delete survives it; the deleted elements do not come back", async () => {
    const { c, a, b, split, heal } = await partitioned();
    await c.settle(a.set("s").add("old"));
    await c.run(100);
    await split();
    await c.settle(a.delete("s"));
    await c.settle(b.set("s").add("new"));
    await heal();
    for (const r of [a, b]) {
      const read = await c.settle(r.set("s").values());
      expect(read.exists).toBe(true);
      expect([...read.value]).toEqual(["new"]);
    }
  });

  test("a PN-Counter deleted concurrently with an increment keeps only the increment", async () => {
    const { c, a, b, split, heal } = await partitioned();
    await c.settle(a.counter("n").increment(10));
    await c.run(100);
    await split();
    await c.settle(a.delete("n"));
    expect((await c.settle(a.counter("n").value())).exists).toBe(false);
    await c.settle(b.counter("n").increment(1));
    await heal();
    for (const r of [a, b]) {
      expect(await c.settle(r.counter("n").value())).toMatchObject({ exists: true, value: 1 });
    }
  });

  test("a key written again after its delete exists again, with only the new write", async () => {
    const { c, a } = await partitioned();
    await c.settle(a.map("m").set("f", 1));
    await c.settle(a.delete("m"));
    await c.settle(a.map("m").set("g", 2));
    const read = await c.settle(a.map("m").entries());
    expect(read.exists).toBe(true);
    expect([...read.value]).toEqual([["g", 2]]);
  });

  test("subscribers see the delete as the key ceasing to exist", async () => {
    const { c, a, b } = await partitioned();
    const seen: [string, boolean][] = [];
    b.subscribeKey("r", (event) => seen.push([event.origin, event.exists]));
    await c.settle(a.register("r").set("v"));
    await c.run(100);
    await c.settle(a.delete("r"));
    await c.run(100);
    expect(seen[0]).toEqual(["remote", true]);
    expect(seen.at(-1)).toEqual(["remote", false]);
  });

  test("deleting a key never written does nothing", async () => {
    const { c, a } = await partitioned();
    const result = await c.settle(a.delete("nothing"));
    expect(result.version).toEqual([]);
    expect(result.dot).toBeUndefined();
    expect(a.keyspace.size).toBe(0);
  });
});
