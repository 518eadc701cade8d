/**
 * Delta storage (issue 13): a write to a large key appends its delta, not the key's state; the
 * deltas fold into the state once they outgrow it; a restart joins the state with its deltas,
 * also when it crashed with deltas unfolded or in the middle of a fold.
 */
import { DecodeError, InvalidArgumentError } from "@convergent/core";
import { describe, expect, test } from "vitest";
import { storeKey } from "./keys.js";
import { cluster } from "./test-support/cluster.js";

const KEY = storeKey("big", "or-set");

function bytesOf(rows: readonly Uint8Array[] | undefined): number {
  let total = 0;
  for (const row of rows ?? []) total += row.length;
  return total;
}

describe("delta rows", () => {
  test("a write to a large set appends a small delta row and leaves the state row alone", async () => {
    const c = await cluster(1);
    const a = c.replicas[0]!;
    const disk = c.disks[0]!;
    const set = a.set("big");
    // Issued in one turn: one commit, the key's first row its whole state.
    await c.settle(Promise.all(Array.from({ length: 2000 }, (_, i) => set.add(`element-${i}`))));
    const stateRow = disk.entries.get(KEY);
    expect(stateRow?.length).toBeGreaterThan(10_000);
    expect(disk.deltas.has(KEY)).toBe(false);
    await c.settle(a.set("big").add("one more"));
    expect(disk.entries.get(KEY)).toBe(stateRow);
    const rows = disk.deltas.get(KEY) ?? [];
    expect(rows).toHaveLength(1);
    expect(rows[0]?.length).toBeLessThan(200);
  });

  test("deltas fold into the state once they outgrow it, in a later write", async () => {
    const c = await cluster(1);
    const a = c.replicas[0]!;
    const disk = c.disks[0]!;
    for (let i = 0; i < 40; i++) await c.settle(a.set("big").add(`seed-${i}`));
    const folds: number[] = [];
    let stateRow = disk.entries.get(KEY);
    for (let i = 0; i < 300; i++) {
      await c.settle(a.set("big").add(`element-${i}`));
      await c.run(1); // the fold runs in a later turn
      const state = disk.entries.get(KEY);
      if (state !== stateRow) folds.push(i);
      stateRow = state;
      // Never more delta bytes than the state row, plus the write that crossed it.
      expect(bytesOf(disk.deltas.get(KEY))).toBeLessThanOrEqual((state?.length ?? 0) + 200);
    }
    expect(folds.length).toBeGreaterThan(1);
    const restarted = await c.restart(0);
    const values = (await c.settle(restarted.set("big").values())).value;
    expect(values.size).toBe(340);
  });

  test("a restart joins the state with its deltas: nothing acknowledged is lost", async () => {
    const c = await cluster(1, { wholeStateBytes: 0 });
    const a = c.replicas[0]!;
    await c.settle(a.counter("n").increment(1));
    for (let i = 0; i < 5; i++) {
      await c.settle(a.counter("n").increment(1));
      await c.settle(a.set("s").add(`x${i}`));
    }
    await c.settle(a.set("s").remove("x0"));
    expect(c.disks[0]!.deltas.size).toBeGreaterThan(0);
    const dots = a.keyspace.dotsOf(storeKey("s", "or-set"));
    const restarted = await c.restart(0);
    expect((await c.settle(restarted.counter("n").value())).value).toBe(6);
    expect([...(await c.settle(restarted.set("s").values())).value].sort()).toEqual([
      "x1",
      "x2",
      "x3",
      "x4",
    ]);
    expect(restarted.keyspace.dotsOf(storeKey("s", "or-set"))).toEqual(dots);
    // And it goes on from there, to a peer too.
    await c.settle(restarted.set("s").add("after"));
    const again = await c.restart(0);
    expect((await c.settle(again.set("s").values())).value.has("after")).toBe(true);
  });

  test("remote deltas are stored as delta rows on the receiving replica too", async () => {
    const c = await cluster(2, { wholeStateBytes: 0 });
    const a = c.replicas[0]!;
    const set = a.set("s");
    await c.settle(Promise.all(Array.from({ length: 30 }, (_, i) => set.add(`first-${i}`))));
    await c.run(100);
    await c.settle(a.set("s").add("second"));
    await c.run(100);
    expect(c.disks[1]!.deltas.get(storeKey("s", "or-set"))?.length).toBeGreaterThan(0);
    const restarted = await c.restart(1);
    const values = (await c.settle(restarted.set("s").values())).value;
    expect(values.size).toBe(31);
    expect(values.has("second")).toBe(true);
  });

  test("a delta row filed under another key, or unreadable, refuses the open", async () => {
    const c = await cluster(1, { wholeStateBytes: 0 });
    const a = c.replicas[0]!;
    await c.settle(a.set("s").add("x"));
    await c.settle(a.set("s").add("y"));
    const disk = c.disks[0]!;
    const row = disk.deltas.get(storeKey("s", "or-set"))?.[0] as Uint8Array;
    disk.deltas.set(storeKey("other", "or-set"), [row]);
    await expect(c.restart(0)).rejects.toThrow(InvalidArgumentError);
    disk.deltas.set(storeKey("other", "or-set"), [row.subarray(0, row.length - 2)]);
    await expect(c.restart(0)).rejects.toThrow(DecodeError);
  });
});
