/**
 * A store key is a pair (name, type), as fields are in Riak's map: two replicas that create
 * `x` as a counter and as a set concurrently made two different keys, so no conflict can stall
 * sync. In the keyspace the pair is one string, `name` + U+0000 + type tag: names sort
 * together (prefix scans by name work), and the tag, which never holds U+0000, is everything
 * after the last separator.
 */
import { InvalidArgumentError } from "@convergent/core";
import { MAX_KEY_LENGTH } from "@convergent/sync";

/** Names starting with this are reserved for the store's own use; applications cannot write them. */
export const RESERVED_PREFIX = "\u0000";
const SEPARATOR = "\u0000";

/** Longest type tag a store accepts. */
export const MAX_TAG_LENGTH = 64;

/** Longest key name, in UTF-16 code units. */
export const MAX_USER_KEY_LENGTH = MAX_KEY_LENGTH - 1 - MAX_TAG_LENGTH;

export interface StoreKey {
  readonly name: string;
  readonly tag: string;
}

export function storeKey(name: string, tag: string): string {
  return name + SEPARATOR + tag;
}

/** The (name, tag) a keyspace key stands for, or undefined when it is not a store key. */
export function parseStoreKey(key: string): StoreKey | undefined {
  const at = key.lastIndexOf(SEPARATOR);
  if (at < 1) return undefined;
  return { name: key.slice(0, at), tag: key.slice(at + 1) };
}

export function assertUserKey(key: unknown): asserts key is string {
  if (typeof key !== "string") {
    throw new InvalidArgumentError(`key must be a string, got ${typeof key}`);
  }
  if (key.length === 0) throw new InvalidArgumentError("key must not be empty");
  if (key.startsWith(RESERVED_PREFIX)) {
    throw new InvalidArgumentError("keys starting with U+0000 are reserved for the store");
  }
  if (key.length > MAX_USER_KEY_LENGTH) {
    throw new InvalidArgumentError(
      `key is ${key.length} characters; the maximum is ${MAX_USER_KEY_LENGTH}`,
    );
  }
}

export function assertStoreTag(tag: string): void {
  if (tag.length === 0 || tag.length > MAX_TAG_LENGTH || tag.includes(SEPARATOR)) {
    throw new InvalidArgumentError(
      `type tag ${JSON.stringify(tag)} cannot name store keys: 1 to ${MAX_TAG_LENGTH} characters, no U+0000`,
    );
  }
}

/**
 * Why a (keyspace key, tag) pair from anywhere (a peer, storage) is not a store key, or
 * undefined: the key must encode a user name and exactly the tag it is written with, so nobody
 * can bind a name to another type's state.
 */
export function storeKeyProblem(key: string, tag: string): string | undefined {
  const parsed = parseStoreKey(key);
  if (parsed === undefined) return `key ${JSON.stringify(key)} is not a (name, type) store key`;
  if (parsed.tag !== tag) {
    return `key ${JSON.stringify(key)} names type "${parsed.tag}" but holds a "${tag}" state`;
  }
  if (parsed.name.startsWith(RESERVED_PREFIX)) return "key names a reserved store name";
  return undefined;
}
