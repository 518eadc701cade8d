import type { ReplicaId } from "@convergent/clocks";
import { InvalidArgumentError } from "@convergent/core";
import { describe, expect, test } from "vitest";
import { SessionTimeoutError } from "./errors.js";
import { decodeSessionToken, encodeSessionToken, Session } from "./session.js";
import { cluster } from "./test-support/cluster.js";

/** a, b, c with gossip off; c hears nothing from a unless it asks (a sync). */
/** No gossip and no relays: a lossy link leaves a replica behind until a session needs it. */
async function setup() {
  const c = await cluster(3, { sync: { gossip: false, relay: false } });
  const [ia, , ic] = c.ids as [ReplicaId, ReplicaId, ReplicaId];
  const [a, b, cc] = c.replicas as NonNullable<(typeof c.replicas)[0]>[];
  return { c, a: a!, b: b!, cc: cc!, ia, ic };
}

describe("session guarantees across replicas", () => {
  test("read-your-writes: a session moved to a replica without the write waits for it", async () => {
    const { c, a, cc, ia, ic } = await setup();
    // a's pushes to c are lost, so c only gets the write by pulling (the session's sync).
    c.network.setLink(ia, ic, { lossProbability: 1 }, false);
    const session = a.session();
    await c.settle(a.register("profile").set("v2", { session }));
    expect((await c.settle(cc.register("profile").get())).value).toBeUndefined();
    c.network.setLink(ia, ic, { lossProbability: 0 }, false);
    const read = await c.settle(cc.register("profile").get({ session }));
    expect(read.value).toBe("v2");
  });

  test("the wait times out with SessionTimeoutError while the replica cannot catch up", async () => {
    const { c, a, cc, ia, ic } = await setup();
    const session = new Session();
    c.network.partition([[ia], [ic, c.ids[1]!]]);
    await c.run(5);
    await c.settle(a.counter("n").increment(1, { session }));
    const read = c.settle(cc.counter("n").value({ session, timeoutMs: 400 }));
    await expect(read).rejects.toBeInstanceOf(SessionTimeoutError);
    c.network.heal();
    await c.run(10);
    expect((await c.settle(cc.counter("n").value({ session }))).value).toBe(1);
  });

  test("monotonic reads: after reading a value on one replica, a read elsewhere is not older", async () => {
    const { c, a, b, cc, ia, ic } = await setup();
    c.network.setLink(ia, ic, { lossProbability: 1 }, false);
    await c.settle(a.set("s").add("x"));
    await c.run(50);
    const session = b.session();
    const first = await c.settle(b.set("s").values({ session }));
    expect(first.value.has("x")).toBe(true);
    // c lacks x (a's push to it was lost); a plain read there would go back in time.
    expect((await c.settle(cc.set("s").values())).value.has("x")).toBe(false);
    c.network.setLink(ia, ic, { lossProbability: 0 }, false);
    const second = await c.settle(cc.set("s").values({ session }));
    expect(second.value.has("x")).toBe(true);
  });

  test("tokens travel as strings and are validated", async () => {
    const { c, a, cc, ia, ic } = await setup();
    c.network.setLink(ia, ic, { lossProbability: 1 }, false);
    const written = await c.settle(a.gCounter("g").increment(2));
    const text = encodeSessionToken(written.token);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    c.network.setLink(ia, ic, { lossProbability: 0 }, false);
    const session = cc.session(decodeSessionToken(text));
    expect((await c.settle(cc.gCounter("g").value({ session }))).value).toBe(2);
    expect(() => decodeSessionToken("not a token!")).toThrow(InvalidArgumentError);
    expect(() => decodeSessionToken("AAAA")).toThrow(InvalidArgumentError);
  });
});
