/**
 * What the clients did and what they were told: one record per write (a delete or a map field
 * remove too), with the keyspace dot it got, what its replica had observed when it was issued,
 * and how it ended. `survival` turns an
 * outcome into what the final state must show: a write acknowledged durably must be there, a
 * rejected one must not, and one cut off by a crash or a lost disk may go either way.
 */
import type { CausalContext, Dot, ReplicaId } from "@convergent/clocks";
import type { LwwEntry } from "@convergent/lww-register";

export type Outcome = "pending" | "ok" | "timeout" | "rejected";
export type Survival = "definite" | "maybe" | "absent";

export interface WriteRecord {
  readonly step: number;
  readonly kind: string;
  /** The keyspace key, `name` U+0000 `tag`. */
  readonly key: string;
  /**
   * Below the key, the OR-Map fields the write went through (`name` U+0000 `tag` each); empty
   * for a write of the key itself.
   */
  readonly path: readonly string[];
  /**
   * True for a delete (path empty) or a field remove: the embedded reset at the end of the
   * path, undoing what `observed` shows there. (A field remove is an update of the fields and
   * the key above it.)
   */
  readonly remove: boolean;
  readonly replica: ReplicaId;
  readonly incarnation: number;
  /** Replicas the level needed, self included. */
  readonly required: number;
  readonly dot: Dot | undefined;
  /** The replica's keyspace context just before the write (removes, deletes and MV writes). */
  readonly observed: CausalContext | undefined;
  /** Counter amount, set element, register or MV value. */
  readonly amount: number;
  readonly element: string;
  /** The LWW entry the write produced. */
  entry: LwwEntry | undefined;
  outcome: Outcome;
  /** Position in the run's event sequence when the outcome arrived (for R + W > N checks). */
  settledAt: number;
  error: string | undefined;
}

export class History {
  readonly writes: WriteRecord[] = [];
  /** Replica ids whose disk was lost, and how many disks were lost in all. */
  readonly wiped = new Set<ReplicaId>();
  events = 0;

  survival(write: WriteRecord): Survival {
    if (write.outcome === "rejected") return "absent";
    // The increment a crash interrupted before its commit (step -1) must be gone everywhere.
    if (write.outcome === "pending") return write.step === -1 ? "absent" : "maybe";
    if (!this.wiped.has(write.replica)) return "definite";
    // Acknowledged by W replicas durably: it survives unless W disks were lost.
    return write.outcome === "ok" && write.required > this.wiped.size ? "definite" : "maybe";
  }

  writesTo(key: string): WriteRecord[] {
    return this.writes.filter((w) => w.key === key && w.dot !== undefined);
  }
}
