import { replicaId } from "@convergent/clocks";
import { defineCrdt, InvalidArgumentError } from "@convergent/core";
import { gCounter } from "@convergent/g-counter";
import { describe, expect, test } from "vitest";
import { memoryStorage } from "../storage/memory.js";
import type { ChangeEvent } from "./changes.js";
import { createReplica } from "./replica.js";
import { cluster, recordingMetrics } from "./test-support/cluster.js";

describe("typed handles", () => {
  test("counter, g-counter, set, register, map on one replica", async () => {
    const { replicas, settle } = await cluster(1);
    const r = replicas[0]!;
    await settle(r.counter("likes").increment(5));
    await settle(r.counter("likes").decrement(2));
    expect((await settle(r.counter("likes").value())).value).toBe(3);
    await settle(r.gCounter("views").increment());
    expect((await settle(r.gCounter("views").value())).value).toBe(1);
    await settle(r.set("tags").add("x"));
    await settle(r.set("tags").add("y"));
    await settle(r.set("tags").remove("x"));
    expect([...(await settle(r.set("tags").values())).value]).toEqual(["y"]);
    expect(await settle(r.set("tags").has("y"))).toMatchObject({ exists: true, value: true });
    await settle(r.register("title").set({ text: "hi" }));
    expect((await settle(r.register("title").get())).value).toEqual({ text: "hi" });
    await settle(r.map("profile").set("name", "ada"));
    await settle(r.map("profile").set("age", 36));
    await settle(r.map("profile").remove("age"));
    expect(await settle(r.map("profile").get("name"))).toMatchObject({
      exists: true,
      value: "ada",
    });
    expect((await settle(r.map("profile").get("none"))).value).toBeUndefined();
    expect([...(await settle(r.map("profile").entries())).value]).toEqual([["name", "ada"]]);
  });

  test("a read returns the key's version (its dots) and whether it exists", async () => {
    const { replicas, settle } = await cluster(1);
    const r = replicas[0]!;
    const absent = await settle(r.counter("c").value());
    expect(absent).toMatchObject({ value: 0, exists: false, version: [], siblings: false });
    const written = await settle(r.counter("c").increment());
    const read = await settle(r.counter("c").value());
    expect(read.exists).toBe(true);
    expect(read.version).toEqual([written.dot]);
    expect(written.version).toEqual([written.dot]);
  });

  test("concurrent MV-Register writes are siblings until resolved", async () => {
    const { network, ids, replicas, settle, run } = await cluster(2);
    const [a, b] = replicas as [
      NonNullable<(typeof replicas)[0]>,
      NonNullable<(typeof replicas)[0]>,
    ];
    network.partition([[ids[0]!], [ids[1]!]]);
    await run(5);
    await settle(a.mvRegister("doc").write("from a"));
    await settle(b.mvRegister("doc").write("from b"));
    network.heal();
    await run(500);
    const read = await settle(a.mvRegister("doc").values());
    expect(read.siblings).toBe(true);
    expect([...read.value].sort()).toEqual(["from a", "from b"]);
    await settle(a.mvRegister("doc").resolve((values) => values.join(" + ")));
    await run(500);
    const resolved = await settle(b.mvRegister("doc").values());
    expect(resolved).toMatchObject({ siblings: false, value: ["from a + from b"] });
  });

  test("generic update with a user type; its key is its own (name, type) pair", async () => {
    // A max register with an exact reset: a floor at the observed maximum.
    type Max = { max: number; floor: number };
    const maxRegister = defineCrdt<Max, number>({
      name: "max-register",
      empty: () => ({ max: 0, floor: 0 }),
      joinInto: (t, s) => {
        t.max = Math.max(t.max, s.max);
        t.floor = Math.max(t.floor, s.floor);
        return t;
      },
      leq: (a, b) => a.max <= b.max && a.floor <= b.floor,
      equals: (a, b) => a.max === b.max && a.floor === b.floor,
      clone: (s) => ({ ...s }),
      value: (s) => (s.max > s.floor ? s.max : 0),
      reset: (s) => ({ max: 0, floor: s.max }),
      wire: {
        version: 1,
        toWire: (s) => [s.max, s.floor],
        fromWire: (plain) => {
          const [max, floor] = plain as [number, number];
          return { max, floor };
        },
      },
    });
    const { replicas, settle, run } = await cluster(2, { types: [maxRegister] });
    await settle(replicas[0]!.update("high", maxRegister, () => ({ max: 7, floor: 0 })));
    await settle(replicas[1]!.update("high", maxRegister, () => ({ max: 3, floor: 0 })));
    await run(300);
    expect((await settle(replicas[1]!.read("high", maxRegister))).value).toBe(7);
    await settle(replicas[0]!.counter("high").increment());
    expect((await settle(replicas[0]!.read("high", maxRegister))).value).toBe(7);
    expect(replicas[0]!.list("high").map((k) => k.type)).toEqual(["max-register", "pn-counter"]);
    await settle(replicas[1]!.delete("high", { type: maxRegister }));
    await run(300);
    expect(await settle(replicas[0]!.read("high", maxRegister))).toMatchObject({
      exists: false,
      value: 0,
    });
  });

  test("a user type without a reset is refused unless `resets` gives one", async () => {
    const { reset: _, ...withoutReset } = gCounter;
    const plain = { ...withoutReset, name: "plain" };
    await expect(cluster(1, { types: [plain] })).rejects.toThrow(/has no reset/);
    const { replicas } = await cluster(1, {
      types: [plain],
      resets: { plain: (state) => gCounter.reset?.(state as never) },
    });
    expect(replicas[0]!.list()).toEqual([]);
  });

  test("bad keys and unregistered types are refused before anything changes", async () => {
    const { replicas } = await cluster(1);
    const r = replicas[0]!;
    expect(() => r.counter("\u0000deleted:x")).toThrow(InvalidArgumentError);
    expect(() => r.counter("")).toThrow(InvalidArgumentError);
    await expect(r.update("k", { ...gCounter, name: "other" }, (s) => s)).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(r.counter("k").increment(-1)).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(r.keyspace.size).toBe(0);
    await expect(r.counter("k").increment(1, { level: 7 })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
  });
});

describe("subscriptions", () => {
  test("per key and store-wide, for local and remote changes", async () => {
    const { replicas, settle, run } = await cluster(2);
    const [a, b] = replicas as [
      NonNullable<(typeof replicas)[0]>,
      NonNullable<(typeof replicas)[0]>,
    ];
    const all: ChangeEvent[] = [];
    const likes: ChangeEvent[] = [];
    b.subscribe((event) => all.push(event));
    const stop = b.subscribeKey("likes", (event) => likes.push(event));
    await settle(a.counter("likes").increment(2));
    await run(100);
    await settle(b.set("tags").add("t"));
    expect(likes).toEqual([
      { key: "likes", origin: "remote", exists: true, tag: "pn-counter", value: 2 },
    ]);
    expect(all.map((e) => [e.key, e.origin])).toEqual([
      ["likes", "remote"],
      ["tags", "local"],
    ]);
    stop();
    await settle(b.counter("likes").increment());
    expect(likes).toHaveLength(1);
    expect(all).toHaveLength(3);
  });
});

describe("metrics hooks", () => {
  test("reads, writes, traffic, syncs and sibling conflicts are reported", async () => {
    const metrics = recordingMetrics();
    const { network, ids, replicas, settle, run } = await cluster(2, { metrics });
    network.partition([[ids[0]!], [ids[1]!]]);
    await run(5);
    await settle(replicas[0]!.mvRegister("m").write(1));
    await settle(replicas[1]!.mvRegister("m").write(2));
    network.heal();
    await run(500);
    await settle(replicas[0]!.mvRegister("m").values());
    const kinds = new Set(metrics.calls.map(([name]) => name));
    expect([...kinds].sort()).toEqual(["conflict", "read", "synced", "traffic", "write"]);
    expect(metrics.calls).toContainEqual(["conflict", { key: "m", kind: "siblings" }]);
  });

  test("a concurrent LWW overwrite is reported by the replica whose write lost", async () => {
    const metrics = recordingMetrics();
    const { network, ids, replicas, settle, run } = await cluster(2, { metrics });
    network.partition([[ids[0]!], [ids[1]!]]);
    await run(5);
    await settle(replicas[0]!.register("r").set("a's"));
    await run(10);
    await settle(replicas[1]!.register("r").set("b's, later"));
    expect(metrics.calls.filter(([name]) => name === "conflict")).toEqual([]);
    network.heal();
    await run(500);
    const conflicts = metrics.calls.filter(([name]) => name === "conflict");
    expect(conflicts).toEqual([["conflict", { key: "r", kind: "lww-overwrite" }]]);
    expect((await settle(replicas[0]!.register("r").get())).value).toBe("b's, later");
  });

  test("LWW map fields: a concurrent overwrite is reported by the loser, lag for each new field", async () => {
    const metrics = recordingMetrics();
    const { network, ids, replicas, settle, run } = await cluster(2, { metrics });
    network.partition([[ids[0]!], [ids[1]!]]);
    await run(5);
    await settle(replicas[0]!.map("m").set("title", "a's"));
    await settle(replicas[0]!.map("m").set("only-a", 1));
    await run(10);
    await settle(replicas[1]!.map("m").set("title", "b's, later"));
    expect(metrics.calls.filter(([name]) => name === "conflict")).toEqual([]);
    network.heal();
    await run(500);
    const conflicts = metrics.calls.filter(([name]) => name === "conflict");
    expect(conflicts).toEqual([["conflict", { key: "m", kind: "lww-overwrite" }]]);
    const applied = metrics.calls.filter(([name]) => name === "applied");
    // b applies a's only-a (a's title lost to b's there), a applies b's title: one lag sample
    // per field whose winning entry changed.
    expect(applied.map(([, info]) => (info as { key: string }).key)).toEqual(["m", "m"]);
  });

  test("replication lag is reported for LWW writes from the HLC timestamps", async () => {
    const metrics = recordingMetrics();
    const { replicas, settle, run } = await cluster(2, { metrics });
    await settle(replicas[0]!.register("r").set("v"));
    await run(50);
    const applied = metrics.calls.filter(([name]) => name === "applied");
    expect(applied).toHaveLength(1);
    const info = applied[0]![1] as { origin: string; lagMs: number };
    expect(info.origin).toBe("a");
    expect(info.lagMs).toBeGreaterThan(0);
    expect(info.lagMs).toBeLessThan(20);
  });

  test("a replica can be created without a network peer list", async () => {
    const { SimulatedNetwork } = await import("@convergent/sync");
    const network = new SimulatedNetwork({ seed: 3 });
    const r = await createReplica({
      id: "solo",
      transport: network.transport(replicaId("solo")),
      storage: memoryStorage(),
      scheduler: network.scheduler,
    });
    await r.counter("c").increment(1, { level: "all" });
    expect((await r.counter("c").value({ level: "quorum" })).value).toBe(1);
    await r.close();
  });
});
