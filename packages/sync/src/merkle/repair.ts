/**
 * The repair path: two replicas walk their Merkle trees down from the root, one level per
 * message, each time sending the children of the nodes that differed; at the leaves they swap
 * the entries of the divergent buckets and join them. It needs no causal context, so it repairs
 * what contexts cannot see (a replica restored from a backup, lost storage, corruption), in
 * O(d log n) bytes: 16 child digests per divergent node per level, then the divergent entries.
 */
import { DecodeError } from "@convergent/core";
import type { DottedEntry, Keyspace } from "../keyspace/keyspace.js";
import type { MerkleDigest, MerkleEntries } from "../protocol/messages.js";
import { MERKLE_FAN_OUT, type MerkleTree } from "./tree.js";

/** The first message of a repair: the root digest. */
export function merkleStart(tree: MerkleTree): MerkleDigest {
  return { kind: "merkle-digest", depth: tree.depth, level: 0, nodes: [[0, tree.digest(0, 0)]] };
}

/**
 * Answers one repair message: the next message to send back, or undefined when this branch of
 * the walk is finished (no divergence left). Entries received are applied atomically first.
 * Throws DecodeError, leaving the keyspace untouched, for a message that does not fit the tree.
 */
export function answerMerkle(
  keyspace: Keyspace,
  tree: MerkleTree,
  message: MerkleDigest | MerkleEntries,
): MerkleDigest | MerkleEntries | undefined {
  if (message.depth !== tree.depth) {
    throw new DecodeError(
      "INVALID_VALUE",
      `peer's Merkle depth ${message.depth} differs from ${tree.depth}`,
    );
  }
  if (message.kind === "merkle-digest") return answerDigest(keyspace, tree, message);
  const buckets = new Set(message.buckets);
  for (const entry of message.entries) {
    if (!buckets.has(tree.bucketOf(entry.key))) {
      throw new DecodeError(
        "INVALID_VALUE",
        `key ${JSON.stringify(entry.key)} is outside the buckets sent`,
      );
    }
  }
  keyspace.applyRemote(message.entries);
  if (!message.reply) return undefined;
  const received = new Map(message.entries.map((e) => [e.key, e]));
  const entries = entriesIn(keyspace, tree, buckets).filter((mine) => {
    const theirs = received.get(mine.key);
    if (theirs === undefined) return true;
    const type = keyspace.registry.get(mine.tag);
    return type === undefined || !type.equals(mine.state, theirs.state);
  });
  if (entries.length === 0) return undefined;
  return {
    kind: "merkle-entries",
    depth: tree.depth,
    buckets: message.buckets,
    reply: false,
    entries,
  };
}

function answerDigest(
  keyspace: Keyspace,
  tree: MerkleTree,
  message: MerkleDigest,
): MerkleDigest | MerkleEntries | undefined {
  const divergent: number[] = [];
  for (const [index, hash] of message.nodes) {
    const mine = tree.digest(message.level, index);
    if (!mine.every((b, i) => b === hash[i])) divergent.push(index);
  }
  if (divergent.length === 0) return undefined;
  if (message.level === tree.depth) {
    return {
      kind: "merkle-entries",
      depth: tree.depth,
      buckets: divergent,
      reply: true,
      entries: entriesIn(keyspace, tree, divergent),
    };
  }
  const nodes: (readonly [number, Uint8Array])[] = [];
  for (const parent of divergent) {
    for (let child = 0; child < MERKLE_FAN_OUT; child++) {
      const index = parent * MERKLE_FAN_OUT + child;
      nodes.push([index, tree.digest(message.level + 1, index)]);
    }
  }
  return { kind: "merkle-digest", depth: tree.depth, level: message.level + 1, nodes };
}

function entriesIn(keyspace: Keyspace, tree: MerkleTree, buckets: Iterable<number>): DottedEntry[] {
  const entries: DottedEntry[] = [];
  for (const key of tree.keysIn(buckets)) {
    const entry = keyspace.get(key);
    if (entry !== undefined) entries.push({ ...entry, dots: keyspace.dotsOf(key) });
  }
  return entries;
}
