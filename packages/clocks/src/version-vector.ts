import { ClockOverflowError, InvalidClockValueError } from "./errors.js";
import { isReplicaId, type ReplicaId } from "./replica-id.js";
import { iterableOf } from "./untrusted.js";

/**
 * A version vector: for each replica, how many of its events are included. Sparse: a replica
 * that is absent counts as 0, and no entry is ever stored as 0, so equal vectors have equal
 * entries. Treated as immutable; every function returns a new vector.
 */
export type VersionVector = ReadonlyMap<ReplicaId, number>;

/** The order between two version vectors (Mattern 1989; Fidge 1988). */
export type Causality = "before" | "after" | "equal" | "concurrent";

/** Sorted `[replica, counter]` pairs: the canonical, encoding-friendly form of a vector. */
export type VersionVectorEntries = ReadonlyArray<readonly [ReplicaId, number]>;

const EMPTY: VersionVector = new Map();

export function emptyVersionVector(): VersionVector {
  return EMPTY;
}

export function versionOf(vector: VersionVector, replica: ReplicaId): number {
  return vector.get(replica) ?? 0;
}

/** Returns a copy of `vector` with `replica`'s counter increased by one. */
export function increment(vector: VersionVector, replica: ReplicaId): VersionVector {
  const next = (vector.get(replica) ?? 0) + 1;
  if (next > Number.MAX_SAFE_INTEGER) {
    throw new ClockOverflowError(`version vector entry for ${replica} reached MAX_SAFE_INTEGER`);
  }
  const copy = new Map(vector);
  copy.set(replica, next);
  return copy;
}

/** The least upper bound: the pointwise maximum. Returns an input unchanged when it already dominates. */
export function merge(a: VersionVector, b: VersionVector): VersionVector {
  if (dominates(a, b)) return a;
  if (dominates(b, a)) return b;
  const result = new Map(a);
  mergeInto(result, b);
  return result;
}

/** In-place pointwise maximum, for callers that own `target` (hot paths inside a join). */
export function mergeInto(target: Map<ReplicaId, number>, source: VersionVector): void {
  for (const [replica, counter] of source) {
    if (counter > (target.get(replica) ?? 0)) target.set(replica, counter);
  }
}

/** True when `a` includes every event `b` includes (a >= b). */
export function dominates(a: VersionVector, b: VersionVector): boolean {
  if (b.size > a.size) return false;
  for (const [replica, counter] of b) {
    if ((a.get(replica) ?? 0) < counter) return false;
  }
  return true;
}

/** Compares in one pass over both vectors. */
export function compare(a: VersionVector, b: VersionVector): Causality {
  let aAhead = false;
  let bAhead = false;
  for (const [replica, counter] of a) {
    const other = b.get(replica) ?? 0;
    if (counter > other) aAhead = true;
    else if (counter < other) bAhead = true;
  }
  if (!bAhead) {
    for (const replica of b.keys()) {
      if (!a.has(replica)) {
        bAhead = true;
        break;
      }
    }
  }
  if (aAhead) return bAhead ? "concurrent" : "after";
  return bAhead ? "before" : "equal";
}

export function equalVersionVectors(a: VersionVector, b: VersionVector): boolean {
  // Same size plus a >= b is not enough ({x: 2} >= {x: 1}): every counter must match.
  if (a.size !== b.size) return false;
  for (const [replica, counter] of a) if (b.get(replica) !== counter) return false;
  return true;
}

export function toEntries(vector: VersionVector): VersionVectorEntries {
  return [...vector].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
}

/**
 * Builds a vector from untrusted entries. Rejects invalid replica ids, duplicate replicas and
 * counters that are not positive safe integers, so a decoded vector keeps the sparse invariant.
 */
export function fromEntries(entries: Iterable<readonly [unknown, unknown]>): VersionVector {
  const vector = new Map<ReplicaId, number>();
  for (const entry of iterableOf(entries, "vector entries")) {
    if (!Array.isArray(entry) || entry.length !== 2) {
      throw new InvalidClockValueError("vector entry must be a [replica, counter] pair");
    }
    const [replica, counter] = entry as readonly [unknown, unknown];
    if (!isReplicaId(replica)) throw new InvalidClockValueError(`invalid replica id in vector`);
    if (typeof counter !== "number" || !Number.isSafeInteger(counter) || counter <= 0) {
      throw new InvalidClockValueError(`vector counter for ${replica} must be a positive integer`);
    }
    if (vector.has(replica))
      throw new InvalidClockValueError(`duplicate replica ${replica} in vector`);
    vector.set(replica, counter);
  }
  return vector;
}
