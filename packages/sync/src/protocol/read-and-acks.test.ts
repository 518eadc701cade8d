/**
 * The engine features a store composes: read requests (`fetch`), acknowledgement events with the
 * pushed dots, the contexts peers announce, and the synced event; plus their frames.
 */
import {
  type CausalContext,
  containsDot,
  type Dot,
  equalCausalContexts,
  replicaId,
} from "@convergent/clocks";
import { DecodeError } from "@convergent/core";
import { describe, expect, test } from "vitest";
import { fixtureCounter, incrementCounter } from "../keyspace/fixtures.js";
import type { DeltaEntry, Keyspace } from "../keyspace/keyspace.js";
import { newKeyspace } from "../keyspace/test-helpers.js";
import { latency } from "../transports/link-conditions.js";
import { SimulatedNetwork } from "../transports/simulated-network.js";
import { type AcknowledgedKey, FetchFailedError, SyncEngine } from "./engine.js";
import { decodeMessage, encodeMessage } from "./messages.js";

const ENDS = { sender: replicaId("s"), receiver: replicaId("t") };

function pair(gossip = false) {
  const network = new SimulatedNetwork({ seed: 7, link: { latency: latency.fixed(10) } });
  const make = (id: string) => {
    const keyspace = newKeyspace(id);
    const engine = new SyncEngine({
      keyspace,
      transport: network.transport(replicaId(id)),
      scheduler: network.scheduler,
      gossip: gossip ? { intervalMs: 100 } : false,
    });
    return { keyspace, engine };
  };
  return { network, a: make("a"), b: make("b") };
}

const bump = (keyspace: Keyspace, key: string, amount: number) =>
  keyspace.update(key, fixtureCounter, (s, r) => incrementCounter(s, r, amount));

describe("read requests", () => {
  test("round trip: the peer answers with the keys it holds and their dots", () => {
    const ks = newKeyspace("s");
    bump(ks, "x", 3);
    const request = { kind: "read-request", id: 42, keys: ["x", "absent", ""] } as const;
    expect(decodeMessage(encodeMessage(request, ks.registry, ENDS), ks.registry, ENDS)).toEqual(
      request,
    );
    const entries = [
      { ...(ks.get("x") as { key: string; tag: string; state: unknown }), dots: ks.dotsOf("x") },
    ];
    const response = decodeMessage(
      encodeMessage(
        { kind: "read-response", id: 42, context: ks.context, entries },
        ks.registry,
        ENDS,
      ),
      ks.registry,
      ENDS,
    );
    expect(response.kind === "read-response" && response.entries[0]?.dots).toEqual(ks.dotsOf("x"));
    expect(
      response.kind === "read-response" && equalCausalContexts(response.context, ks.context),
    ).toBe(true);
  });

  test("a read request with a lone surrogate key is rejected with DecodeError", () => {
    const ks = newKeyspace("s");
    const frame = encodeMessage({ kind: "read-request", id: 1, keys: ["ok"] }, ks.registry, ENDS);
    // Replace the key "ok" (length byte and two bytes) with ED A0 80, the (invalid) UTF-8 form
    // of the lone surrogate U+D800.
    const bad = Uint8Array.from([...frame.slice(0, -3), 3, 0xed, 0xa0, 0x80]);
    expect(() => decodeMessage(bad, ks.registry, ENDS)).toThrow(DecodeError);
  });

  test("fetch times out when the peer does not answer", async () => {
    const { network, a, b } = pair();
    network.advance(50);
    b.engine.stop();
    const pending = a.engine.fetch(replicaId("b"), ["x"], 1000);
    network.advance(999);
    let settled = false;
    pending.then(
      () => (settled = true),
      () => (settled = true),
    );
    await Promise.resolve();
    expect(settled).toBe(false);
    network.advance(1);
    await expect(pending).rejects.toMatchObject({ code: "FETCH_FAILED" });
  });

  test("fetch gets the answer from a live peer", async () => {
    const { network, a, b } = pair();
    network.advance(50);
    bump(b.keyspace, "x", 5);
    const pending = a.engine.fetch(replicaId("b"), ["x", "nothing"], 1000);
    network.advance(30);
    const { entries, context } = await pending;
    expect(equalCausalContexts(context, b.keyspace.context)).toBe(true);
    expect(entries.map((e) => e.key)).toEqual(["x"]);
    expect(fixtureCounter.value(entries[0]?.state as Map<never, number>)).toBe(5);
    expect(entries[0]?.dots).toEqual(b.keyspace.dotsOf("x"));
  });

  test("fetch rejects when the connection breaks or the peer is unreachable", async () => {
    const { network, a } = pair();
    network.advance(50);
    const pending = a.engine.fetch(replicaId("b"), ["x"], 10_000);
    network.partition([[replicaId("a")], [replicaId("b")]]);
    network.advance(5);
    await expect(pending).rejects.toMatchObject({ code: "FETCH_FAILED" });
    await expect(a.engine.fetch(replicaId("b"), ["x"], 10_000)).rejects.toBeInstanceOf(
      FetchFailedError,
    );
  });

  test("stop rejects pending fetches", async () => {
    const { network, a } = pair();
    network.advance(50);
    const pending = a.engine.fetch(replicaId("b"), ["x"], 10_000);
    a.engine.stop();
    await expect(pending).rejects.toBeInstanceOf(FetchFailedError);
  });
});

describe("acknowledgements, peer contexts and synced events", () => {
  test("an acknowledged push reports the keys and dots it carried", () => {
    const { network, a } = pair();
    network.advance(50);
    const acked: [string, AcknowledgedKey[]][] = [];
    a.engine.onAcknowledged((peer, keys) => acked.push([peer, [...keys]]));
    bump(a.keyspace, "x", 1);
    bump(a.keyspace, "x", 1);
    bump(a.keyspace, "y", 1);
    network.advance(100);
    const sorted = acked.map(([peer, keys]) => [
      peer,
      [...keys].sort((p, q) => (p.key < q.key ? -1 : 1)),
    ]);
    expect(sorted).toEqual([
      [
        "b",
        [
          { key: "x", dots: a.keyspace.dotsOf("x") },
          { key: "y", dots: a.keyspace.dotsOf("y") },
        ],
      ],
    ]);
    expect(a.keyspace.dotsOf("x")).toEqual([{ replica: "a", counter: 2 }]);
  });

  test("a push that is never acknowledged reports nothing", () => {
    const { network, a } = pair();
    network.advance(50);
    const acked: AcknowledgedKey[][] = [];
    a.engine.onAcknowledged((_peer, keys) => acked.push([...keys]));
    network.setLink(replicaId("b"), replicaId("a"), { lossProbability: 1 }, false);
    bump(a.keyspace, "x", 1);
    network.advance(5_000);
    expect(acked).toEqual([]);
  });

  test("peers' sync requests announce their contexts, and responses raise synced", () => {
    const { network, a, b } = pair(true);
    const contexts: CausalContext[] = [];
    const synced: string[] = [];
    a.engine.onPeerContext((peer, context) => {
      if (peer === "b") contexts.push(context);
    });
    a.engine.onSynced((peer) => synced.push(peer));
    bump(b.keyspace, "x", 1);
    const bDot = b.keyspace.dotsOf("x")[0] as Dot;
    network.advance(1_000);
    expect(contexts.some((context) => containsDot(context, bDot))).toBe(true);
    expect(synced).toContain("b");
  });
});

describe("causal delivery", () => {
  /** a, b, c on one network; pushes carry dependencies and are not relayed (unless `relay`). */
  function three(seed: number, relay = false) {
    const network = new SimulatedNetwork({ seed, link: { latency: latency.fixed(10) } });
    const make = (id: string) => {
      const keyspace = newKeyspace(id);
      const engine = new SyncEngine({
        keyspace,
        transport: network.transport(replicaId(id)),
        scheduler: network.scheduler,
        gossip: false,
        causal: true,
        relay,
      });
      return { keyspace, engine };
    };
    return { network, a: make("a"), b: make("b"), c: make("c") };
  }

  test("an effect is buffered until its cause arrives, then both apply in order", () => {
    const { network, a, b, c } = three(3);
    network.advance(50);
    // a's pushes to c are slow: c hears b's effect long before a's cause.
    network.setLink(replicaId("a"), replicaId("c"), { latency: latency.fixed(400) }, false);
    bump(a.keyspace, "cause", 1);
    network.advance(30); // b has the cause
    expect(b.keyspace.has("cause")).toBe(true);
    bump(b.keyspace, "effect", 1); // b's write depends on the cause
    network.advance(50);
    expect(c.keyspace.has("effect")).toBe(false); // arrived, but buffered
    expect(c.engine.bufferedPushes).toBe(1);
    const order: string[] = [];
    c.keyspace.subscribe((change) => order.push(...change.keys));
    network.advance(400);
    expect(order).toEqual(["cause", "effect"]);
    expect(c.engine.bufferedPushes).toBe(0);
  });

  test("updates superseded within one batch do not hold the push back", () => {
    const { network, a, b } = three(5);
    network.advance(50);
    bump(a.keyspace, "x", 1);
    bump(a.keyspace, "x", 1); // same batch: the push carries only the second dot
    bump(a.keyspace, "y", 1);
    network.advance(30);
    expect(b.engine.bufferedPushes).toBe(0);
    expect(fixtureCounter.value(b.keyspace.get("x")?.state as Map<never, number>)).toBe(2);
    expect(b.keyspace.has("y")).toBe(true);
    expect(equalCausalContexts(b.keyspace.context, a.keyspace.context)).toBe(true);
  });

  test("a causal push round-trips with its dependencies and only its own dots", () => {
    const ks = newKeyspace("s");
    const deltas: DeltaEntry[] = [];
    ks.subscribe((change) => deltas.push(...(change.deltas ?? [])));
    bump(ks, "x", 1);
    bump(ks, "x", 1);
    const message = { kind: "delta-push", seq: 9, deps: ks.context, entries: deltas } as const;
    const back = decodeMessage(encodeMessage(message, ks.registry, ENDS), ks.registry, ENDS);
    expect(back.kind).toBe("delta-push");
    if (back.kind !== "delta-push" || back.deps === undefined) return;
    expect(equalCausalContexts(back.deps, ks.context)).toBe(true);
    expect(back.entries.map((e) => [e.key, e.counters, e.prev])).toEqual([
      ["x", [1], 0],
      ["x", [2], 1],
    ]);
  });

  test("without causal delivery the same schedule shows the effect first (the control)", () => {
    const network = new SimulatedNetwork({ seed: 3, link: { latency: latency.fixed(10) } });
    const make = (id: string) => {
      const keyspace = newKeyspace(id);
      new SyncEngine({
        keyspace,
        transport: network.transport(replicaId(id)),
        scheduler: network.scheduler,
        gossip: false,
        relay: false,
      });
      return keyspace;
    };
    const [a, b, c] = [make("a"), make("b"), make("c")] as [Keyspace, Keyspace, Keyspace];
    network.advance(50);
    network.setLink(replicaId("a"), replicaId("c"), { latency: latency.fixed(400) }, false);
    bump(a, "cause", 1);
    network.advance(30);
    bump(b, "effect", 1);
    network.advance(50);
    expect(c.has("effect") && !c.has("cause")).toBe(true);
  });

  test("with relay the cause crosses the fast replica: the effect is not held back", () => {
    const { network, a, b, c } = three(3, true);
    network.advance(50);
    network.setLink(replicaId("a"), replicaId("c"), { latency: latency.fixed(400) }, false);
    const order: string[] = [];
    c.keyspace.subscribe((change) => order.push(...change.keys));
    bump(a.keyspace, "cause", 1);
    network.advance(30); // b has the cause and relayed it to c at once
    bump(b.keyspace, "effect", 1);
    network.advance(30);
    expect(order).toEqual(["cause", "effect"]);
    expect(c.engine.bufferedPushes).toBe(0);
    expect(b.engine.stats().deltasRelayed).toBeGreaterThanOrEqual(1);
    network.advance(500); // a's own push reaches c late: a duplicate, applied never twice
    expect(order).toEqual(["cause", "effect"]);
  });

  test("a buffered push is acknowledged only once applied", () => {
    const { network, a, b, c } = three(4);
    network.advance(50);
    network.setLink(replicaId("a"), replicaId("c"), { lossProbability: 1 }, false);
    const acks: string[] = [];
    b.engine.onAcknowledged((peer) => acks.push(peer));
    bump(a.keyspace, "cause", 1);
    network.advance(30);
    bump(b.keyspace, "effect", 1);
    network.advance(100);
    expect(acks).toEqual(["a"]); // c holds the push but cannot apply it yet
    network.setLink(replicaId("a"), replicaId("c"), { lossProbability: 0 }, false);
    c.engine.syncWith(replicaId("a")); // the fast path brings the cause
    network.advance(100);
    expect(c.keyspace.has("effect")).toBe(true);
    expect(acks.sort()).toEqual(["a", "c"]);
  });

  test("under random reordering no replica ever holds an effect without its cause", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const network = new SimulatedNetwork({
        seed,
        link: { latency: latency.uniform(1, 300), lossProbability: 0.1 },
      });
      const ids = ["a", "b", "c", "d"];
      const nodes = ids.map((id) => {
        const keyspace = newKeyspace(id);
        const engine = new SyncEngine({
          keyspace,
          transport: network.transport(replicaId(id)),
          scheduler: network.scheduler,
          gossip: { intervalMs: 200 },
          causal: true,
        });
        return { keyspace, engine };
      });
      network.advance(20);
      // A chain: step i is written by replica i % 4 after it has seen step i - 1; every replica
      // checks, on every change, that holding step i implies holding step i - 1.
      let violations = 0;
      for (const { keyspace } of nodes) {
        keyspace.subscribe(() => {
          for (let i = 1; i < 12; i++) {
            if (keyspace.has(`step${i}`) && !keyspace.has(`step${i - 1}`)) violations += 1;
          }
        });
      }
      bump(nodes[0]!.keyspace, "step0", 1);
      for (let i = 1; i < 12; i++) {
        const writer = nodes[i % 4]!;
        network.runUntil(() => writer.keyspace.has(`step${i - 1}`), 60_000);
        bump(writer.keyspace, `step${i}`, 1);
      }
      network.advance(10_000);
      expect(violations).toBe(0);
      for (const { keyspace, engine } of nodes) {
        expect(keyspace.has("step11")).toBe(true);
        engine.stop();
      }
    }
  });
});
