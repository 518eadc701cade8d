/**
 * Issue 12 on the store side: what a replica remembers of peers (acknowledgements only from
 * connected peers, bounded), session tokens with a size cap checked before decoding, catch-up
 * that does not wait for own dots never issued, and storage that a peer's claims cannot wedge.
 */
import { emptyCausalContext, maxCounter, type ReplicaId, replicaId } from "@convergent/clocks";
import { InvalidArgumentError } from "@convergent/core";
import {
  encodeMessage,
  Keyspace,
  TypeRegistry,
  VirtualScheduler,
  wholeStateDeltas,
} from "@convergent/sync";
import { describe, expect, test } from "vitest";
import { MemoryDisk, memoryStorage } from "../storage/memory.js";
import { AckTracker } from "./acks.js";
import { catchUp } from "./catch-up.js";
import { storeKey } from "./keys.js";
import { DOT_BLOCK, encodeContext, META } from "./persistence.js";
import { createReplica, type Replica } from "./replica.js";
import {
  decodeSessionToken,
  EMPTY_TOKEN,
  encodeSessionToken,
  MAX_SESSION_TOKEN_LENGTH,
  SessionTokenTooLargeError,
} from "./session.js";
import { cluster } from "./test-support/cluster.js";

const A = replicaId("a");
const P = replicaId("p");
const TOP = Number.MAX_SAFE_INTEGER;

function context(vector: [ReplicaId, number][], cloud: [ReplicaId, number[]][] = []) {
  const c = emptyCausalContext();
  for (const [r, n] of vector) c.versionVector.set(r, n);
  for (const [r, ns] of cloud) c.cloud.set(r, new Set(ns));
  return c;
}

describe("AckTracker (items 5 and 9)", () => {
  test("a peer that announced a context and left no longer acknowledges anything", async () => {
    const scheduler = new VirtualScheduler();
    const acks = new AckTracker(scheduler);
    acks.peerContext(P, context([[A, 10]]));
    acks.peerContext(P, emptyCausalContext()); // what the engine sends when P's connection closes
    const { promise, confirm } = acks.wait("k", { replica: A, counter: 5 }, 2, 100);
    confirm(A);
    scheduler.advance(100);
    expect(await promise).toEqual({ ok: false, confirmed: [A] });
    expect(acks.peers).toBe(0);
  });

  test("a later announcement replaces the earlier one, and caps hold per peer and overall", () => {
    const acks = new AckTracker(new VirtualScheduler(), { maxPeers: 3, maxCloudDotsPerPeer: 10 });
    for (let i = 0; i < 10; i++) acks.peerContext(replicaId(`p${i}`), context([[A, 1]]));
    expect(acks.peers).toBe(3);
    // A peer whose cloud is too large is remembered by its vector only.
    const cloud = Array.from({ length: 50 }, (_, i) => 10 + 2 * i);
    acks.peerContext(replicaId("p0"), context([[A, 3]], [[A, cloud]]));
    const waiter = acks.wait("k", { replica: A, counter: 12 }, 2, 100);
    const low = acks.wait("k", { replica: A, counter: 3 }, 2, 100);
    waiter.confirm(A);
    low.confirm(A);
    return Promise.race([
      low.promise.then((outcome) => expect(outcome.ok).toBe(true)),
      new Promise((_, reject) => setTimeout(() => reject(new Error("not confirmed")), 50)),
    ]);
  });
});

describe("session tokens (item 10)", () => {
  test("a token over the size cap is refused with a typed error before decoding", () => {
    const huge = "A".repeat(MAX_SESSION_TOKEN_LENGTH + 1);
    const started = performance.now();
    expect(() => decodeSessionToken(huge)).toThrow(SessionTokenTooLargeError);
    expect(() => decodeSessionToken("A".repeat(12_000_000))).toThrow(SessionTokenTooLargeError);
    expect(performance.now() - started).toBeLessThan(200);
    try {
      decodeSessionToken(huge);
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as SessionTokenTooLargeError).code).toBe("SESSION_TOKEN_TOO_LARGE");
    }
  });

  test("encoding refuses a token nobody would accept; a token within the cap round-trips", () => {
    const big = context([], [[A, Array.from({ length: 60_000 }, (_, i) => 3 + 2 * i)]]);
    expect(() => encodeSessionToken({ context: big })).toThrow(SessionTokenTooLargeError);
    const small = { context: context([[A, 7]]) };
    expect(decodeSessionToken(encodeSessionToken(small)).context.versionVector.get(A)).toBe(7);
    expect(encodeSessionToken(EMPTY_TOKEN).length).toBeLessThan(16);
  });
});

describe("catch-up (item 1)", () => {
  test("a target claiming own dots never issued fails at once instead of pulling until the timeout", async () => {
    const keyspace = new Keyspace({ replica: A, registry: new TypeRegistry() });
    const scheduler = new VirtualScheduler();
    const engine = { syncWith: () => {}, onSynced: () => () => {} };
    const waiting = catchUp(
      { keyspace, scheduler, engine: engine as never, peers: () => [] },
      context([[A, Number.MAX_SAFE_INTEGER]]),
      60_000,
      () => new Error("timed out"),
    );
    await expect(waiting).rejects.toThrow("timed out");
  });
});

describe("persistence (items 1, 3, 4)", () => {
  test("a stored claim on the node's own counter at 2^53 - 1 does not wedge the restarted node", async () => {
    const disk = new MemoryDisk();
    const first = await createReplica({
      id: A,
      storage: memoryStorage({ disk }),
      transport: idle(A),
    });
    await first.counter("n").increment(1);
    await first.close();
    // What a release before issue 12 persisted after a peer's claim: the context and the mark.
    disk.meta.set(META.context, encodeContext(new TypeRegistry(), context([[A, TOP]])));
    disk.meta.set(META.dotMark, new TextEncoder().encode(String(TOP - 10)));
    const restarted = await createReplica({
      id: A,
      storage: memoryStorage({ disk }),
      transport: idle(A),
    });
    expect(maxCounter(restarted.keyspace.context, A)).toBe(DOT_BLOCK);
    const write = await restarted.counter("n").increment(1);
    expect(write.dot.counter).toBe(DOT_BLOCK + 1);
    await restarted.close();
  });

  test("a context filled by hostile cloud claims is stored within the caps and loads back", async () => {
    const disk = new MemoryDisk();
    const replica = await createReplica({
      id: A,
      storage: memoryStorage({ disk }),
      transport: idle(A),
    });
    const keyspace = replica.keyspace;
    const cap = keyspace.limits.maxCloudDots;
    const tag = "g-counter";
    const type = keyspace.registry.get(tag);
    const top = 2 * cap + 100;
    // A claim of more cloud dots than the keyspace holds, backed by one entry at the top.
    const claim = context([], [[P, Array.from({ length: cap + 50 }, (_, i) => 3 + 2 * i)]]);
    keyspace.applyRemote(
      [
        {
          key: storeKey("x", tag),
          tag,
          state: type?.empty(),
          dots: [{ replica: P, counter: top }],
        },
      ],
      claim,
    );
    let cloud = 0;
    for (const s of keyspace.context.cloud.values()) cloud += s.size;
    expect(cloud).toBe(cap);
    await replica.counter("n").increment(1);
    await replica.close();
    const restarted = await createReplica({
      id: A,
      storage: memoryStorage({ disk }),
      transport: idle(A),
    });
    let loaded = 0;
    for (const s of restarted.keyspace.context.cloud.values()) loaded += s.size;
    expect(loaded).toBe(cap);
    await restarted.close();
  }, 30_000);
});

describe("reserved-prefix and mistyped keys from a peer (item 8)", () => {
  test("are refused whole, and a reading, subscribing replica never crashes", async () => {
    const c = await cluster(1, { sync: { gossip: false } });
    const a = c.replicas[0] as Replica;
    await c.settle(a.set("fruit").add("apple"));
    const events: unknown[] = [];
    a.subscribe((event) => events.push(event));
    const mallory = c.network.transport(replicaId("mallory"));
    await c.run(10);
    const registry = a.keyspace.registry;
    const counter = registry.get("g-counter");
    const hostile = [
      // A deletion record of the old layout, under the reserved prefix, with the wrong type.
      { key: storeKey("\u0000deleted:fruit", "g-counter"), tag: "g-counter" },
      // The set's key holding a counter state.
      { key: storeKey("fruit", "or-set"), tag: "g-counter" },
      // A bare name, not a (name, type) key.
      { key: "fruit", tag: "g-counter" },
    ];
    for (const [i, h] of hostile.entries()) {
      const entries = [
        {
          ...h,
          state: counter?.empty(),
          dots: [{ replica: replicaId("mallory"), counter: i + 1 }],
        },
      ];
      mallory.send(
        a.id,
        encodeMessage(
          { kind: "delta-push", seq: i + 1, deps: undefined, entries: wholeStateDeltas(entries) },
          registry,
          {
            sender: replicaId("mallory"),
            receiver: a.id,
          },
        ),
      );
    }
    await c.run(50);
    expect(a.engine.stats().framesRejected).toBe(hostile.length);
    expect([...a.keyspace.keys()]).toEqual([storeKey("fruit", "or-set")]);
    expect([...(await c.settle(a.set("fruit").values())).value]).toEqual(["apple"]);
    expect(events).toEqual([]);
  });
});

/** A transport with no peers, for replicas that only touch their storage. */
function idle(id: ReplicaId) {
  return {
    localId: id,
    send: () => "unreachable" as const,
    peers: () => [],
    onFrame: () => () => {},
    onPeerConnected: () => () => {},
    onPeerDisconnected: () => () => {},
    stats: () => ({}) as never,
    close: async () => {},
  };
}
