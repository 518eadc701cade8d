/**
 * Sync benchmark of issue 5: two replicas share 100,000 keys holding 16-byte values, then each
 * changes d disjoint keys; one sync must bring both to the same state. Measured per path (the
 * version-vector fast path, the Merkle repair path, and Yjs's own state-vector sync on a Y.Map
 * with the same keys and values): bytes both ways, round trips, milliseconds, next to the
 * information lower bound 2 * d * (key + value bytes) and the target 1.05 * bound + 64 bytes.
 */
import { HybridLogicalClock, type ReplicaId, replicaId } from "@convergent/clocks";
import { lwwRegister, set } from "@convergent/lww-register";
import {
  answerMerkle,
  answerSyncRequest,
  applySyncResponse,
  decodeMessage,
  encodeMessage,
  Keyspace,
  type MerkleDigest,
  type MerkleEntries,
  MerkleTree,
  merkleStart,
  type SyncRequest,
  type SyncResponse,
  syncRequest,
  TypeRegistry,
} from "@convergent/sync";
import * as Y from "yjs";
import { medianMs, type Result, type Suite } from "../harness.js";

const KEY_BYTES = 10;
const VALUE_BYTES = 16;
const BASE_KEYS = 100_000;
const DIFFERENCES = [1, 100, 10_000];

const key = (i: number): string => `key/${String(i).padStart(KEY_BYTES - 4, "0")}`;

function value(seed: number): Uint8Array {
  const bytes = new Uint8Array(VALUE_BYTES);
  for (let i = 0; i < VALUE_BYTES; i++) bytes[i] = (seed * 31 + i * 7) & 0xff;
  return bytes;
}

/** Key indices changed by each side: spread evenly, disjoint between the two sides. */
function changedKeys(n: number, d: number): { a: number[]; b: number[] } {
  const stride = Math.max(2, Math.floor(n / d));
  const a: number[] = [];
  const b: number[] = [];
  for (let j = 0; j < d; j++) {
    a.push((j * stride) % n);
    b.push((j * stride + 1) % n);
  }
  return { a, b };
}

interface Pair {
  readonly a: Keyspace;
  readonly b: Keyspace;
}

function keyspacePair(n: number, d: number, beforeChanges?: (pair: Pair) => void): Pair {
  const registry = new TypeRegistry([lwwRegister]);
  const idA = replicaId("replica-a");
  const idB = replicaId("replica-b");
  const a = new Keyspace({ replica: idA, registry });
  const b = new Keyspace({ replica: idB, registry });
  const clockA = new HybridLogicalClock(idA);
  const clockB = new HybridLogicalClock(idB);
  for (let i = 0; i < n; i++) a.update(key(i), lwwRegister, (s) => set(s, clockA, value(i)));
  b.applyRemote(a.missing(b.context), a.context);
  beforeChanges?.({ a, b });
  const changed = changedKeys(n, d);
  for (const i of changed.a) a.update(key(i), lwwRegister, (s) => set(s, clockA, value(i + 1)));
  for (const i of changed.b) b.update(key(i), lwwRegister, (s) => set(s, clockB, value(i + 2)));
  return { a, b };
}

interface Outcome {
  readonly bytes: number;
  readonly roundTrips: number;
}

/** The connection a frame travels on; both ends know it, so its ids stay off the wire. */
function ends(from: Keyspace, to: Keyspace): { sender: ReplicaId; receiver: ReplicaId } {
  return { sender: from.replica, receiver: to.replica };
}

/** Both sides send their request at once, then answer each other's: one round trip. */
function fastPath({ a, b }: Pair): Outcome {
  const registry = a.registry;
  const requestA = encodeMessage(syncRequest(a), registry, ends(a, b));
  const requestB = encodeMessage(syncRequest(b), registry, ends(b, a));
  const responseB = encodeMessage(
    answerSyncRequest(b, decodeMessage(requestA, registry, ends(a, b)) as SyncRequest),
    registry,
    ends(b, a),
  );
  const responseA = encodeMessage(
    answerSyncRequest(a, decodeMessage(requestB, registry, ends(b, a)) as SyncRequest),
    registry,
    ends(a, b),
  );
  applySyncResponse(a, decodeMessage(responseB, registry, ends(b, a)) as SyncResponse);
  applySyncResponse(b, decodeMessage(responseA, registry, ends(a, b)) as SyncResponse);
  const bytes = requestA.length + requestB.length + responseA.length + responseB.length;
  return { bytes, roundTrips: 1 };
}

const trees = new WeakMap<Keyspace, MerkleTree>();

/** A walks down from the root; messages alternate until no divergence is left. */
function merklePath({ a, b }: Pair): Outcome {
  let bytes = 0;
  let messages = 0;
  let receiver = b;
  let sender = a;
  let frame: Uint8Array | undefined = encodeMessage(
    merkleStart(trees.get(a) as MerkleTree),
    a.registry,
    ends(a, b),
  );
  while (frame !== undefined) {
    bytes += frame.length;
    messages += 1;
    const message = decodeMessage(frame, receiver.registry, ends(sender, receiver)) as
      | MerkleDigest
      | MerkleEntries;
    const reply = answerMerkle(receiver, trees.get(receiver) as MerkleTree, message);
    frame =
      reply === undefined
        ? undefined
        : encodeMessage(reply, receiver.registry, ends(receiver, sender));
    [sender, receiver] = [receiver, sender];
  }
  return { bytes, roundTrips: Math.ceil(messages / 2) };
}

/** About one key per leaf bucket: 16^depth buckets for n keys. */
function merkleDepth(n: number): number {
  return Math.max(1, Math.min(6, Math.round(Math.log(n) / Math.log(16))));
}

function withTrees(pair: Pair): void {
  const depth = merkleDepth(pair.a.size);
  trees.set(pair.a, new MerkleTree(pair.a, depth));
  trees.set(pair.b, new MerkleTree(pair.b, depth));
  // Build the trees before the changes, so the changes reach them incrementally.
  trees.get(pair.a)?.flush();
  trees.get(pair.b)?.flush();
}

function yjsPair(n: number, d: number): { a: Y.Doc; b: Y.Doc } {
  const a = new Y.Doc();
  a.clientID = 1;
  const b = new Y.Doc();
  b.clientID = 2;
  a.transact(() => {
    const map = a.getMap<Uint8Array>("m");
    for (let i = 0; i < n; i++) map.set(key(i), value(i));
  });
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
  const changed = changedKeys(n, d);
  a.transact(() => {
    for (const i of changed.a) a.getMap<Uint8Array>("m").set(key(i), value(i + 1));
  });
  b.transact(() => {
    for (const i of changed.b) b.getMap<Uint8Array>("m").set(key(i), value(i + 2));
  });
  return { a, b };
}

function yjsSync({ a, b }: { a: Y.Doc; b: Y.Doc }): Outcome {
  const vectorA = Y.encodeStateVector(a);
  const vectorB = Y.encodeStateVector(b);
  const updateForB = Y.encodeStateAsUpdate(a, vectorB);
  const updateForA = Y.encodeStateAsUpdate(b, vectorA);
  Y.applyUpdate(a, updateForA);
  Y.applyUpdate(b, updateForB);
  return {
    bytes: vectorA.length + vectorB.length + updateForA.length + updateForB.length,
    roundTrips: 1,
  };
}

function sameKeyspaces({ a, b }: Pair, n: number): boolean {
  for (let i = 0; i < n; i++) {
    const x = a.get(key(i))?.state;
    const y = b.get(key(i))?.state;
    if (x === undefined || y === undefined || !lwwRegister.equals(x as never, y as never))
      return false;
  }
  return true;
}

export const syncSuite: Suite = async (options) => {
  const n = Math.max(10, Math.round(BASE_KEYS * options.scale));
  const results: Result[] = [];
  // The first sample also warms the JIT up; the median of five keeps it out of the figure.
  const samples = 5;
  for (const base of DIFFERENCES) {
    const d = Math.max(1, Math.min(Math.floor(n / 4), Math.round(base * options.scale)));
    const workload = `${n.toLocaleString("en-US")} keys, d=${d.toLocaleString("en-US")}`;
    const bound = 2 * d * (KEY_BYTES + VALUE_BYTES);
    const record = (implementation: string, outcome: Outcome, ms: number): void => {
      const metric = (name: string, v: number, unit: string): Result => ({
        suite: "sync",
        workload,
        implementation,
        metric: name,
        value: v,
        unit,
      });
      results.push(
        metric("bytes both ways", outcome.bytes, "bytes"),
        metric("round trips", outcome.roundTrips, "round trips"),
        metric("time", ms, "ms"),
        metric("lower bound 2d(key+value)", bound, "bytes"),
        metric("ratio to bound", outcome.bytes / bound, "ratio"),
        metric("ratio to target 1.05x+64", outcome.bytes / (1.05 * bound + 64), "ratio"),
      );
    };

    let outcome: Outcome | undefined;
    const fastMs = medianMs(
      samples,
      () => keyspacePair(n, d),
      (pair) => {
        outcome = fastPath(pair);
      },
    );
    const checkPair = keyspacePair(n, d);
    fastPath(checkPair);
    if (!sameKeyspaces(checkPair, n)) throw new Error(`fast path did not converge at d=${d}`);
    record("convergent fast path", outcome as Outcome, fastMs);

    const merkleMs = medianMs(
      samples,
      () => keyspacePair(n, d, withTrees),
      (pair) => {
        outcome = merklePath(pair);
      },
    );
    const repairPair = keyspacePair(n, d, withTrees);
    merklePath(repairPair);
    if (!sameKeyspaces(repairPair, n)) throw new Error(`Merkle path did not converge at d=${d}`);
    record("convergent Merkle repair", outcome as Outcome, merkleMs);

    const yjsMs = medianMs(
      samples,
      () => yjsPair(n, d),
      (docs) => {
        outcome = yjsSync(docs);
      },
    );
    record("yjs", outcome as Outcome, yjsMs);
  }
  return results;
};
