/**
 * Deleting a key by causal context. A deletion records the key's keyspace dots (latest per
 * origin) at the moment of the delete in a companion key; the key reads as absent while every
 * dot it holds is covered by that record. An update the deleting replica had not seen carries a
 * dot the record does not cover, so the key comes back with it: a concurrent update survives a
 * delete (add-wins at the key level). The record is a version vector, joined by pointwise max,
 * which is exactly a G-Counter's state, so it replicates as one.
 */
import type { Dot, ReplicaId } from "@convergent/clocks";
import { InvalidArgumentError } from "@convergent/core";
import type { Keyspace } from "@convergent/sync";
import { MAX_KEY_LENGTH } from "@convergent/sync";

/** Keys starting with this are the store's own; applications cannot write them. */
export const RESERVED_PREFIX = "\u0000";
const DELETION_PREFIX = `${RESERVED_PREFIX}deleted:`;

export const MAX_USER_KEY_LENGTH = MAX_KEY_LENGTH - DELETION_PREFIX.length;

export function deletionKey(key: string): string {
  return DELETION_PREFIX + key;
}

/** The user key a deletion record belongs to, or undefined for any other key. */
export function deletedKeyOf(key: string): string | undefined {
  return key.startsWith(DELETION_PREFIX) ? key.slice(DELETION_PREFIX.length) : undefined;
}

export function isReservedKey(key: string): boolean {
  return key.startsWith(RESERVED_PREFIX);
}

export function assertUserKey(key: unknown): asserts key is string {
  if (typeof key !== "string")
    throw new InvalidArgumentError(`key must be a string, got ${typeof key}`);
  if (isReservedKey(key)) {
    throw new InvalidArgumentError("keys starting with U+0000 are reserved for the store");
  }
  if (key.length > MAX_USER_KEY_LENGTH) {
    throw new InvalidArgumentError(
      `key is ${key.length} characters; the maximum is ${MAX_USER_KEY_LENGTH}`,
    );
  }
}

/** The deletion record's delta for the key's current dots. */
export function deletionDelta(dots: readonly Dot[]): Map<ReplicaId, number> {
  return new Map(dots.map((d) => [d.replica, d.counter] as const));
}

/** True when the key holds no update that its deletion record does not cover. */
export function isDeleted(keyspace: Keyspace, key: string): boolean {
  const record = keyspace.get(deletionKey(key));
  if (record === undefined) return false;
  const covered = record.state as ReadonlyMap<ReplicaId, number>;
  return keyspace.dotsOf(key).every((d) => (covered.get(d.replica) ?? 0) >= d.counter);
}
