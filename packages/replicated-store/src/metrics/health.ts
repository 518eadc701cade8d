/**
 * The health rule: a replica is healthy while it stays inside its divergence window. It is
 * unhealthy when the recent p99 replication lag exceeds `maxLagMs` (updates reach it too
 * late), or when a known peer has gone longer than `maxLagMs` without a successful sync
 * (measured from its first report when it never synced), since then the two may differ by
 * more than the window allows without either noticing.
 */
import type { MetricsSnapshot } from "./snapshot.js";

export interface HealthReport {
  readonly healthy: boolean;
  /** One sentence per broken rule; empty when healthy. */
  readonly reasons: readonly string[];
}

function ms(value: number): string {
  return `${Math.round(value)} ms`;
}

/** Judges a snapshot; pure, so a caller can also judge a snapshot it received from elsewhere. */
export function healthOf(snapshot: MetricsSnapshot): HealthReport {
  const reasons: string[] = [];
  const limit = snapshot.maxLagMs;
  const p99 = snapshot.replicationLag.recent.p99Ms;
  if (p99 !== undefined && p99 > limit) {
    reasons.push(`replication lag p99 is ${ms(p99)}, above maxLagMs ${ms(limit)}`);
  }
  for (const peer of snapshot.peers) {
    const since = peer.lastSyncAtMs ?? peer.firstSeenAtMs;
    const age = snapshot.atMs - since;
    if (age <= limit) continue;
    reasons.push(
      peer.lastSyncAtMs === undefined
        ? `no successful sync with peer ${peer.peer} since it appeared ${ms(age)} ago (maxLagMs ${ms(limit)})`
        : `last successful sync with peer ${peer.peer} was ${ms(age)} ago (maxLagMs ${ms(limit)})`,
    );
  }
  return { healthy: reasons.length === 0, reasons };
}
