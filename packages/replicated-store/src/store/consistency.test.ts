/**
 * Consistency levels on a simulated 3-replica cluster in virtual time. Each test is built so it
 * fails when the guarantee is broken: the replica that reads lacks the write unless the level
 * made it fetch or wait for it (a control read at `one` shows the gap).
 */
import type { ReplicaId } from "@convergent/clocks";
import { describe, expect, test } from "vitest";
import { memoryStorage } from "../storage/memory.js";
import type { StorageAdapter } from "../storage/storage.js";
import { ConsistencyTimeoutError } from "./errors.js";
import { cluster } from "./test-support/cluster.js";

/** Cuts the links into `to` from every replica in `from`, one way, for pushes and gossip alike. */
function deafen(c: Awaited<ReturnType<typeof cluster>>, to: ReplicaId, from: readonly ReplicaId[]) {
  for (const f of from) c.network.setLink(f, to, { lossProbability: 1 }, false);
}

describe("writes", () => {
  test("quorum write on the majority side, then a quorum read from another majority replica sees it", async () => {
    // N = 5, e cut off. d never hears a (pushes from a are lost), so it lacks the write unless
    // the quorum read fetches it from the replicas that acknowledged it (no relays, which would
    // bring it over b or c).
    const c = await cluster(5, { sync: { gossip: false, relay: false } });
    const [a, , , d] = c.replicas;
    const [ia, ib, ic, id, ie] = c.ids as [ReplicaId, ReplicaId, ReplicaId, ReplicaId, ReplicaId];
    c.network.partition([[ia, ib, ic, id], [ie]]);
    c.network.setLink(ia, id, { lossProbability: 1 }, false);
    await c.run(5);
    const write = await c.settle(a!.counter("x").increment(4, { level: "quorum" }));
    expect(write.version).toEqual([write.dot]);
    expect((await c.settle(d!.counter("x").value())).value).toBe(0);
    const read = await c.settle(d!.counter("x").value({ level: "quorum" }));
    expect(read).toMatchObject({ value: 4, exists: true, version: [write.dot] });
  });

  test("a quorum write is not confirmed by a replica whose storage has not committed", async () => {
    // b's storage never commits: it applies the push in memory, but its acknowledgement is held
    // by the output gate, so a's write at `all` must time out even though b "has" the update.
    let release: () => void = () => {};
    const stuck = new Promise<void>((resolve) => {
      release = resolve;
    });
    const c = await cluster(2, { sync: { gossip: false } });
    const inner = memoryStorage({ disk: c.disks[1]! });
    const hanging: StorageAdapter = {
      load: () => inner.load(),
      write: async (batch) => {
        await stuck;
        return inner.write(batch);
      },
      close: () => inner.close(),
      get commits() {
        return inner.commits;
      },
    };
    const b = await c.restart(1, hanging);
    await c.run(50);
    const write = c.settle(
      c.replicas[0]!.counter("x").increment(1, { level: "all", timeoutMs: 500 }),
    );
    await expect(write).rejects.toBeInstanceOf(ConsistencyTimeoutError);
    expect((await b.counter("x").value()).value).toBe(1);
    release();
    const again = await c.settle(c.replicas[0]!.counter("x").increment(1, { level: "all" }));
    expect(again.dot.counter).toBeGreaterThan(1);
  });

  test("`all` times out under a partition with the typed error, and the write still propagates after heal", async () => {
    const c = await cluster(3);
    const [a, , cc] = c.replicas;
    const [ia, ib, ic] = c.ids as [ReplicaId, ReplicaId, ReplicaId];
    c.network.partition([[ia, ib], [ic]]);
    await c.run(5);
    let error: unknown;
    try {
      await c.settle(a!.set("s").add("v", { level: "all", timeoutMs: 800 }));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConsistencyTimeoutError);
    expect(error).toMatchObject({
      code: "CONSISTENCY_TIMEOUT",
      operation: "write",
      appliedLocally: true,
      required: 3,
      confirmed: ["a", "b"],
    });
    expect((error as Error).message).toMatch(
      /applied and durable locally and is still propagating/,
    );
    expect((await c.settle(a!.set("s").values())).value.has("v")).toBe(true);
    expect((await c.settle(cc!.set("s").values())).value.has("v")).toBe(false);
    c.network.heal();
    await c.run(1000);
    expect((await c.settle(cc!.set("s").values())).value.has("v")).toBe(true);
  });

  test("a numeric level W counts self: W = 2 resolves with one peer reachable, W = 3 does not", async () => {
    const c = await cluster(3, { sync: { gossip: false } });
    const [ia, ib, ic] = c.ids as [ReplicaId, ReplicaId, ReplicaId];
    c.network.partition([[ia, ib], [ic]]);
    await c.run(5);
    await c.settle(c.replicas[0]!.counter("n").increment(1, { level: 2 }));
    await expect(
      c.settle(c.replicas[0]!.counter("n").increment(1, { level: 3, timeoutMs: 300 })),
    ).rejects.toMatchObject({ code: "CONSISTENCY_TIMEOUT", required: 3 });
  });
});

describe("reads", () => {
  test("R + W > N: a read at quorum after a quorum write sees it, where a read at one does not", async () => {
    const c = await cluster(3, { sync: { gossip: false } });
    const [a, , cc] = c.replicas;
    const [ia, ib, ic] = c.ids as [ReplicaId, ReplicaId, ReplicaId];
    deafen(c, ic, [ia, ib]); // c hears nothing: only what it fetches can reach it
    c.network.setLink(ic, ia, { lossProbability: 1 }, false); // ... and only b answers it
    await c.settle(a!.register("r").set("written", { level: "quorum" }));
    c.network.setLink(ib, ic, { lossProbability: 0 }, false);
    const one = await c.settle(cc!.register("r").get());
    expect(one.value).toBeUndefined();
    const quorum = await c.settle(cc!.register("r").get({ level: "quorum" }));
    expect(quorum).toMatchObject({ value: "written", exists: true });
    expect(ib).toBe("b");
  });

  test("a quorum read whose local state already wins still reports the write it saw in its version", async () => {
    // c never hears a's quorum write, then writes the register itself later (a greater HLC), so
    // its state dominates b's answer. The read saw a's write through b: its version (and token)
    // must include a's dot, not only c's own.
    const c = await cluster(3, { sync: { gossip: false } });
    const [a, , cc] = c.replicas;
    const [ia, ib, ic] = c.ids as [ReplicaId, ReplicaId, ReplicaId];
    deafen(c, ic, [ia, ib]);
    c.network.setLink(ic, ia, { lossProbability: 1 }, false); // only b answers c
    const write = await c.settle(a!.register("r").set("older", { level: "quorum" }));
    await c.run(10);
    const own = await c.settle(cc!.register("r").set("newer"));
    c.network.setLink(ib, ic, { lossProbability: 0 }, false);
    const one = await c.settle(cc!.register("r").get());
    expect(one.version).toEqual([own.dot]);
    const quorum = await c.settle(cc!.register("r").get({ level: "quorum" }));
    expect(quorum.value).toBe("newer");
    expect(quorum.version).toEqual([write.dot, own.dot]);
    expect(quorum.token.context.versionVector.get(ia)).toBe(write.dot.counter);
  });

  test("a read at all repairs the stale replicas", async () => {
    const c = await cluster(3, { sync: { gossip: false, push: false, syncOnConnect: false } });
    const [a, b, cc] = c.replicas;
    await c.settle(a!.counter("k").increment(3));
    await c.settle(b!.counter("k").increment(4));
    const read = await c.settle(cc!.counter("k").value({ level: "all" }));
    expect(read.value).toBe(7);
    await c.run(50);
    for (const r of [a!, b!]) expect((await c.settle(r.counter("k").value())).value).toBe(7);
  });

  test("a read at quorum with no peer reachable times out with the typed error", async () => {
    const c = await cluster(3);
    const [ia, ib, ic] = c.ids as [ReplicaId, ReplicaId, ReplicaId];
    c.network.partition([[ia], [ib, ic]]);
    await c.run(5);
    await expect(
      c.settle(c.replicas[0]!.counter("k").value({ level: "quorum" })),
    ).rejects.toMatchObject({
      code: "CONSISTENCY_TIMEOUT",
      operation: "read",
      confirmed: ["a"],
    });
  });
});
