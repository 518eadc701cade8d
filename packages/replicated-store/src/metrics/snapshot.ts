/**
 * The plain, JSON-safe picture of a replica's metrics at one instant: what `metrics.snapshot()`
 * returns, what `healthOf` judges and what `toPrometheus` renders. Lists are sorted by replica
 * id (or level) so equal states print identically; times are milliseconds.
 */
import type { ReplicaId } from "@convergent/clocks";
import type { SummarySnapshot } from "./windowed-summary.js";

export type ConflictKind = "siblings" | "lww-overwrite";

export interface PeerSnapshot {
  readonly peer: ReplicaId;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly messagesIn: number;
  readonly messagesOut: number;
  /** Frames from this peer that were rejected and not applied. */
  readonly framesRejected: number;
  /** Wall-clock ms of the last successful sync, or undefined if none yet. */
  readonly lastSyncAtMs: number | undefined;
  /** Wall-clock ms when the peer was first reported (traffic or sync). */
  readonly firstSeenAtMs: number;
}

export interface MetricsSnapshot {
  /** When the snapshot was taken (the recorder's `now()`). */
  readonly atMs: number;
  /** The divergence window the health check holds lag and sync age to. */
  readonly maxLagMs: number;
  /** Span of the sliding window behind every `recent` figure. */
  readonly windowMs: number;
  /** Relative error bound α of every p50/p99 (see QuantileSketch). */
  readonly relativeAccuracy: number;
  readonly reads: {
    readonly total: number;
    readonly stale: number;
    /** stale / total × 100 since start; 0 before the first read. */
    readonly stalenessPercent: number;
  };
  readonly readLatency: SummarySnapshot;
  readonly writes: {
    readonly total: number;
    readonly byLevel: readonly { readonly level: string; readonly count: number }[];
  };
  readonly writeLatency: SummarySnapshot;
  /** Write time at the origin (its HLC) to apply time here, over every origin. */
  readonly replicationLag: SummarySnapshot;
  readonly replicationLagByOrigin: readonly (SummarySnapshot & { readonly origin: ReplicaId })[];
  readonly conflicts: Readonly<Record<ConflictKind, number>>;
  readonly peers: readonly PeerSnapshot[];
  /**
   * Since start, over every peer: per-peer records of ids that are not configured members are
   * forgotten when they disconnect (bounded memory), these totals never are.
   */
  readonly framesRejectedTotal: number;
  readonly messagesInTotal: number;
  /** Live-push counters of the replica's sync engine, when the caller adds them (serve does). */
  readonly pushes?: PushCounters;
}

/** Since start: pushes sent and received, deltas relayed, pushed deltas refused for a gap. */
export interface PushCounters {
  readonly pushesSent: number;
  readonly pushesReceived: number;
  readonly deltasRelayed: number;
  readonly deltaGaps: number;
}
