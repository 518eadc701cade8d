/**
 * Two store replicas on a `SimulatedNetwork` (as the store's own tests run them: memory storage,
 * 1 ms links, each replica listing the other as its peer), either driven by the caller in
 * virtual time (deterministic byte counts) or by a pump that keeps virtual time in step with
 * the wall clock, so pushes, acknowledgements and gossip run at their real pace and their CPU
 * cost lands in the measured time.
 */
import { type ReplicaId, replicaId } from "@convergent/clocks";
import { add, orSet } from "@convergent/or-set";
import {
  createReplica,
  memoryStorage,
  type Replica,
  type StorageAdapter,
} from "@convergent/replicated-store";
import { SimulatedNetwork, type Transport } from "@convergent/sync";

/** Lets storage commits (microtasks) and promise continuations run, and timers fire. */
export const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export interface ReplicaPair {
  readonly network: SimulatedNetwork;
  /** The replica the workload writes through. */
  readonly writer: Replica;
  /** Its one peer, which receives the pushes and acknowledges them. */
  readonly peer: Replica;
  /** The writer's own simulated endpoint: `stats()` counts the frames it sent. */
  readonly writerTransport: Transport;
  /** Virtual time only: advances `ms` in 1 ms steps, letting commits run between steps. */
  run(ms: number): Promise<void>;
  close(): Promise<void>;
}

export interface PairOptions {
  /** Keep virtual time in step with the wall clock (default); false: the caller calls `run`. */
  readonly realTime?: boolean;
  /** The writer's storage (default memory). */
  readonly writerStorage?: StorageAdapter;
  readonly seed?: number;
}

export async function replicaPair(options: PairOptions = {}): Promise<ReplicaPair> {
  const network = new SimulatedNetwork({ seed: options.seed ?? 1 });
  const ids: readonly ReplicaId[] = [replicaId("writer"), replicaId("peer")];
  const transports = ids.map((id) => network.transport(id));
  const [writer, peer] = await Promise.all(
    ids.map((id, i) =>
      createReplica({
        id,
        transport: transports[i] as Transport,
        storage:
          i === 0 && options.writerStorage !== undefined ? options.writerStorage : memoryStorage(),
        peers: ids.filter((other) => other !== id),
        scheduler: network.scheduler,
      }),
    ),
  );
  const stopPump = options.realTime === false ? () => {} : realTimePump(network);
  const run = async (ms: number) => {
    const end = network.now() + ms;
    while (network.now() < end) {
      await yieldToLoop();
      network.advance(Math.min(1, end - network.now()));
    }
    await yieldToLoop();
  };
  const pair: ReplicaPair = {
    network,
    writer: writer as Replica,
    peer: peer as Replica,
    writerTransport: transports[0] as Transport,
    run,
    async close() {
      stopPump();
      await Promise.all([pair.writer.close(), pair.peer.close()]);
    },
  };
  // Let the connection open (announced at the current virtual time).
  if (options.realTime === false) await run(5);
  else
    await waitFor(() => pair.writer.connectedPeers().length === 1, 5_000, "the peers to connect");
  return pair;
}

/** Advances virtual time by the wall-clock time elapsed since the last tick, every ~1 ms. */
function realTimePump(network: SimulatedNetwork): () => void {
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    network.advance(now - last);
    last = now;
  }, 1);
  return () => clearInterval(timer);
}

/** Polls `condition` on the event loop until it holds; throws after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/**
 * Puts `count` new elements into the set at `key` in one update (one keyspace dot, one storage
 * write, one push) through the store's generic `update`: setup only, so a 20,000-element set
 * is ready in milliseconds instead of the minute that 20,000 single adds take today.
 */
export async function prefillSet(
  replica: Replica,
  key: string,
  count: number,
  prefix = "element-",
): Promise<void> {
  await replica.update(key, orSet, (state, { replica: self }) => {
    const seen = orSet.clone(state);
    const delta = orSet.empty();
    for (let i = 0; i < count; i++) {
      const one = add(seen, self, `${prefix}${i}`);
      orSet.joinInto(seen, one);
      orSet.joinInto(delta, one);
    }
    return delta;
  });
}

/** The number of elements `replica` holds in the set at `key`. */
export async function setSize(replica: Replica, key: string): Promise<number> {
  return (await replica.set(key).values()).value.size;
}
