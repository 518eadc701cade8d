/**
 * Random workloads on 3 replicas under partitions, loss and reordering: every write resolved or
 * timed out (never rolled back) is counted, every quorum read after a quorum write must see it,
 * and after healing every replica converges to every write.
 */
import type { ReplicaId } from "@convergent/clocks";
import { latency } from "@convergent/sync";
import { expect, test } from "vitest";
import { ConsistencyTimeoutError } from "./errors.js";
import type { ConsistencyLevel } from "./levels.js";
import { cluster } from "./test-support/cluster.js";

const LEVELS: readonly ConsistencyLevel[] = ["one", "quorum", "all", 2];

test.each([1, 2, 3, 4, 5, 6])(
  "seed %i: quorum reads see quorum writes, and all converge",
  async (seed) => {
    let state = seed * 7919;
    const random = () => {
      state = (state * 48271) % 2147483647;
      return state / 2147483647;
    };
    const c = await cluster(3, { timeoutMs: 300, sync: { gossip: { intervalMs: 100 } } }, seed);
    c.network.setDefaultLink({ latency: latency.uniform(1, 40), lossProbability: 0.05 });
    const ids = c.ids as readonly ReplicaId[];
    let total = 0;
    let quorumTotal = 0;
    for (let step = 0; step < 40; step++) {
      const roll = random();
      if (roll < 0.1) {
        const cut = ids[Math.floor(random() * 3)] as ReplicaId;
        c.network.partition([[cut], ids.filter((id) => id !== cut)]);
      } else if (roll < 0.2) c.network.heal();
      const writer = c.replicas[Math.floor(random() * 3)]!;
      const level = LEVELS[Math.floor(random() * LEVELS.length)] as ConsistencyLevel;
      const amount = 1 + Math.floor(random() * 5);
      total += amount;
      try {
        await c.settle(writer.counter("n").increment(amount, { level }));
        if (level === "quorum" || level === "all" || level === 2) quorumTotal += amount;
      } catch (error) {
        expect(error).toBeInstanceOf(ConsistencyTimeoutError);
      }
      if (random() < 0.3) {
        const reader = c.replicas[Math.floor(random() * 3)]!;
        try {
          const read = await c.settle(reader.counter("n").value({ level: "quorum" }));
          // Every increment acknowledged by a quorum is in every quorum read (counters only grow).
          expect(read.value).toBeGreaterThanOrEqual(quorumTotal);
        } catch (error) {
          expect(error).toBeInstanceOf(ConsistencyTimeoutError);
        }
      }
    }
    c.network.heal();
    c.network.setDefaultLink({ lossProbability: 0 });
    await c.run(3000);
    for (const r of c.replicas) expect((await c.settle(r.counter("n").value())).value).toBe(total);
  },
);
