import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { fixtureCounter, incrementCounter } from "../keyspace/fixtures.js";
import type { Keyspace } from "../keyspace/keyspace.js";
import { applyWrite, keyspaceImage, newKeyspace } from "../keyspace/test-helpers.js";
import { utf8Bytes } from "../protocol/bytes.js";
import {
  decodeMessage,
  encodeMessage,
  type MerkleDigest,
  type MerkleEntries,
} from "../protocol/messages.js";
import { murmur3 } from "./hash.js";
import { answerMerkle, merkleStart } from "./repair.js";
import { MerkleTree } from "./tree.js";

const writeOp = fc.record({
  key: fc.nat(60),
  counter: fc.boolean(),
  amount: fc.integer({ min: 1, max: 9 }),
});

/** Runs a repair to completion through encoded frames; returns the bytes and messages used. */
function repair(a: Keyspace, b: Keyspace, depth = 2): { bytes: number; messages: number } {
  const trees = new Map([
    [a, new MerkleTree(a, depth)],
    [b, new MerkleTree(b, depth)],
  ]);
  let bytes = 0;
  let messages = 0;
  const ends = (from: Keyspace, to: Keyspace) => ({ sender: from.replica, receiver: to.replica });
  let frame: Uint8Array | undefined = encodeMessage(
    merkleStart(trees.get(a) as MerkleTree),
    a.registry,
    ends(a, b),
  );
  let receiver = b;
  while (frame !== undefined) {
    bytes += frame.length;
    messages += 1;
    const sender = receiver === a ? b : a;
    const message = decodeMessage(frame, receiver.registry, ends(sender, receiver)) as
      | MerkleDigest
      | MerkleEntries;
    const reply = answerMerkle(receiver, trees.get(receiver) as MerkleTree, message);
    frame =
      reply === undefined
        ? undefined
        : encodeMessage(reply, receiver.registry, ends(receiver, sender));
    receiver = receiver === a ? b : a;
  }
  return { bytes, messages };
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
        (shared, laterA, laterB) => {
          const a = newKeyspace("a");
          for (const [i, op] of shared.entries()) applyWrite(a, op, i);
          // b is a fresh replica id holding a copy of a's old data, without its context.
          const b = newKeyspace("b");
          b.applyRemote(a.missing(b.context).map((e) => ({ ...e, dots: [] })));
          for (const [i, op] of laterA.entries()) applyWrite(a, op, 100 + i);
          for (const [i, op] of laterB.entries()) applyWrite(b, op, 200 + i);
          repair(a, b);
          expect(keyspaceImage(b)).toEqual(keyspaceImage(a));
          expect(repair(a, b).messages).toBe(1);
        },
      ),
      { numRuns: 150 },
    );
  });

  test("a repair message with a foreign layout or a key outside its buckets changes nothing", () => {
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
        buckets: [wrongBucket],
        reply: true,
        entries,
      }),
    ).toThrow(/outside/);
    expect(keyspaceImage(b)).toEqual(before);
  });
});
