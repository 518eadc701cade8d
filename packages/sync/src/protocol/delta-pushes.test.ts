/**
 * Pushes carry deltas (issue 13): a push costs the delta, not the value; a receiver adds exactly
 * the pushed dots and refuses a delta whose key misses an earlier update of its origin (the fast
 * path brings it); hubs relay each delta once, at once.
 */
import { type ReplicaId, replicaId } from "@convergent/clocks";
import { ConvergentError, DEFAULT_DECODE_LIMITS, DecodeError } from "@convergent/core";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { fixtureCounter, incrementCounter } from "../keyspace/fixtures.js";
import type { DeltaEntry, Keyspace } from "../keyspace/keyspace.js";
import { newKeyspace } from "../keyspace/test-helpers.js";
import { latency } from "../transports/link-conditions.js";
import { SimulatedNetwork } from "../transports/simulated-network.js";
import type { Transport } from "../transports/transport.js";
import { SyncEngine, type SyncEngineOptions } from "./engine.js";
import { decodeMessage, encodeMessage } from "./messages.js";

const bump = (keyspace: Keyspace, key: string, amount = 1) =>
  keyspace.update(key, fixtureCounter, (s, r) => incrementCounter(s, r, amount));

function nodes(ids: readonly string[], options: Partial<SyncEngineOptions> = {}) {
  const network = new SimulatedNetwork({ seed: 11, link: { latency: latency.fixed(10) } });
  const made = ids.map((id) => {
    const keyspace = newKeyspace(id);
    const transport = network.transport(replicaId(id));
    const engine = new SyncEngine({
      keyspace,
      transport,
      scheduler: network.scheduler,
      gossip: false,
      ...options,
    });
    return { keyspace, engine, transport };
  });
  return { network, nodes: made };
}

/** Every push frame a node receives, decoded. */
function pushesTo(node: { keyspace: Keyspace; transport: Transport }) {
  const seen: { bytes: number; entries: readonly DeltaEntry[] }[] = [];
  node.transport.onFrame((peer, frame) => {
    const message = decodeMessage(frame, node.keyspace.registry, {
      sender: peer,
      receiver: node.transport.localId,
    });
    if (message.kind === "delta-push") seen.push({ bytes: frame.length, entries: message.entries });
  });
  return seen;
}

describe("delta pushes", () => {
  test("a push costs the delta and its own dot, whatever the size of the value", () => {
    const { network, nodes: made } = nodes(["a", "b"]);
    const [a, b] = made as [(typeof made)[0], (typeof made)[0]];
    // A counter with 2,000 origins: its state is tens of kilobytes, an increment's delta is one.
    const many = new Map<ReplicaId, number>();
    for (let i = 0; i < 2000; i++) many.set(replicaId(`origin-${i}`), i + 1);
    a.keyspace.update("big", fixtureCounter, () => many);
    network.advance(100);
    expect(b.keyspace.value("big", fixtureCounter)).toBe(a.keyspace.value("big", fixtureCounter));
    const pushes = pushesTo(b);
    bump(a.keyspace, "big");
    network.advance(100);
    expect(pushes).toHaveLength(1);
    expect(pushes[0]?.bytes).toBeLessThan(40);
    expect(pushes[0]?.entries).toMatchObject([{ key: "big", origin: "a", counters: [2], prev: 1 }]);
    expect(b.keyspace.value("big", fixtureCounter)).toBe(a.keyspace.value("big", fixtureCounter));
  });

  test("updates of one key in one turn travel as one joined delta with every dot", () => {
    const { network, nodes: made } = nodes(["a", "b"]);
    const [a, b] = made as [(typeof made)[0], (typeof made)[0]];
    network.advance(50);
    const pushes = pushesTo(b);
    for (let i = 0; i < 100; i++) bump(a.keyspace, "x");
    bump(a.keyspace, "y");
    network.advance(50);
    expect(pushes).toHaveLength(1);
    const [x, y] = pushes[0]?.entries ?? [];
    expect(x?.counters).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(y?.counters).toEqual([101]);
    expect(b.keyspace.value("x", fixtureCounter)).toBe(100);
    expect(b.keyspace.context.versionVector.get(replicaId("a"))).toBe(101);
  });

  test("a lost push leaves a gap: later deltas of the key wait for the fast path", () => {
    const { network, nodes: made } = nodes(["a", "b"], {
      push: { retransmitMs: 60_000 },
    });
    const [a, b] = made as [(typeof made)[0], (typeof made)[0]];
    network.advance(50);
    const [ia, ib] = [replicaId("a"), replicaId("b")];
    // Invariant at every step: b holds a's dot on x only with all of a's increments up to it.
    const check = () => {
      const dot = b.keyspace.dotsOf("x").find((d) => d.replica === ia);
      expect(b.keyspace.value("x", fixtureCounter) ?? 0).toBe(dot?.counter ?? 0);
    };
    b.keyspace.subscribe(check);
    network.setLink(ia, ib, { lossProbability: 1 }, false);
    bump(a.keyspace, "x"); // dot 1, lost
    network.advance(50);
    network.setLink(ia, ib, { lossProbability: 0 }, false);
    bump(a.keyspace, "x"); // dot 2: b lacks dot 1 of x
    network.advance(5);
    expect(b.keyspace.has("x")).toBe(false);
    network.advance(200); // refused, not acknowledged; b asked a for what it lacks
    expect(b.engine.stats().deltaGaps).toBe(1);
    expect(a.engine.stats().acksReceived).toBe(0);
    expect(b.keyspace.value("x", fixtureCounter)).toBe(2);
    check();
  });

  test("duplicated and reordered pushes apply each delta once", () => {
    const network = new SimulatedNetwork({
      seed: 5,
      link: { latency: latency.uniform(1, 80), duplicateProbability: 0.5 },
    });
    const make = (id: string) => {
      const keyspace = newKeyspace(id);
      new SyncEngine({
        keyspace,
        transport: network.transport(replicaId(id)),
        scheduler: network.scheduler,
        gossip: { intervalMs: 500 },
        push: { batchMs: 1 },
      });
      return keyspace;
    };
    const [a, b] = [make("a"), make("b")];
    network.advance(50);
    for (let i = 0; i < 50; i++) {
      bump(a, `k${i % 5}`, i + 1);
      network.advance(3);
    }
    network.advance(3_000);
    for (let k = 0; k < 5; k++) {
      expect(b.value(`k${k}`, fixtureCounter)).toBe(a.value(`k${k}`, fixtureCounter));
    }
  });

  test("a hub relays at once, each delta once per link, never back to its origin", () => {
    const { network, nodes: made } = nodes(["a", "hub", "c"]);
    const [a, hub, c] = made as [(typeof made)[0], (typeof made)[0], (typeof made)[0]];
    const [ia, ic] = [replicaId("a"), replicaId("c")];
    network.setLink(ia, ic, { lossProbability: 1 }, true); // a and c only meet through the hub
    network.advance(50);
    const atC = pushesTo(c);
    const atA = pushesTo(a);
    for (let i = 0; i < 20; i++) bump(a.keyspace, "x");
    network.advance(25); // two hops of 10 ms: no gossip round involved
    expect(c.keyspace.value("x", fixtureCounter)).toBe(20);
    expect(atC.flatMap((p) => p.entries)).toHaveLength(1);
    expect(hub.engine.stats().deltasRelayed).toBe(1);
    // c's write comes back to a over the hub; a's own deltas never return to it.
    bump(c.keyspace, "y");
    network.advance(25);
    expect(a.keyspace.value("y", fixtureCounter)).toBe(1);
    expect(atA.flatMap((p) => p.entries).map((e) => e.origin)).toEqual(["c"]);
  });

  test("in a full mesh every replica applies each delta exactly once", () => {
    const ids = ["a", "b", "c", "d"];
    const { network, nodes: made } = nodes(ids);
    network.advance(50);
    const applied = made.map(() => 0);
    for (const [i, node] of made.entries()) {
      node.keyspace.subscribe((change) => {
        if (change.origin === "remote")
          applied[i] = (applied[i] ?? 0) + (change.deltas?.length ?? 0);
      });
    }
    bump(made[0]!.keyspace, "x");
    network.advance(100);
    expect(applied).toEqual([0, 1, 1, 1]);
    for (const node of made) expect(node.keyspace.value("x", fixtureCounter)).toBe(1);
  });

  test("a whole-state push of the release before deltas (kind 5) is refused", () => {
    const { network, nodes: made } = nodes(["a"]);
    const [a] = made as [(typeof made)[0]];
    const rejected: string[] = [];
    a.engine.onRejected((event) => rejected.push(`${event.kind}:${event.error.code}`));
    const old = network.transport(replicaId("old"));
    network.advance(50);
    old.send(replicaId("a"), Uint8Array.of(0x45, 1, 0));
    network.advance(50);
    expect(rejected).toEqual(["undecodable:DECODE_MALFORMED"]);
  });

  test("hostile pushes: limits at decode, forged own dots and mutated bytes change nothing", () => {
    const ks = newKeyspace("s");
    const deltas: DeltaEntry[] = [];
    ks.subscribe((change) => deltas.push(...(change.deltas ?? [])));
    for (let i = 0; i < 50; i++) bump(ks, "x");
    bump(ks, "y");
    const ends = { sender: replicaId("s"), receiver: replicaId("t") };
    const [x, y] = [deltas[0] as DeltaEntry, deltas[50] as DeltaEntry];
    const joined = { ...x, counters: Array.from({ length: 50 }, (_, i) => i + 1) };
    const frame = encodeMessage(
      { kind: "delta-push", seq: 1, deps: ks.context, entries: [joined, y] },
      ks.registry,
      ends,
    );
    // More dots than an entry budget allows is refused before anything is built.
    const limits = { ...DEFAULT_DECODE_LIMITS, maxEntries: 10 };
    expect(() => decodeMessage(frame, ks.registry, ends, limits)).toThrow(
      expect.objectContaining({ reason: "LIMIT_EXCEEDED" }),
    );
    // Mutated bytes: only DecodeError, and whatever decodes applies or is refused with a typed
    // error, never anything else.
    const target = newKeyspace("t");
    const random = fc.sample(fc.tuple(fc.nat(frame.length - 1), fc.nat(255)), {
      numRuns: 3000,
      seed: 9,
    });
    for (const [at, byte] of random) {
      const bytes = frame.slice();
      bytes[at] = byte;
      let message: ReturnType<typeof decodeMessage>;
      try {
        message = decodeMessage(bytes, target.registry, ends);
      } catch (error) {
        expect(error).toBeInstanceOf(DecodeError);
        continue;
      }
      if (message.kind !== "delta-push") continue;
      try {
        target.applyDeltas(message.entries);
      } catch (error) {
        expect(error).toBeInstanceOf(ConvergentError);
      }
    }
    // A peer pushing the receiver's own future dots: not applied, not believed.
    const { network, nodes: made } = nodes(["a"]);
    const [a] = made as [(typeof made)[0]];
    const mallory = network.transport(replicaId("mallory"));
    network.advance(20);
    const forged = { ...y, origin: replicaId("a"), counters: [1_000_000_000], prev: 0 };
    mallory.send(
      replicaId("a"),
      encodeMessage(
        { kind: "delta-push", seq: 1, deps: undefined, entries: [forged] },
        ks.registry,
        {
          sender: replicaId("mallory"),
          receiver: replicaId("a"),
        },
      ),
    );
    network.advance(20);
    expect(a.keyspace.has("y")).toBe(false);
    expect(a.keyspace.issued).toBe(0);
    expect(a.keyspace.boundsStats().claimsClamped).toBe(1);
  });
});
