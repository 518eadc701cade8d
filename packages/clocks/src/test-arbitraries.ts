// Shared fast-check generators for this package's tests (excluded from the build).
import fc from "fast-check";
import { isReplicaId, type ReplicaId, replicaId } from "./replica-id.js";

/** A small pool so random vectors, dots and timestamps collide often enough to be interesting. */
export const POOL: readonly ReplicaId[] = ["a", "b", "c", "d"].map(replicaId);

export const pooledReplica: fc.Arbitrary<ReplicaId> = fc.constantFrom(...POOL);

/** Any valid id: pooled ones, ASCII ones that share prefixes, and full-Unicode ones. */
export const anyReplica: fc.Arbitrary<ReplicaId> = fc.oneof(
  pooledReplica,
  fc
    .string({ unit: fc.constantFrom("a", "b", "."), minLength: 1, maxLength: 4 })
    .map((s) => s as ReplicaId),
  fc
    .string({ unit: "binary", minLength: 1, maxLength: 20 })
    .filter(isReplicaId)
    .map((s) => s as ReplicaId),
);

/** Entries with unique replicas and positive counters: the raw material of a valid vector. */
export const vectorEntries = (
  replica: fc.Arbitrary<ReplicaId> = pooledReplica,
  maxCounter = 6,
): fc.Arbitrary<Array<[ReplicaId, number]>> =>
  fc.uniqueArray(fc.tuple(replica, fc.integer({ min: 1, max: maxCounter })), {
    selector: ([r]) => r,
    maxLength: 5,
  });

export interface DotLike {
  replica: ReplicaId;
  counter: number;
}

/** Dots over the pool with small counters, so gaps, duplicates and contiguous runs all occur. */
export const dotArb = (maxCounter = 12): fc.Arbitrary<DotLike> =>
  fc.record({ replica: pooledReplica, counter: fc.integer({ min: 1, max: maxCounter }) });

export const dotListArb = (maxCounter = 12): fc.Arbitrary<DotLike[]> =>
  fc.array(dotArb(maxCounter), { maxLength: 30 });

export const dotKey = (d: DotLike): string => `${d.replica}\u0000${d.counter}`;

/** One step of a three-replica run: `at` picks the replica, `pick` the in-flight message. */
export type SimEvent =
  | { readonly kind: "local" | "send"; readonly at: number }
  | { readonly kind: "receive"; readonly at: number; readonly pick: number };

export const SIM_REPLICAS: readonly ReplicaId[] = ["r0", "r1", "r2"].map(replicaId);

export const simEvents: fc.Arbitrary<SimEvent[]> = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constantFrom("local", "send"), at: fc.nat(2) }),
    fc.record({ kind: fc.constant("receive"), at: fc.nat(2), pick: fc.nat() }),
  ),
  { maxLength: 60 },
);

/** Unicode Cc (C0, DEL, C1): written out because Biome forbids control characters in regexes. */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true;
  }
  return false;
}
