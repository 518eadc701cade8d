/**
 * The last minute of what happened, for the pictures: per replica, when it changed by its own
 * edit or by a remote update; per sample, whether the simulated cluster was partitioned and
 * whether it had converged; and each replica's replication lag (p50/p99 from its metrics).
 */
export const WINDOW_MS = 60_000;

export interface ChangeMark {
  readonly atMs: number;
  readonly replica: string;
  readonly origin: "local" | "remote";
}

export interface ClusterSample {
  readonly atMs: number;
  readonly partitioned: boolean;
  readonly converged: boolean;
}

export interface LagSample {
  readonly atMs: number;
  /** p99 replication lag over the metrics' recent window, per replica (absent: no data yet). */
  readonly p99ByReplica: ReadonlyMap<string, number>;
}

export class History {
  readonly changes: ChangeMark[] = [];
  readonly cluster: ClusterSample[] = [];
  readonly lag: LagSample[] = [];
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  now(): number {
    return this.#now();
  }

  event(replica: string, origin: "local" | "remote"): void {
    this.changes.push({ atMs: this.#now(), replica, origin });
  }

  sample(
    partitioned: boolean,
    converged: boolean,
    p99ByReplica: ReadonlyMap<string, number>,
  ): void {
    const atMs = this.#now();
    this.cluster.push({ atMs, partitioned, converged });
    this.lag.push({ atMs, p99ByReplica });
    const horizon = atMs - WINDOW_MS;
    for (const list of [this.changes, this.cluster, this.lag]) {
      const keep = list.findIndex((item) => item.atMs >= horizon);
      if (keep > 0) list.splice(0, keep);
    }
  }
}
