import { InvalidClockValueError, InvalidReplicaIdError } from "./errors.js";
import { compareReplicaIds, isReplicaId, type ReplicaId, replicaIdProblem } from "./replica-id.js";

/** One update event: the `counter`-th event issued by `replica` (counters start at 1). */
export interface Dot {
  readonly replica: ReplicaId;
  readonly counter: number;
}

/** Builds a dot, validating both parts so a dot made from outside data is well-formed. */
export function dot(replica: ReplicaId, counter: number): Dot {
  const problem = replicaIdProblem(replica);
  if (problem !== undefined) throw new InvalidReplicaIdError(problem);
  if (!Number.isSafeInteger(counter) || counter < 1) {
    throw new InvalidClockValueError(`dot counter must be a positive safe integer, got ${counter}`);
  }
  return { replica, counter };
}

export function isDot(value: unknown): value is Dot {
  if (typeof value !== "object" || value === null) return false;
  const { replica, counter } = value as Record<string, unknown>;
  return (
    isReplicaId(replica) &&
    typeof counter === "number" &&
    Number.isSafeInteger(counter) &&
    counter >= 1
  );
}

export function compareDots(a: Dot, b: Dot): -1 | 0 | 1 {
  const byReplica = compareReplicaIds(a.replica, b.replica);
  if (byReplica !== 0) return byReplica;
  return a.counter < b.counter ? -1 : a.counter > b.counter ? 1 : 0;
}

export function equalDots(a: Dot, b: Dot): boolean {
  return a.replica === b.replica && a.counter === b.counter;
}
