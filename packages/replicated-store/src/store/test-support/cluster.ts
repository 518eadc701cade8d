/** Replicas on a SimulatedNetwork with memory storage, driven in virtual time. */
import { type ReplicaId, replicaId } from "@convergent/clocks";
import { SimulatedNetwork, type Transport } from "@convergent/sync";
import type { MetricsHooks } from "../../metrics-hooks.js";
import { MemoryDisk, memoryStorage } from "../../storage/memory.js";
import type { StorageAdapter } from "../../storage/storage.js";
import { createReplica, type Replica, type ReplicaOptions } from "../replica.js";

/** Lets storage commits (microtasks) and promise continuations run. */
export const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface Cluster {
  readonly network: SimulatedNetwork;
  readonly ids: readonly ReplicaId[];
  readonly replicas: Replica[];
  readonly disks: MemoryDisk[];
  readonly transports: Transport[];
  /** Advances virtual time by `ms` in 1 ms steps, letting commits run between steps. */
  run(ms: number): Promise<void>;
  /** Advances time until `promise` settles (at most `maxMs`), then returns its outcome. */
  settle<T>(promise: Promise<T>, maxMs?: number): Promise<T>;
  /** Restarts replica `i` on its disk: the old one is detached without flushing (a crash). */
  restart(i: number, storage?: StorageAdapter): Promise<Replica>;
}

export type ClusterOptions = Partial<Omit<ReplicaOptions, "id" | "transport" | "storage">>;

export async function cluster(
  n: number,
  options: ClusterOptions & { readonly perReplica?: (i: number) => ClusterOptions } = {},
  seed = 1,
): Promise<Cluster> {
  const { perReplica, ...shared } = options;
  const network = new SimulatedNetwork({ seed });
  const ids = Array.from({ length: n }, (_, i) => replicaId(String.fromCharCode(97 + i)));
  const disks = ids.map(() => new MemoryDisk());
  const transports: Transport[] = [];
  const open = (i: number, storage?: StorageAdapter) => {
    const id = ids[i] as ReplicaId;
    const transport = network.transport(id);
    transports[i] = transport;
    return createReplica({
      timeoutMs: 1000,
      peers: ids.filter((other) => other !== id),
      scheduler: network.scheduler,
      now: () => 1_700_000_000_000 + network.now(),
      sync: { gossip: { intervalMs: 200 } },
      ...shared,
      ...perReplica?.(i),
      id,
      transport,
      storage: storage ?? memoryStorage({ disk: disks[i] as MemoryDisk }),
    });
  };
  const replicas = await Promise.all(ids.map((_, i) => open(i)));
  const run = async (ms: number) => {
    const end = network.now() + ms;
    while (network.now() < end) {
      await flush();
      network.advance(Math.min(1, end - network.now()));
    }
    await flush();
  };
  const settle = async <T>(promise: Promise<T>, maxMs = 10_000): Promise<T> => {
    let done = false;
    const watched = promise.finally(() => {
      done = true;
    });
    watched.catch(() => {});
    const end = network.now() + maxMs;
    await flush();
    while (!done && network.now() < end) {
      network.advance(1);
      await flush();
    }
    return watched;
  };
  const restart = async (i: number, storage?: StorageAdapter) => {
    const old = replicas[i] as Replica;
    old.engine.stop();
    await transports[i]?.close();
    await flush();
    const fresh = await open(i, storage);
    replicas[i] = fresh;
    return fresh;
  };
  await run(20);
  return { network, ids, replicas, disks, transports, run, settle, restart };
}

/** A MetricsHooks that records every call, for assertions. */
export function recordingMetrics(): MetricsHooks & { calls: [string, unknown][] } {
  const calls: [string, unknown][] = [];
  const hook = (name: string) => (info: unknown) => {
    calls.push([name, info]);
  };
  return {
    calls,
    read: hook("read"),
    write: hook("write"),
    applied: hook("applied"),
    conflict: hook("conflict"),
    traffic: hook("traffic"),
    synced: hook("synced"),
  };
}
