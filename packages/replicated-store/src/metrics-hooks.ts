/**
 * What the store reports to a metrics recorder: one call per read, write, remote apply, detected
 * conflict, frame and completed sync. The store never reads anything back, so a recorder is free
 * to aggregate however it likes; `noMetrics` is the default and costs a function call each.
 */
import type { ReplicaId } from "@convergent/clocks";

export interface MetricsHooks {
  /**
   * A read finished. `stale` is true when the local copy lacked updates known elsewhere at read
   * time: for a read at `one`, when some peer's last announced keyspace context held a dot the
   * local context did not; for a read at R > 1, when the join of the replies differed from the
   * local state before the join.
   */
  read(info: { key: string; stale: boolean; latencyMs: number }): void;
  write(info: { key: string; latencyMs: number; level: string }): void;
  /** A remote update was applied here; `lagMs` is HLC write time to apply time (LWW types only). */
  applied(info: { origin: ReplicaId; key: string; lagMs: number }): void;
  /**
   * A remote update created MV-Register siblings (more than before), or replaced an LWW
   * register's winning value that this replica had written itself (reported by the replica
   * whose write lost; the winner may or may not have seen it, the register cannot tell).
   */
  conflict(info: { key: string; kind: "siblings" | "lww-overwrite" }): void;
  traffic(info: { peer: ReplicaId; direction: "in" | "out"; bytes: number }): void;
  synced(info: { peer: ReplicaId; atMs: number }): void;
  /**
   * A frame from `peer` was rejected (undecodable, over a limit, or refused by validation) and
   * nothing of it was applied. Optional, so recorders written before it keep compiling.
   */
  rejected?(info: { peer: ReplicaId; kind: string }): void;
}

const ignore = (): void => {};

/** Records nothing. */
export const noMetrics: MetricsHooks = Object.freeze({
  read: ignore,
  write: ignore,
  applied: ignore,
  conflict: ignore,
  traffic: ignore,
  synced: ignore,
  rejected: ignore,
});
