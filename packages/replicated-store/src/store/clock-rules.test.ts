/**
 * Clock rules at the store (issue 11, items 6 and 7): a remote LWW entry stamped beyond this
 * replica's drift bound joins as data, never moves this replica's HLC, and never locks the key:
 * a local write over it wins, a delete removes it.
 */
import { compareHlc } from "@convergent/clocks";
import { describe, expect, test } from "vitest";
import type { Replica } from "./replica.js";
import { cluster } from "./test-support/cluster.js";

const HOUR = 3_600_000;

async function skewed() {
  // Replica a's wall clock runs an hour ahead; the default drift bound is far smaller.
  const c = await cluster(2, {
    perReplica: (i) => (i === 0 ? { now: () => 1_700_000_000_000 + HOUR } : {}),
  });
  const [a, b] = c.replicas as [Replica, Replica];
  return { c, a, b };
}

describe("remote timestamps beyond the drift bound", () => {
  test("a far-future register value arrives as data; a later local write wins without moving the HLC", async () => {
    const { c, a, b } = await skewed();
    await c.settle(a.register("r").set("from the future"));
    await c.run(500);
    expect((await c.settle(b.register("r").get())).value).toBe("from the future");
    const before = b.clock.peek();
    await c.settle(b.register("r").set("now"));
    expect(b.clock.peek().wallTime - before.wallTime).toBeLessThan(HOUR / 2);
    await c.run(500);
    for (const r of [a, b]) expect((await c.settle(r.register("r").get())).value).toBe("now");
  });

  test("an LWW map holding a far-future field can be deleted and written by others", async () => {
    const { c, a, b } = await skewed();
    await c.settle(a.map("m").set("f", "future"));
    await c.run(500);
    await c.settle(b.map("m").delete());
    await c.run(500);
    for (const r of [a, b]) expect((await c.settle(r.map("m").entries())).exists).toBe(false);
    await c.settle(b.map("m").set("f", "again"));
    await c.run(500);
    for (const r of [a, b]) {
      expect([...(await c.settle(r.map("m").entries())).value]).toEqual([["f", "again"]]);
    }
  });

  test("a write that throws leaves the HLC exactly as it was", async () => {
    const { c, b } = await skewed();
    const before = b.clock.peek();
    await expect(c.settle(b.register("r").set(Number.NaN as unknown as string))).rejects.toThrow();
    expect(compareHlc(b.clock.peek(), before)).toBe(0);
  });
});
