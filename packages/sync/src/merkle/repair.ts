/**
 * The repair path: two replicas walk their Merkle trees down from the root, one level per
 * message, each time sending the digests of the children of the nodes that differed. Once the
 * divergent nodes hold few keys (about 16 each, or 32 when most nodes differ), the walk switches
 * to per-entry hashes: one side lists the 32-bit hash of every entry under those nodes, the
 * other answers with its entries whose hash is not listed and the listed hashes it lacks, and the
 * first sends the entries asked for, skipping those the join made equal to what it received.
 * Only entries that differ travel, so bytes are O(d log n) for d divergent keys: 16 digests per
 * divergent node per level, a few hashes per divergent key, then the entries. Every short hash
 * is salted per walk, so a 32-bit collision hides a difference for one walk, not for good. It
 * needs no causal context, so it repairs what contexts cannot see (a replica restored from a
 * backup, lost storage, corruption).
 */
import { DecodeError } from "@convergent/core";
import type { DottedEntry, Keyspace } from "../keyspace/keyspace.js";
import type { MerkleDigest, MerkleEntries, MerkleKeys } from "../protocol/messages.js";
import { MERKLE_FAN_OUT, type MerkleTree } from "./tree.js";

export type MerkleMessage = MerkleDigest | MerkleKeys | MerkleEntries;

/**
 * Divergent nodes with at most this many keys on average are answered with entry hashes: 16
 * child digests cost as much as 16 entry hashes. When most compared nodes differ, the children
 * will too, and hashes are worth it up to twice that.
 */
const KEYED_NODE_KEYS = MERKLE_FAN_OUT;
const DENSE_KEYED_NODE_KEYS = 2 * MERKLE_FAN_OUT;

/** The first message of a repair: the root digest under a fresh salt (`tree.nextSalt()`). */
export function merkleStart(tree: MerkleTree, salt: number = tree.nextSalt()): MerkleDigest {
  const s = salt >>> 0;
  return {
    kind: "merkle-digest",
    depth: tree.depth,
    salt: s,
    level: 0,
    nodes: [[0, tree.saltedDigest(0, 0, s)]],
  };
}

/**
 * Answers one repair message: the next message to send back, or undefined when this branch of
 * the walk is finished (no divergence left). Entries received are applied atomically first.
 * Throws DecodeError, leaving the keyspace untouched, for a message that does not fit the tree.
 */
export function answerMerkle(
  keyspace: Keyspace,
  tree: MerkleTree,
  message: MerkleMessage,
): MerkleMessage | undefined {
  if (message.depth !== tree.depth) {
    throw new DecodeError(
      "INVALID_VALUE",
      `peer's Merkle depth ${message.depth} differs from ${tree.depth}`,
    );
  }
  if (message.level > tree.depth) throw new DecodeError("INVALID_VALUE", "level below the leaves");
  switch (message.kind) {
    case "merkle-digest":
      return answerDigest(tree, message);
    case "merkle-keys":
      return answerKeys(keyspace, tree, message);
    default:
      return answerEntries(keyspace, tree, message);
  }
}

function answerDigest(tree: MerkleTree, message: MerkleDigest): MerkleMessage | undefined {
  const { level, salt } = message;
  const divergent: number[] = [];
  for (const [index, hash] of message.nodes) {
    if (tree.saltedDigest(level, index, salt) !== hash) divergent.push(index);
  }
  if (divergent.length === 0) return undefined;
  const keysPerNode = tree.size / MERKLE_FAN_OUT ** level;
  const dense = divergent.length * 2 > message.nodes.length;
  const keyed =
    level === tree.depth ||
    keysPerNode <= KEYED_NODE_KEYS ||
    (dense && keysPerNode <= DENSE_KEYED_NODE_KEYS);
  const head = { depth: tree.depth, salt } as const;
  if (keyed) {
    const nodes = divergent.map((index): readonly [number, readonly number[]] => [
      index,
      tree
        .saltedEntries(level, index, salt)
        .map(([, hash]) => hash)
        .sort((a, b) => a - b),
    ]);
    return { kind: "merkle-keys", ...head, level, nodes };
  }
  const nodes: (readonly [number, number])[] = [];
  for (const parent of divergent) {
    for (let child = 0; child < MERKLE_FAN_OUT; child++) {
      const index = parent * MERKLE_FAN_OUT + child;
      nodes.push([index, tree.saltedDigest(level + 1, index, salt)]);
    }
  }
  return { kind: "merkle-digest", ...head, level: level + 1, nodes };
}

/** The peer listed its entry hashes: send what it lacks, ask for what it has and we lack. */
function answerKeys(
  keyspace: Keyspace,
  tree: MerkleTree,
  message: MerkleKeys,
): MerkleEntries | undefined {
  const { level, salt } = message;
  const keys: string[] = [];
  const want: number[] = [];
  for (const [index, theirs] of message.nodes) {
    const mine = tree.saltedEntries(level, index, salt);
    const their = new Set(theirs);
    const ours = new Set<number>();
    for (const [key, hash] of mine) {
      ours.add(hash);
      if (!their.has(hash)) keys.push(key);
    }
    for (const hash of their) if (!ours.has(hash)) want.push(hash);
  }
  if (keys.length === 0 && want.length === 0) return undefined;
  return {
    kind: "merkle-entries",
    depth: tree.depth,
    salt,
    level,
    nodes: message.nodes.map(([index]) => index),
    want: want.sort((a, b) => a - b),
    entries: dotted(keyspace, keys),
  };
}

/** Entries arrived (and maybe a request for some of ours): apply them, then answer. */
function answerEntries(
  keyspace: Keyspace,
  tree: MerkleTree,
  message: MerkleEntries,
): MerkleEntries | undefined {
  const { level, salt } = message;
  const nodes = new Set(message.nodes);
  for (const entry of message.entries) {
    if (!nodes.has(tree.nodeOf(entry.key, level))) {
      throw new DecodeError(
        "INVALID_VALUE",
        `key ${JSON.stringify(entry.key)} is outside the nodes sent`,
      );
    }
  }
  // The wanted hashes name our entries as they were when we listed them: resolve them before
  // the received entries are joined in and change those hashes.
  const wanted: string[] = [];
  if (message.want.length > 0) {
    const want = new Set(message.want);
    for (const index of message.nodes) {
      for (const [key, hash] of tree.saltedEntries(level, index, salt))
        if (want.has(hash)) wanted.push(key);
    }
  }
  keyspace.applyRemote(message.entries);
  if (wanted.length === 0) return undefined;
  const received = new Map(message.entries.map((e) => [e.key, e]));
  const keys = wanted.filter((key) => {
    const theirs = received.get(key);
    if (theirs === undefined) return true;
    // The join made ours equal to theirs (theirs was newer): nothing left to send.
    const mine = keyspace.get(key);
    const type = keyspace.registry.get(theirs.tag);
    return mine === undefined || type === undefined || !type.equals(mine.state, theirs.state);
  });
  if (keys.length === 0) return undefined;
  return {
    kind: "merkle-entries",
    depth: tree.depth,
    salt,
    level,
    nodes: message.nodes,
    want: [],
    entries: dotted(keyspace, keys),
  };
}

function dotted(keyspace: Keyspace, keys: readonly string[]): DottedEntry[] {
  const entries: DottedEntry[] = [];
  for (const key of keys) {
    const entry = keyspace.get(key);
    if (entry !== undefined) entries.push({ ...entry, dots: keyspace.dotsOf(key) });
  }
  return entries;
}
