/**
 * In-process write workloads of the store (issue 13, items 1-4): awaited OR-Set adds against
 * small and large sets, filling a set with concurrent adds, bytes on the wire per add, and
 * concurrent counter increments on memory and SQLite storage. Two replicas on the simulated
 * network; the writer's peer receives and acknowledges every push.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { orSet } from "@convergent/or-set";
import { memoryStorage, type StorageAdapter } from "@convergent/replicated-store";
import { sqliteStorage } from "@convergent/replicated-store/node";
import { median } from "../harness.js";
import {
  prefillSet,
  type ReplicaPair,
  replicaPair,
  setSize,
  waitFor,
  yieldToLoop,
} from "./store-cluster.js";

const SET = "set";

/** Elements the peer holds in the set (its live state: no copy). */
const peerSize = (pair: ReplicaPair, key = SET): number =>
  pair.peer.stateOf(key, orSet)?.entries.size ?? 0;

export interface AwaitedAdds {
  /** Median over runs of each run's median latency of one awaited `add`. */
  readonly medianMs: number;
  /**
   * Wall time of the whole sequential loop per add: the replication it triggers included, on
   * both replicas (they share this process).
   */
  readonly wallMsPerAdd: number;
  /** Adds timed over all runs. */
  readonly adds: number;
}

/**
 * `runs` times: a fresh pair, a set of `size` elements synced to the peer, then up to `adds`
 * awaited adds one after another, each timed alone; between adds the event loop runs (pushes,
 * acks). A run stops early, after at least 10 adds, once its adds took `budgetMs` of wall time.
 */
export async function awaitedAdds(
  size: number,
  adds: number,
  runs: number,
  budgetMs: number,
): Promise<AwaitedAdds> {
  const medians: number[] = [];
  const walls: number[] = [];
  const counts: number[] = [];
  for (let run = 0; run < runs; run++) {
    const pair = await replicaPair();
    try {
      await prefillSet(pair.writer, SET, size);
      await waitFor(() => peerSize(pair) === size, 30_000, `the peer to hold ${size} elements`);
      const handle = pair.writer.set(SET);
      for (let i = 0; i < 5; i++) await handle.add(`warm-up-${i}`); // JIT, not timed
      await yieldToLoop();
      const times: number[] = [];
      const loopStart = performance.now();
      for (let i = 0; i < adds; i++) {
        if (i >= 10 && performance.now() - loopStart > budgetMs) break;
        const start = performance.now();
        await handle.add(`added-${i}`);
        times.push(performance.now() - start);
        await yieldToLoop();
      }
      walls.push((performance.now() - loopStart) / times.length);
      medians.push(median(times));
      counts.push(times.length);
      if ((await setSize(pair.writer, SET)) !== size + times.length + 5) throw new Error("lost");
    } finally {
      await pair.close();
    }
  }
  return {
    medianMs: median(medians),
    wallMsPerAdd: median(walls),
    adds: counts.reduce((a, b) => a + b, 0),
  };
}

export interface Fill {
  /** Until every add resolved (or until the cap stopped the run). */
  readonly ms: number;
  readonly added: number;
  readonly capped: boolean;
  /** Until the peer held every element added, or undefined if it did not within the cap. */
  readonly replicatedMs: number | undefined;
}

/**
 * Fills an empty set to `n` elements with `inFlight` concurrent adds at a time (Promise.all per
 * batch, the event loop running between batches). Stops early, before a batch that would end
 * past `capMs` if it took as long as the one before (batches only get slower as the set grows).
 */
export async function fillSet(n: number, inFlight: number, capMs: number): Promise<Fill> {
  const pair = await replicaPair();
  try {
    const handle = pair.writer.set(SET);
    const start = performance.now();
    let added = 0;
    let lastBatchMs = 0;
    while (added < n && performance.now() - start + lastBatchMs <= capMs) {
      const batchStart = performance.now();
      const end = Math.min(n, added + inFlight);
      const batch: Promise<unknown>[] = [];
      for (let i = added; i < end; i++) batch.push(handle.add(`element-${i}`));
      await Promise.all(batch);
      added = end;
      await yieldToLoop();
      lastBatchMs = performance.now() - batchStart;
    }
    const ms = performance.now() - start;
    let replicatedMs: number | undefined;
    try {
      const left = Math.max(1_000, capMs - ms);
      await waitFor(() => peerSize(pair) === added, left, "the peer to hold every element");
      replicatedMs = performance.now() - start;
    } catch {
      replicatedMs = undefined;
    }
    return { ms, added, capped: added < n, replicatedMs };
  } finally {
    await pair.close();
  }
}

export interface WireBytes {
  readonly bytesPerAdd: number;
  readonly framesPerAdd: number;
}

/**
 * Bytes of every frame the writer sent during `adds` adds to a synced set of `size` elements,
 * per add, in virtual time. `spacingMs` apart (10 ms: each add is pushed on its own, past the
 * 5 ms push batch window), or all at once with `spacingMs` 0 (one push for the burst).
 */
export async function wireBytesPerAdd(
  size: number,
  adds: number,
  spacingMs: number,
): Promise<WireBytes> {
  const pair = await replicaPair({ realTime: false });
  try {
    await prefillSet(pair.writer, SET, size);
    await pair.run(1_000);
    if (peerSize(pair) !== size) throw new Error("the peer did not sync the prefilled set");
    const before = pair.writerTransport.stats();
    const handle = pair.writer.set(SET);
    if (spacingMs > 0) {
      for (let i = 0; i < adds; i++) {
        await handle.add(`added-${i}`);
        await pair.run(spacingMs);
      }
    } else {
      const burst: Promise<unknown>[] = [];
      for (let i = 0; i < adds; i++) burst.push(handle.add(`added-${i}`));
      await Promise.all(burst);
    }
    await pair.run(20); // the last push and its acknowledgement
    const after = pair.writerTransport.stats();
    if (peerSize(pair) !== size + adds) throw new Error("the peer did not receive every add");
    return {
      bytesPerAdd: (after.bytesSent - before.bytesSent) / adds,
      framesPerAdd: (after.framesSent - before.framesSent) / adds,
    };
  } finally {
    await pair.close();
  }
}

export interface StorageChoice {
  readonly name: string;
  /** A fresh storage for the writer, and what removes its files afterwards. */
  open(): { storage: StorageAdapter; remove(): void };
}

export const MEMORY: StorageChoice = {
  name: "memory",
  open: () => ({ storage: memoryStorage(), remove: () => {} }),
};

export const SQLITE: StorageChoice = {
  name: "SQLite (libsql, WAL, synchronous=FULL)",
  open() {
    const dir = mkdtempSync(join(tmpdir(), "convergent-bench-store-"));
    return {
      storage: sqliteStorage({ path: join(dir, "replica.db") }),
      remove: () => rmSync(dir, { recursive: true, force: true }),
    };
  },
};

/**
 * Median increments per second over `runs` runs: `count` `counter(k).increment()` calls issued
 * at once and awaited together (Promise.all), on a fresh pair whose writer uses `choice`.
 */
export async function concurrentIncrements(
  choice: StorageChoice,
  count: number,
  runs: number,
): Promise<number> {
  const rates: number[] = [];
  for (let run = 0; run < runs; run++) {
    const { storage, remove } = choice.open();
    const pair = await replicaPair({ writerStorage: storage });
    try {
      const handle = pair.writer.counter("likes");
      await Promise.all(Array.from({ length: 1_000 }, () => handle.increment())); // warm-up
      await yieldToLoop();
      const start = performance.now();
      const all: Promise<unknown>[] = [];
      for (let i = 0; i < count; i++) all.push(handle.increment());
      await Promise.all(all);
      rates.push(count / ((performance.now() - start) / 1000));
      if ((await handle.value()).value !== count + 1_000) throw new Error("increments lost");
    } finally {
      await pair.close();
      remove();
    }
  }
  return median(rates);
}
