/** What one run did: operations by outcome, faults injected, frames the network mangled. */
import type { Outcome } from "./history.js";

export interface RunStats {
  operations: number;
  sessionOps: number;
  reads: number;
  /** Delete steps, and the keys they wrote to (one per type held under the name). */
  deletes: number;
  deleteWrites: number;
  /** OR-Map field updates and removes. */
  mapOperations: number;
  skipped: number;
  outcomes: Record<Outcome, number>;
  writeTimeouts: number;
  readTimeouts: number;
  sessionTimeouts: number;
  rejected: Record<string, number>;
  faults: {
    partitions: number;
    heals: number;
    linkChanges: number;
    crashes: number;
    midCommitCrashes: number;
    restarts: number;
    wipes: number;
    clockChanges: number;
    clockJumpsBack: number;
    clockBeyondDrift: number;
  };
  framesSent: number;
  framesLost: number;
  framesDuplicated: number;
  framesDropped: number;
  virtualMs: number;
}

export function emptyStats(): RunStats {
  return {
    operations: 0,
    sessionOps: 0,
    reads: 0,
    deletes: 0,
    deleteWrites: 0,
    mapOperations: 0,
    skipped: 0,
    outcomes: { pending: 0, ok: 0, timeout: 0, rejected: 0 },
    writeTimeouts: 0,
    readTimeouts: 0,
    sessionTimeouts: 0,
    rejected: {},
    faults: {
      partitions: 0,
      heals: 0,
      linkChanges: 0,
      crashes: 0,
      midCommitCrashes: 0,
      restarts: 0,
      wipes: 0,
      clockChanges: 0,
      clockJumpsBack: 0,
      clockBeyondDrift: 0,
    },
    framesSent: 0,
    framesLost: 0,
    framesDuplicated: 0,
    framesDropped: 0,
    virtualMs: 0,
  };
}

/** Faults injected in a run: network events count as the frames lost, duplicated or cut. */
export function faultCount(stats: RunStats): number {
  let total = stats.framesLost + stats.framesDuplicated + stats.framesDropped;
  for (const n of Object.values(stats.faults)) total += n;
  return total;
}

export function addStats(into: RunStats, from: RunStats): void {
  for (const key of [
    "operations",
    "sessionOps",
    "reads",
    "deletes",
    "deleteWrites",
    "mapOperations",
    "skipped",
    "writeTimeouts",
    "readTimeouts",
    "sessionTimeouts",
    "framesSent",
    "framesLost",
    "framesDuplicated",
    "framesDropped",
    "virtualMs",
  ] as const) {
    into[key] += from[key];
  }
  for (const k of Object.keys(from.outcomes) as Outcome[]) into.outcomes[k] += from.outcomes[k];
  for (const [k, n] of Object.entries(from.rejected))
    into.rejected[k] = (into.rejected[k] ?? 0) + n;
  for (const k of Object.keys(from.faults) as (keyof RunStats["faults"])[]) {
    into.faults[k] += from.faults[k];
  }
}
