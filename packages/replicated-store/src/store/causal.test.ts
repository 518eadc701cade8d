/**
 * Causal delivery through the store: on a network that reorders (a slow link from a to c), an
 * effect written at b after reading a's cause must never be visible at c before the cause, to
 * subscribers or to reads at any level. The control run (causal: false) shows the anomaly.
 * Relays are off: b would otherwise forward the cause to c at once, ahead of its own effect.
 */
import type { ReplicaId } from "@convergent/clocks";
import { latency } from "@convergent/sync";
import { describe, expect, test } from "vitest";
import { storeKey } from "./keys.js";
import { cluster } from "./test-support/cluster.js";

async function scenario(causal: boolean) {
  const c = await cluster(3, { causal, sync: { gossip: { intervalMs: 2000 }, relay: false } });
  const [a, b, cc] = c.replicas as NonNullable<(typeof c.replicas)[0]>[];
  const [ia, , ic] = c.ids as [ReplicaId, ReplicaId, ReplicaId];
  c.network.setLink(ia, ic, { latency: latency.fixed(300) }, false);
  let effectWithoutCause = 0;
  cc!.subscribe(() => {
    const hasEffect = cc!.keyspace.has(storeKey("reply", "lww-register"));
    const hasCause = cc!.keyspace.has(storeKey("post", "lww-register"));
    if (hasEffect && !hasCause) effectWithoutCause += 1;
  });
  await c.settle(a!.register("post").set("hello"));
  await c.run(20);
  const seen = await c.settle(b!.register("post").get());
  expect(seen.value).toBe("hello");
  await c.settle(b!.register("reply").set("hi back"));
  await c.run(50);
  const early = await c.settle(cc!.register("reply").get());
  await c.run(600);
  return { c, cc: cc!, effectWithoutCause, early };
}

describe("causal delivery", () => {
  test("a reply is never visible before the post it answers", async () => {
    const { c, cc, effectWithoutCause, early } = await scenario(true);
    expect(early.exists).toBe(false); // the reply arrived first and was held back
    expect(effectWithoutCause).toBe(0);
    expect((await c.settle(cc.register("reply").get())).value).toBe("hi back");
    expect((await c.settle(cc.register("post").get())).value).toBe("hello");
  });

  test("control: without causal delivery the reply shows up first", async () => {
    const { effectWithoutCause, early } = await scenario(false);
    expect(early.value).toBe("hi back");
    expect(effectWithoutCause).toBeGreaterThan(0);
  });
});
