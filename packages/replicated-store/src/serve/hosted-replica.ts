/**
 * What the serve process needs from a replica, and the one place that builds it: everything
 * else in serve/ sees only `HostedReplica`, so the replica behind it can change in this file
 * alone. The debug endpoints write and read one LWW register per key.
 */
import type { ReplicaId } from "@convergent/clocks";
import type { PlainValue } from "@convergent/core";
import type { Transport } from "@convergent/sync";
import type { PushCounters } from "../metrics/snapshot.js";
import type { MetricsHooks } from "../metrics-hooks.js";
import type { StorageAdapter } from "../storage/storage.js";
import type { ConsistencyLevel } from "../store/levels.js";
import { createReplica } from "../store/replica.js";

export interface HostedReplicaOptions {
  readonly id: ReplicaId;
  readonly transport: Transport;
  readonly storage: StorageAdapter;
  readonly metrics: MetricsHooks;
  /** The configured cluster besides this replica: N for quorum and all is its length + 1. */
  readonly peers: readonly ReplicaId[];
}

export interface HostedReplica {
  /** Sets the LWW register at `key`; resolves once `level` replicas hold it (default one: durable here). */
  put(key: string, value: PlainValue, level?: ConsistencyLevel): Promise<void>;
  /** The register's value at `level` (default one: this replica), or undefined when unset. */
  get(key: string, level?: ConsistencyLevel): Promise<PlainValue | undefined>;
  /**
   * Calls `handler` for every frame the sync engine rejected (undecodable, over a limit, a
   * protocol violation), with the peer that sent it and why.
   */
  onRejected(handler: (peer: ReplicaId, reason: string) => void): () => void;
  /** Keys held (deletion records included). */
  readonly size: number;
  /** The sync engine's push counters since start (for /metrics). */
  pushes(): PushCounters;
  /** Stops syncing, flushes every write to storage and closes it (not the transport). */
  close(): Promise<void>;
}

export async function openHostedReplica(options: HostedReplicaOptions): Promise<HostedReplica> {
  const replica = await createReplica(options);
  return {
    async put(key, value, level = "one") {
      await replica.register(key).set(value, { level });
    },
    async get(key, level = "one") {
      const result = await replica.register(key).get({ level });
      return result.exists ? result.value : undefined;
    },
    onRejected(handler) {
      return replica.engine.onRejected(({ peer, kind, error }) =>
        handler(peer, `${kind}: ${error.code}`),
      );
    },
    get size() {
      return replica.keyspace.size;
    },
    pushes() {
      const { pushesSent, pushesReceived, deltasRelayed, deltaGaps } = replica.engine.stats();
      return { pushesSent, pushesReceived, deltasRelayed, deltaGaps };
    },
    close: () => replica.close(),
  };
}
