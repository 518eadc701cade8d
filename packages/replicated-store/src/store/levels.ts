/**
 * Consistency levels as values passed per operation (as in Akka Distributed Data), resolved to
 * a replica count against the cluster size N at the time of the call.
 */
import { InvalidArgumentError } from "@convergent/core";

export type ConsistencyLevel = "one" | "quorum" | "all" | number;

/** How many replicas, self included, level `level` needs in a cluster of `n`. */
export function replicasFor(level: ConsistencyLevel, n: number): number {
  if (level === "one") return 1;
  if (level === "quorum") return Math.floor(n / 2) + 1;
  if (level === "all") return n;
  if (typeof level === "number" && Number.isSafeInteger(level) && level >= 1) return level;
  throw new InvalidArgumentError(
    `consistency level must be "one", "quorum", "all" or a positive integer, got ${String(level)}`,
  );
}

export function levelName(level: ConsistencyLevel): string {
  return typeof level === "number" ? String(level) : level;
}
