/**
 * Client-to-client latency through real `convergent serve` processes (issue 13, item 5): two
 * store replicas in this process (memory storage, default sync options, as an app would open
 * them) connect over WebSocket on loopback, with the cluster secret, to one serve node, or each
 * to its own node of two peered nodes. Replica A sets a register; the time until replica B's
 * `subscribeKey` listener sees that value is one sample. One write at a time: the next starts
 * once the previous was observed (or timed out).
 */
import { replicaId } from "@convergent/clocks";
import { createReplica, memoryStorage, type Replica } from "@convergent/replicated-store";
import { nodeWebSocketClient } from "@convergent/sync/websocket-node";
import { waitFor } from "./store-cluster.js";
import { type ServeFleet, stop } from "./store-serve-processes.js";

const KEY = "latency";
/** A write not observed within this long counts as this long (and as a timeout). */
export const OBSERVE_TIMEOUT_MS = 5_000;

export interface Latency {
  readonly samples: number;
  readonly timeouts: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Whether the time budget stopped the run before `writes` samples. */
  readonly stoppedByBudget: boolean;
}

/** A store replica dialing `url` (which must answer as `server`) with the fleet's secret. */
async function client(fleet: ServeFleet, id: string, url: string, server: string) {
  const transport = nodeWebSocketClient({
    localId: replicaId(id),
    url,
    expectedPeer: replicaId(server),
    clusterSecret: fleet.secret,
  });
  const replica = await createReplica({ id, transport, storage: memoryStorage() });
  await waitFor(() => replica.connectedPeers().length === 1, 10_000, `${id} to connect`);
  return replica;
}

/** The value of rank ⌈q·n⌉ (nearest rank) of `sorted`. */
function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}

/** Up to `writes` writes by `a` observed at `b`, stopping early once `budgetMs` has passed. */
async function measure(a: Replica, b: Replica, writes: number, budgetMs: number): Promise<Latency> {
  let expected: { value: number; seen: (atMs: number) => void } | undefined;
  const unsubscribe = b.subscribeKey(KEY, (event) => {
    const waiting = expected;
    if (event.origin === "remote" && waiting !== undefined && event.value === waiting.value) {
      waiting.seen(performance.now());
    }
  });
  const times: number[] = [];
  let timeouts = 0;
  const started = performance.now();
  try {
    // Two untimed writes: the first sync after connecting, and JIT warm-up.
    for (let i = -2; i < writes; i++) {
      if (i >= 0 && performance.now() - started > budgetMs) break;
      const start = performance.now();
      const observed = new Promise<number>((resolve) => {
        expected = { value: i, seen: resolve };
      });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), OBSERVE_TIMEOUT_MS);
      });
      await a.register(KEY).set(i);
      const at = await Promise.race([observed, timeout]);
      clearTimeout(timer);
      if (i < 0) continue;
      if (at === undefined) timeouts++;
      times.push(at === undefined ? OBSERVE_TIMEOUT_MS : at - start);
    }
  } finally {
    unsubscribe();
  }
  const sorted = [...times].sort((x, y) => x - y);
  return {
    samples: sorted.length,
    timeouts,
    p50Ms: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
    maxMs: sorted.at(-1) ?? NaN,
    stoppedByBudget: sorted.length < writes,
  };
}

/** One serve node; clients A and B both connect to it. */
export async function oneNodeLatency(
  fleet: ServeFleet,
  writes: number,
  budgetMs: number,
): Promise<Latency> {
  const node = await fleet.start("node-1", ["--members", "client-a,client-b"]);
  const replicas: Replica[] = [];
  try {
    replicas.push(await client(fleet, "client-a", node.sync, "node-1"));
    replicas.push(await client(fleet, "client-b", node.sync, "node-1"));
    return await measure(replicas[0] as Replica, replicas[1] as Replica, writes, budgetMs);
  } finally {
    await Promise.all(replicas.map((r) => r.close()));
    await stop(node);
  }
}

/** Two peered serve nodes (node-1 dials node-2); A connects to node-1, B to node-2. */
export async function twoNodeLatency(
  fleet: ServeFleet,
  writes: number,
  budgetMs: number,
): Promise<Latency> {
  const second = await fleet.start("node-2", ["--members", "node-1,client-b"]);
  const first = await fleet.start("node-1", [
    ...["--peers", `node-2=${second.sync}`],
    ...["--members", "client-a"],
  ]);
  await first.waitForEvent("peer-connected", "node-2");
  const replicas: Replica[] = [];
  try {
    replicas.push(await client(fleet, "client-a", first.sync, "node-1"));
    replicas.push(await client(fleet, "client-b", second.sync, "node-2"));
    return await measure(replicas[0] as Replica, replicas[1] as Replica, writes, budgetMs);
  } finally {
    await Promise.all(replicas.map((r) => r.close()));
    await Promise.all([stop(first), stop(second)]);
  }
}
