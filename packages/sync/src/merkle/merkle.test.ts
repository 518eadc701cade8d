import { replicaId } from "@convergent/clocks";
import { DecodeError } from "@convergent/core";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  assignRegister,
  fixtureCounter,
  fixtureRegister,
  incrementCounter,
} from "../keyspace/fixtures.js";
import type { Keyspace } from "../keyspace/keyspace.js";
import { applyWrite, keyspaceImage, newKeyspace } from "../keyspace/test-helpers.js";
import { utf8Bytes } from "../protocol/bytes.js";
import { decodeMessage, encodeMessage, type SyncMessage } from "../protocol/messages.js";
import { murmur3, salted32 } from "./hash.js";
import { answerMerkle, type MerkleMessage, merkleStart } from "./repair.js";
import { MERKLE_FAN_OUT, MerkleTree } from "./tree.js";

const writeOp = fc.record({
  key: fc.nat(60),
  counter: fc.boolean(),
  amount: fc.integer({ min: 1, max: 9 }),
});

interface RepairRun {
  readonly bytes: number;
  readonly messages: number;
  /** Every message of the walk, decoded, in order. */
  readonly trace: SyncMessage[];
}

/** Runs a repair to completion through encoded frames; returns the bytes and messages used. */
function repair(a: Keyspace, b: Keyspace, depth = 2, salt?: number): RepairRun {
  const trees = new Map([
    [a, new MerkleTree(a, depth)],
    [b, new MerkleTree(b, depth)],
  ]);
  let bytes = 0;
  let messages = 0;
  const trace: SyncMessage[] = [];
  const ends = (from: Keyspace, to: Keyspace) => ({ sender: from.replica, receiver: to.replica });
  let frame: Uint8Array | undefined = encodeMessage(
    merkleStart(trees.get(a) as MerkleTree, salt),
    a.registry,
    ends(a, b),
  );
  let receiver = b;
  while (frame !== undefined) {
    bytes += frame.length;
    messages += 1;
    const sender = receiver === a ? b : a;
    const message = decodeMessage(
      frame,
      receiver.registry,
      ends(sender, receiver),
    ) as MerkleMessage;
    trace.push(message);
    const reply = answerMerkle(receiver, trees.get(receiver) as MerkleTree, message);
    frame =
      reply === undefined
        ? undefined
        : encodeMessage(reply, receiver.registry, ends(receiver, sender));
    receiver = receiver === a ? b : a;
  }
  return { bytes, messages, trace };
}

/** A keyspace of `n` counters named k0..k(n-1), each incremented by its index plus one. */
function counters(id: string, n: number): Keyspace {
  const ks = newKeyspace(id);
  for (let i = 0; i < n; i++)
    ks.update(`k${i}`, fixtureCounter, (s, r) => incrementCounter(s, r, i + 1));
  return ks;
}

function entriesSent(run: RepairRun): number {
  let count = 0;
  for (const m of run.trace) if (m.kind === "merkle-entries") count += m.entries.length;
  return count;
}

describe("Merkle tree", () => {
  test("murmur3 matches the reference vectors", () => {
    expect(murmur3(new Uint8Array(0), 0)).toBe(0);
    expect(murmur3(utf8Bytes("hello"), 0)).toBe(0x248bfa47);
    expect(murmur3(utf8Bytes("The quick brown fox jumps over the lazy dog"), 0x9747b28c)).toBe(
      0x2fa826cd,
    );
  });

  test("digests depend on content, not history, and follow writes incrementally", () => {
    fc.assert(
      fc.property(
        fc.array(writeOp, { maxLength: 40 }),
        fc.array(writeOp, { maxLength: 40 }),
        (opsA, opsB) => {
          const a = newKeyspace("a");
          const b = newKeyspace("b");
          const treeA = new MerkleTree(a, 2);
          for (const [i, op] of opsA.entries()) applyWrite(a, op, i);
          for (const [i, op] of opsB.entries()) applyWrite(b, op, i + 1000);
          b.applyRemote(a.missing(b.context), a.context);
          a.applyRemote(b.missing(a.context), b.context);
          // b's tree is built after the fact, a's followed every write: same content, same root.
          const treeB = new MerkleTree(b, 2);
          expect(treeA.digest(0, 0)).toEqual(treeB.digest(0, 0));
          a.update("extra", fixtureCounter, (s, r) => incrementCounter(s, r, 1));
          expect(treeA.digest(0, 0)).not.toEqual(treeB.digest(0, 0));
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("repair path", () => {
  test("converges replicas whose contexts cannot decide (restored from an old backup)", () => {
    fc.assert(
      fc.property(
        fc.array(writeOp, { maxLength: 50 }),
        fc.array(writeOp, { maxLength: 30 }),
        fc.array(writeOp, { maxLength: 30 }),
        fc.integer({ min: 1, max: 3 }),
        fc.nat(),
        (shared, laterA, laterB, depth, salt) => {
          const a = newKeyspace("a");
          for (const [i, op] of shared.entries()) applyWrite(a, op, i);
          // b is a fresh replica id holding a copy of a's old data, without its context.
          const b = newKeyspace("b");
          b.applyRemote(a.missing(b.context).map((e) => ({ ...e, dots: [] })));
          for (const [i, op] of laterA.entries()) applyWrite(a, op, 100 + i);
          for (const [i, op] of laterB.entries()) applyWrite(b, op, 200 + i);
          repair(a, b, depth, salt);
          expect(keyspaceImage(b)).toEqual(keyspaceImage(a));
          expect(repair(a, b, depth, salt + 1).messages).toBe(1);
        },
      ),
      { numRuns: 150 },
    );
  });

  test("only divergent entries travel, and few hashes find them (O(d log n) bytes)", () => {
    const n = 4096;
    for (const depth of [1, 2, 3]) {
      const a = counters("a", n);
      const b = newKeyspace("b");
      b.applyRemote(a.missing(b.context), a.context);
      a.update("k7", fixtureCounter, (s, r) => incrementCounter(s, r, 1));
      b.update("k3000", fixtureCounter, (s, r) => incrementCounter(s, r, 1));
      b.update("new", fixtureRegister, (s, r) => assignRegister(s, r, 1, 1, new Uint8Array([1])));
      const run = repair(a, b, depth, 99);
      expect(keyspaceImage(a)).toEqual(keyspaceImage(b));
      // a's k7 goes over, b's k3000 and "new" come back; a's stale k3000 may go over once.
      expect(entriesSent(run)).toBeLessThanOrEqual(4);
      let hashes = 0;
      for (const m of run.trace) {
        if (m.kind === "merkle-keys") for (const [, list] of m.nodes) hashes += list.length;
      }
      // Only keys under the (at most 3) divergent nodes are hashed: about 32 per node, or a
      // whole leaf when the tree is too shallow for its keys (256 per leaf at depth 1).
      const perNode = Math.max(2 * MERKLE_FAN_OUT, n / MERKLE_FAN_OUT ** depth);
      expect(hashes).toBeLessThanOrEqual(3 * 1.5 * perNode);
      // 16 four-byte digests per divergent node per level, the hashes, then three entries.
      if (depth > 1) expect(run.bytes).toBeLessThan(800);
    }
  });

  test("a stale copy is not sent back once the join made it equal", () => {
    const a = counters("a", 300);
    const b = newKeyspace("b");
    b.applyRemote(a.missing(b.context).map((e) => ({ ...e, dots: [] })));
    for (let i = 0; i < 20; i++)
      a.update(`k${i}`, fixtureCounter, (s, r) => incrementCounter(s, r, 1));
    const run = repair(a, b, 2, 5);
    expect(keyspaceImage(a)).toEqual(keyspaceImage(b));
    // b's older copies are dominated: whichever side sends first, each key travels at most twice,
    // and the last message carries no entry b already had.
    expect(entriesSent(run)).toBeLessThanOrEqual(40);
    expect(entriesSent(run)).toBeGreaterThanOrEqual(20);
  });

  test("the salt changes every short hash, and walks differ from salt to salt", () => {
    const a = counters("a", 10);
    const tree = new MerkleTree(a, 2);
    const x = tree.saltedDigest(0, 0, 1);
    expect(tree.saltedDigest(0, 0, 2)).not.toBe(x);
    expect(tree.saltedDigest(0, 0, 1)).toBe(x);
    expect(salted32(1, 2, 3)).not.toBe(salted32(2, 1, 3));
    expect(merkleStart(tree).salt).not.toBe(merkleStart(tree).salt);
    // A collision of one salt is not one of another: 4096 values, 2 salts, no shared collision.
    const seen = [new Set<number>(), new Set<number>()];
    let collisions = 0;
    for (let i = 0; i < 4096; i++) {
      for (const [s, set] of seen.entries()) {
        const h = salted32(i, i * 7, s);
        if (set.has(h)) collisions += 1;
        set.add(h);
      }
    }
    expect(collisions).toBe(0);
  });

  test("incremental updates touch depth + 1 nodes and agree with a rebuilt tree", () => {
    const a = counters("a", 2000);
    const tree = new MerkleTree(a, 3);
    tree.flush();
    a.update("k5", fixtureCounter, (s, r) => incrementCounter(s, r, 2));
    const rebuilt = new MerkleTree(a, 3);
    expect(tree.digest(0, 0)).toEqual(rebuilt.digest(0, 0));
    const leaf = tree.bucketOf("k5");
    expect(tree.digest(3, leaf)).toEqual(rebuilt.digest(3, leaf));
    expect(tree.size).toBe(2000);
    expect(tree.nodeOf("k5", 1)).toBe(Math.floor(leaf / 256));
  });

  test("a repair message with a foreign layout or a key outside its nodes changes nothing", () => {
    const a = newKeyspace("a");
    a.update("x", fixtureCounter, (s, r) => incrementCounter(s, r, 1));
    const b = newKeyspace("b");
    const tree = new MerkleTree(b, 2);
    const before = keyspaceImage(b);
    expect(() => answerMerkle(b, tree, { ...merkleStart(new MerkleTree(a, 3)) })).toThrow(/depth/);
    const wrongBucket = (tree.bucketOf("x") + 1) % 256;
    const entries = a.missing(b.context);
    expect(() =>
      answerMerkle(b, tree, {
        kind: "merkle-entries",
        depth: 2,
        salt: 0,
        level: 2,
        nodes: [wrongBucket],
        want: [1],
        entries,
      }),
    ).toThrow(/outside/);
    expect(() =>
      answerMerkle(b, tree, {
        kind: "merkle-entries",
        depth: 2,
        salt: 0,
        level: 1,
        nodes: [(tree.nodeOf("x", 1) + 1) % 16],
        want: [],
        entries,
      }),
    ).toThrow(/outside/);
    expect(keyspaceImage(b)).toEqual(before);
    // Hashes naming nothing we hold, and keys lists of matching hashes, ask for nothing.
    expect(
      answerMerkle(b, tree, {
        kind: "merkle-entries",
        depth: 2,
        salt: 0,
        level: 0,
        nodes: [0],
        want: [1, 2, 3],
        entries: [],
      }),
    ).toBeUndefined();
    expect(
      answerMerkle(b, tree, { kind: "merkle-keys", depth: 2, salt: 0, level: 1, nodes: [[3, []]] }),
    ).toBeUndefined();
  });

  test("hostile Merkle frames are refused with DecodeError", () => {
    const a = newKeyspace("a");
    const registry = a.registry;
    const ends = { sender: a.replica, receiver: replicaId("z") };
    const bad = (bytes: number[], reason: DecodeError["reason"]) => {
      expect(() => decodeMessage(Uint8Array.from(bytes), registry, ends)).toThrow(DecodeError);
      try {
        decodeMessage(Uint8Array.from(bytes), registry, ends);
      } catch (error) {
        expect((error as DecodeError).reason).toBe(reason);
      }
    };
    // merkle-digest: depth 2, level 1, salt, one run at 15 of length 2 spills past level 1.
    bad([0x43, 2, 1, 0, 0, 0, 0, 1, 15, 1, ...new Array(8).fill(0)], "INVALID_VALUE");
    // Depth 0 and 7, level below depth.
    bad([0x43, 0, 0, 0, 0, 0, 0, 0], "INVALID_VALUE");
    bad([0x43, 7, 0, 0, 0, 0, 0, 0], "LIMIT_EXCEEDED");
    bad([0x43, 2, 3, 0, 0, 0, 0, 0], "LIMIT_EXCEEDED");
    // Touching runs: two runs with gap 0.
    bad([0x43, 2, 1, 0, 0, 0, 0, 2, 0, 0, 1, 1, 1, 1, 0, 0, 2, 2, 2, 2], "MALFORMED");
    // merkle-keys: hashes must ascend; a count beyond the bytes left.
    bad([0x4a, 2, 2, 0, 0, 0, 0, 1, 0, 2, 0, 0, 0, 2, 0, 0, 0, 1], "MALFORMED");
    bad([0x4a, 2, 2, 0, 0, 0, 0, 1, 0, 9, 0, 0, 0, 2], "LIMIT_EXCEEDED");
    // merkle-entries: a node outside its level, then truncated want list.
    bad([0x44, 2, 1, 0, 0, 0, 0, 1, 16, 0, 0], "INVALID_VALUE");
    bad([0x44, 2, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0], "LIMIT_EXCEEDED");
    const ok = decodeMessage(
      Uint8Array.of(0x4a, 2, 2, 0, 0, 0, 9, 1, 4, 2, 0, 0, 0, 1, 0, 0, 0, 1),
      registry,
      ends,
    );
    expect(ok).toEqual({ kind: "merkle-keys", depth: 2, level: 2, salt: 9, nodes: [[4, [1, 1]]] });
  });
});
