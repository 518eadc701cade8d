/**
 * The connection state of a simulated network: which replicas are open, how a partition groups
 * them, and for every pair whether it is connected and on which connection. Each time a pair
 * connects its epoch grows, so frames and announcements of an earlier connection can be told
 * apart from the current one and discarded, as a broken TCP connection discards its data.
 */
import { compareReplicaIds, type ReplicaId, replicaIdProblem } from "@convergent/clocks";
import { InvalidArgumentError } from "@convergent/core";

export interface ConnectionChange {
  readonly kind: "connect" | "disconnect";
  readonly a: ReplicaId;
  readonly b: ReplicaId;
  readonly epoch: number;
}

interface Pair {
  up: boolean;
  epoch: number;
}

// Replica ids contain no control characters, so U+0000 cannot occur inside one.
const SEPARATOR = "\u0000";
const pairKey = (a: ReplicaId, b: ReplicaId): string =>
  a < b ? `${a}${SEPARATOR}${b}` : `${b}${SEPARATOR}${a}`;
/** Partition group of the replicas a partition did not list. */
const REST = -1;

export function checkReplica(replica: ReplicaId): void {
  const problem = replicaIdProblem(replica);
  if (problem !== undefined) throw new InvalidArgumentError(problem);
}

export class ConnectionTable {
  readonly #open = new Set<ReplicaId>();
  readonly #pairs = new Map<string, Pair>();
  #groups: Map<ReplicaId, number> | undefined;

  isOpen(replica: ReplicaId): boolean {
    return this.#open.has(replica);
  }

  open(replica: ReplicaId): ConnectionChange[] {
    this.#open.add(replica);
    return this.#update();
  }

  close(replica: ReplicaId): ConnectionChange[] {
    this.#open.delete(replica);
    return this.#update();
  }

  /** Replaces any partition; unlisted replicas form one more group. Validates first. */
  partition(groups: readonly (readonly ReplicaId[])[]): ConnectionChange[] {
    const assignment = new Map<ReplicaId, number>();
    groups.forEach((group, index) => {
      for (const replica of group) {
        checkReplica(replica);
        if (assignment.has(replica)) {
          throw new InvalidArgumentError(`replica ${JSON.stringify(replica)} is in two groups`);
        }
        assignment.set(replica, index);
      }
    });
    this.#groups = assignment;
    return this.#update();
  }

  heal(): ConnectionChange[] {
    this.#groups = undefined;
    return this.#update();
  }

  /** Whether `a` and `b` are distinct, both open and in the same partition group. */
  reachable(a: ReplicaId, b: ReplicaId): boolean {
    if (a === b || !this.#open.has(a) || !this.#open.has(b)) return false;
    if (this.#groups === undefined) return true;
    return (this.#groups.get(a) ?? REST) === (this.#groups.get(b) ?? REST);
  }

  /** Whether `a` and `b` are connected right now on connection `epoch`. */
  isCurrent(a: ReplicaId, b: ReplicaId, epoch: number): boolean {
    const pair = this.#pairs.get(pairKey(a, b));
    return pair?.up === true && pair.epoch === epoch;
  }

  /** Brings every pair in line with reachability; changes come in a deterministic order. */
  #update(): ConnectionChange[] {
    const changes: ConnectionChange[] = [];
    for (const [id, pair] of this.#pairs) {
      const [a, b] = id.split(SEPARATOR) as [ReplicaId, ReplicaId];
      if (pair.up && !this.reachable(a, b)) {
        pair.up = false;
        changes.push({ kind: "disconnect", a, b, epoch: pair.epoch });
      }
    }
    const open = [...this.#open].sort(compareReplicaIds);
    for (let i = 0; i < open.length; i++) {
      for (let j = i + 1; j < open.length; j++) {
        const a = open[i]!;
        const b = open[j]!;
        if (!this.reachable(a, b)) continue;
        const id = pairKey(a, b);
        const pair = this.#pairs.get(id) ?? { up: false, epoch: 0 };
        this.#pairs.set(id, pair);
        if (pair.up) continue;
        pair.up = true;
        pair.epoch++;
        changes.push({ kind: "connect", a, b, epoch: pair.epoch });
      }
    }
    return changes;
  }
}
