/**
 * The metrics recorder: implements the store's `MetricsHooks` with counters and windowed
 * quantile sketches, in memory bounded by the number of peers, origins and consistency levels
 * (never by the number of operations). Browser-safe: it only reads a clock.
 */
import { compareReplicaIds, type ReplicaId } from "@convergent/clocks";
import { InvalidArgumentError } from "@convergent/core";
import type { MetricsHooks } from "../metrics-hooks.js";
import { type HealthReport, healthOf } from "./health.js";
import { DEFAULT_RELATIVE_ACCURACY } from "./quantile-sketch.js";
import type { ConflictKind, MetricsSnapshot, PeerSnapshot } from "./snapshot.js";
import { WindowedSummary, type WindowOptions } from "./windowed-summary.js";

export interface MetricsOptions {
  /** The divergence window: health fails when lag p99 or a peer's sync age exceeds it. */
  readonly maxLagMs: number;
  /** Wall clock in ms; `synced` times must come from the same clock. Default Date.now. */
  readonly now?: () => number;
  /** Sliding window for quantiles and health. Default 60,000 ms, in 6 slots. */
  readonly windowMs?: number;
  readonly slots?: number;
  /** Relative error of p50/p99. Default 0.01. */
  readonly relativeAccuracy?: number;
  /**
   * Origins with their own lag summary; lag from further origins still counts in the overall
   * summary. Bounds memory when many short-lived replicas (browser tabs) write. Default 256.
   */
  readonly maxOrigins?: number;
}

export interface Metrics extends MetricsHooks {
  rejected(info: { peer: ReplicaId; kind: string }): void;
  snapshot(): MetricsSnapshot;
  health(): HealthReport;
  /**
   * Stops tracking a peer that left on purpose (a browser tab that closed), so its traffic
   * entry is freed and its sync age no longer counts against health.
   */
  forgetPeer(peer: ReplicaId): void;
}

interface PeerRecord {
  bytesIn: number;
  bytesOut: number;
  messagesIn: number;
  messagesOut: number;
  framesRejected: number;
  lastSyncAtMs: number | undefined;
  readonly firstSeenAtMs: number;
}

function nonNegativeOrUndefined(value: number): number | undefined {
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

export function createMetrics(options: MetricsOptions): Metrics {
  const { maxLagMs } = options;
  if (!(Number.isFinite(maxLagMs) && maxLagMs > 0)) {
    throw new InvalidArgumentError(`maxLagMs must be a positive number of ms, got ${maxLagMs}`);
  }
  const maxOrigins = options.maxOrigins ?? 256;
  if (!(Number.isInteger(maxOrigins) && maxOrigins >= 0)) {
    throw new InvalidArgumentError(`maxOrigins must be a non-negative integer, got ${maxOrigins}`);
  }
  const now = options.now ?? Date.now;
  const relativeAccuracy = options.relativeAccuracy ?? DEFAULT_RELATIVE_ACCURACY;
  const windowOptions: WindowOptions = {
    windowMs: options.windowMs ?? 60_000,
    slots: options.slots ?? 6,
    sketch: { relativeAccuracy },
  };
  const windowMs = windowOptions.windowMs ?? 60_000;
  const summary = (): WindowedSummary => new WindowedSummary(windowOptions);

  let reads = 0;
  let staleReads = 0;
  const readLatency = summary();
  const writeLatency = summary();
  const writesByLevel = new Map<string, number>();
  const lag = summary();
  const lagByOrigin = new Map<ReplicaId, WindowedSummary>();
  const conflicts: Record<ConflictKind, number> = { siblings: 0, "lww-overwrite": 0 };
  const peers = new Map<ReplicaId, PeerRecord>();
  let framesRejectedTotal = 0;
  let messagesInTotal = 0;

  const peerRecord = (peer: ReplicaId): PeerRecord => {
    let record = peers.get(peer);
    if (record === undefined) {
      record = {
        bytesIn: 0,
        bytesOut: 0,
        messagesIn: 0,
        messagesOut: 0,
        framesRejected: 0,
        lastSyncAtMs: undefined,
        firstSeenAtMs: now(),
      };
      peers.set(peer, record);
    }
    return record;
  };

  const snapshot = (): MetricsSnapshot => {
    const at = now();
    const peerList: PeerSnapshot[] = [...peers]
      .sort(([a], [b]) => compareReplicaIds(a, b))
      .map(([peer, r]) => ({ peer, ...r }));
    return {
      atMs: at,
      maxLagMs,
      windowMs,
      relativeAccuracy,
      reads: {
        total: reads,
        stale: staleReads,
        stalenessPercent: reads === 0 ? 0 : (staleReads / reads) * 100,
      },
      readLatency: readLatency.snapshot(at),
      writes: {
        total: [...writesByLevel.values()].reduce((sum, n) => sum + n, 0),
        byLevel: [...writesByLevel]
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([level, count]) => ({ level, count })),
      },
      writeLatency: writeLatency.snapshot(at),
      replicationLag: lag.snapshot(at),
      replicationLagByOrigin: [...lagByOrigin]
        .sort(([a], [b]) => compareReplicaIds(a, b))
        .map(([origin, s]) => ({ origin, ...s.snapshot(at) })),
      conflicts: { ...conflicts },
      peers: peerList,
      framesRejectedTotal,
      messagesInTotal,
    };
  };

  return {
    read({ stale, latencyMs }) {
      reads += 1;
      if (stale) staleReads += 1;
      readLatency.add(latencyMs, now());
    },
    write({ level, latencyMs }) {
      writesByLevel.set(level, (writesByLevel.get(level) ?? 0) + 1);
      writeLatency.add(latencyMs, now());
    },
    applied({ origin, lagMs }) {
      const at = now();
      lag.add(lagMs, at);
      let perOrigin = lagByOrigin.get(origin);
      if (perOrigin === undefined && lagByOrigin.size < maxOrigins) {
        perOrigin = summary();
        lagByOrigin.set(origin, perOrigin);
      }
      perOrigin?.add(lagMs, at);
    },
    conflict({ kind }) {
      if (kind === "siblings" || kind === "lww-overwrite") conflicts[kind] += 1;
    },
    traffic({ peer, direction, bytes }) {
      const record = peerRecord(peer);
      const n = nonNegativeOrUndefined(bytes) ?? 0;
      if (direction === "in") {
        record.bytesIn += n;
        record.messagesIn += 1;
        messagesInTotal += 1;
      } else {
        record.bytesOut += n;
        record.messagesOut += 1;
      }
    },
    synced({ peer, atMs }) {
      const record = peerRecord(peer);
      const at = nonNegativeOrUndefined(atMs);
      if (at !== undefined && (record.lastSyncAtMs === undefined || at > record.lastSyncAtMs)) {
        record.lastSyncAtMs = at;
      }
    },
    rejected({ peer }) {
      peerRecord(peer).framesRejected += 1;
      framesRejectedTotal += 1;
    },
    forgetPeer(peer) {
      peers.delete(peer);
    },
    snapshot,
    health: () => healthOf(snapshot()),
  };
}
