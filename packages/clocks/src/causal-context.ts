import { type Dot, dot } from "./dots.js";
import { ClockOverflowError, InvalidClockValueError } from "./errors.js";
import { compareReplicaIds, isReplicaId, type ReplicaId } from "./replica-id.js";
import { iterableOf } from "./untrusted.js";
import {
  fromEntries,
  toEntries,
  type VersionVector,
  type VersionVectorEntries,
} from "./version-vector.js";

/**
 * The set of dots a state has seen, kept compact (Almeida, Shoker, Baquero 2018, section 5):
 * a version vector covering each replica's contiguous prefix, plus a "cloud" of dots that
 * arrived above a gap. Invariant (the compacted form): every cloud dot is at least two above
 * its replica's vector entry, cloud sets are never empty. So equal dot sets have equal contexts.
 */
export interface CausalContext {
  readonly versionVector: VersionVector;
  readonly cloud: ReadonlyMap<ReplicaId, ReadonlySet<number>>;
}

/** The same structure, owned by a caller that updates it in place (a join on a hot path). */
export interface MutableCausalContext extends CausalContext {
  readonly versionVector: Map<ReplicaId, number>;
  readonly cloud: Map<ReplicaId, Set<number>>;
}

export function emptyCausalContext(): MutableCausalContext {
  return { versionVector: new Map(), cloud: new Map() };
}

export function cloneCausalContext(context: CausalContext): MutableCausalContext {
  const cloud = new Map<ReplicaId, Set<number>>();
  for (const [replica, counters] of context.cloud) cloud.set(replica, new Set(counters));
  return { versionVector: new Map(context.versionVector), cloud };
}

export function containsDot(context: CausalContext, d: Dot): boolean {
  if (d.counter <= (context.versionVector.get(d.replica) ?? 0)) return true;
  return context.cloud.get(d.replica)?.has(d.counter) ?? false;
}

/** The highest counter of `replica` in the context, contiguous or not. */
export function maxCounter(context: CausalContext, replica: ReplicaId): number {
  let max = context.versionVector.get(replica) ?? 0;
  const cloud = context.cloud.get(replica);
  if (cloud !== undefined) for (const counter of cloud) if (counter > max) max = counter;
  return max;
}

/** The next dot `replica` issues against this context: one past everything it has seen of itself. */
export function nextDot(context: CausalContext, replica: ReplicaId): Dot {
  const counter = maxCounter(context, replica) + 1;
  if (counter > Number.MAX_SAFE_INTEGER) throw new ClockOverflowError("dot counter overflow");
  return dot(replica, counter);
}

/** Adds one dot in place and re-compacts that replica's entry. */
export function addDotInPlace(context: MutableCausalContext, d: Dot): void {
  const base = context.versionVector.get(d.replica) ?? 0;
  if (d.counter <= base) return;
  if (d.counter === base + 1) {
    context.versionVector.set(d.replica, d.counter);
    compactReplica(context, d.replica, false);
    return;
  }
  let cloud = context.cloud.get(d.replica);
  if (cloud === undefined) {
    cloud = new Set();
    context.cloud.set(d.replica, cloud);
  }
  cloud.add(d.counter);
}

/** In-place union of two dot sets. */
export function joinCausalContextInto(target: MutableCausalContext, source: CausalContext): void {
  for (const [replica, counter] of source.versionVector) {
    if (counter > (target.versionVector.get(replica) ?? 0)) {
      target.versionVector.set(replica, counter);
      compactReplica(target, replica, true);
    }
  }
  for (const [replica, counters] of source.cloud) {
    for (const counter of counters) addDotInPlace(target, { replica, counter });
  }
}

export function joinCausalContexts(a: CausalContext, b: CausalContext): MutableCausalContext {
  const result = cloneCausalContext(a);
  joinCausalContextInto(result, b);
  return result;
}

/**
 * Moves contiguous cloud dots into the vector and, when the vector `jumped` by more than one,
 * drops cloud dots it now covers. A one-step advance cannot cover a cloud dot (all are above
 * base + 1), so adding dots one by one stays O(1) each instead of rescanning the cloud, which
 * hostile input could otherwise make quadratic.
 */
function compactReplica(context: MutableCausalContext, replica: ReplicaId, jumped: boolean): void {
  const cloud = context.cloud.get(replica);
  if (cloud === undefined) return;
  let base = context.versionVector.get(replica) ?? 0;
  if (jumped) for (const counter of cloud) if (counter <= base) cloud.delete(counter);
  while (cloud.delete(base + 1)) base += 1;
  if (base > 0) context.versionVector.set(replica, base);
  if (cloud.size === 0) context.cloud.delete(replica);
}

/** True when every dot in `b` is also in `a`. */
export function causalContextIncludes(a: CausalContext, b: CausalContext): boolean {
  for (const [replica, counter] of b.versionVector) {
    const base = a.versionVector.get(replica) ?? 0;
    if (counter > base) {
      const cloud = a.cloud.get(replica);
      if (cloud === undefined) return false;
      for (let c = base + 1; c <= counter; c++) if (!cloud.has(c)) return false;
    }
  }
  for (const [replica, counters] of b.cloud) {
    for (const counter of counters) if (!containsDot(a, { replica, counter })) return false;
  }
  return true;
}

export function equalCausalContexts(a: CausalContext, b: CausalContext): boolean {
  // Compacted form is canonical, so equal dot sets have equal vectors and clouds.
  if (a.versionVector.size !== b.versionVector.size || a.cloud.size !== b.cloud.size) return false;
  for (const [replica, counter] of a.versionVector) {
    if (b.versionVector.get(replica) !== counter) return false;
  }
  for (const [replica, counters] of a.cloud) {
    const other = b.cloud.get(replica);
    if (other === undefined || other.size !== counters.size) return false;
    for (const counter of counters) if (!other.has(counter)) return false;
  }
  return true;
}

/** Canonical plain form: the sorted vector and, per replica in order, its sorted cloud counters. */
export interface CausalContextEntries {
  readonly versionVector: VersionVectorEntries;
  readonly cloud: ReadonlyArray<readonly [ReplicaId, readonly number[]]>;
}

export function causalContextToEntries(context: CausalContext): CausalContextEntries {
  const cloud = [...context.cloud]
    .sort(([x], [y]) => compareReplicaIds(x, y))
    .map(([replica, counters]) => [replica, [...counters].sort((x, y) => x - y)] as const);
  return { versionVector: toEntries(context.versionVector), cloud };
}

/**
 * Rebuilds a context from untrusted plain data, validating ids and counters. The result is
 * re-compacted, so a non-canonical input still yields the canonical context of its dot set.
 */
export function causalContextFromEntries(entries: {
  versionVector: Iterable<readonly [unknown, unknown]>;
  cloud: Iterable<readonly [unknown, Iterable<unknown>]>;
}): MutableCausalContext {
  if (typeof entries !== "object" || entries === null) {
    throw new InvalidClockValueError("causal context entries must be an object");
  }
  const context: MutableCausalContext = {
    versionVector: new Map(fromEntries(entries.versionVector)),
    cloud: new Map(),
  };
  for (const row of iterableOf(entries.cloud, "causal context cloud")) {
    if (!Array.isArray(row) || row.length !== 2) {
      throw new InvalidClockValueError("cloud row must be a [replica, counters] pair");
    }
    const [replica, counters] = row as readonly [unknown, Iterable<unknown>];
    if (!isReplicaId(replica)) throw new InvalidClockValueError("invalid replica id in cloud");
    for (const counter of iterableOf(counters, `cloud counters for ${replica}`)) {
      if (typeof counter !== "number" || !Number.isSafeInteger(counter) || counter < 1) {
        throw new InvalidClockValueError(`cloud counter for ${replica} must be a positive integer`);
      }
      addDotInPlace(context, { replica, counter });
    }
  }
  return context;
}

/** Every dot in the context, for tests and small contexts (the vector part expands). */
export function* dotsOf(context: CausalContext): Generator<Dot> {
  for (const [replica, counter] of context.versionVector) {
    for (let c = 1; c <= counter; c++) yield { replica, counter: c };
  }
  for (const [replica, counters] of context.cloud) {
    for (const counter of counters) yield { replica, counter };
  }
}
