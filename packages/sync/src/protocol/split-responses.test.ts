import { type ReplicaId, replicaId } from "@convergent/clocks";
import { DecodeError } from "@convergent/core";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { fixtureCounter, incrementCounter } from "../keyspace/fixtures.js";
import type { Keyspace } from "../keyspace/keyspace.js";
import { keyspaceImage, newKeyspace } from "../keyspace/test-helpers.js";
import { latency } from "../transports/link-conditions.js";
import { SimulatedNetwork } from "../transports/simulated-network.js";
import type { Transport } from "../transports/transport.js";
import { SyncEngine, type SyncEngineOptions } from "./engine.js";
import { answerSyncRequest, syncRequest } from "./fast-path.js";
import {
  decodeMessage,
  encodeMessage,
  type SyncMessage,
  type SyncResponsePart,
} from "./messages.js";
import { DEFAULT_SPLIT_RESPONSE_LIMITS, ResponseAssembler } from "./split-responses.js";

const quiet = { gossip: false, push: false, merkle: false } as const;

function bump(keyspace: Keyspace, key: string): void {
  keyspace.update(key, fixtureCounter, (s, r) => incrementCounter(s, r, 1));
}

/**
 * Writes `n` keys as one causal chain alternating between two writers: `k{i}` is written after
 * its writer has seen `k{i-1}`. Returns the first writer, which ends up holding every key of
 * both origins, so its answer lists all of one origin's keys before the other's.
 */
function chain(n: number): Keyspace {
  const a = newKeyspace("a");
  const c = newKeyspace("c");
  for (let i = 0; i < n; i++) {
    const [writer, other] = i % 2 === 0 ? [a, c] : [c, a];
    writer.applyRemote(other.missing(writer.context));
    bump(writer, `k${i}`);
  }
  a.applyRemote(c.missing(a.context));
  return a;
}

/** Counts, on every change of `keyspace`, chain keys it shows without their predecessor. */
function watchChain(keyspace: Keyspace, n: number): { violations: number } {
  const seen = { violations: 0 };
  keyspace.subscribe(() => {
    for (let i = 1; i < n; i++) {
      if (keyspace.has(`k${i}`) && !keyspace.has(`k${i - 1}`)) seen.violations += 1;
    }
  });
  return seen;
}

/** `b` syncs `a`'s chain over an ordered, lossless link; returns b's chain violations. */
function syncChain(n: number, options: Partial<SyncEngineOptions>) {
  const network = new SimulatedNetwork({
    seed: 1,
    link: { latency: latency.uniform(1, 20), ordered: true },
  });
  const a = chain(n);
  const b = newKeyspace("b");
  const seen = watchChain(b, n);
  const ea = new SyncEngine({
    keyspace: a,
    transport: network.transport(replicaId("a")),
    scheduler: network.scheduler,
    ...quiet,
    ...options,
  });
  const eb = new SyncEngine({
    keyspace: b,
    transport: network.transport(replicaId("b")),
    scheduler: network.scheduler,
    ...quiet,
    ...options,
  });
  network.advance(1_000);
  expect(keyspaceImage(b)).toEqual(keyspaceImage(a));
  const result = { violations: seen.violations, stats: eb.stats() };
  ea.stop();
  eb.stop();
  return result;
}

/** Wraps `inner` so that received messages for which `drop` answers true vanish on the way. */
function dropping(
  inner: Transport,
  registry: Keyspace["registry"],
  drop: (message: SyncMessage) => boolean,
): Transport {
  return {
    localId: inner.localId,
    send: (peer, frame) => inner.send(peer, frame),
    peers: () => inner.peers(),
    onFrame: (handler) =>
      inner.onFrame((peer, frame) => {
        const message = decodeMessage(frame, registry, { sender: peer, receiver: inner.localId });
        if (drop(message)) return;
        handler(peer, frame);
      }),
    onPeerConnected: (handler) => inner.onPeerConnected(handler),
    onPeerDisconnected: (handler) => inner.onPeerDisconnected(handler),
    stats: () => inner.stats(),
    close: () => inner.close(),
  };
}

describe("split responses under causal delivery (issue 11, item 4)", () => {
  test("a response of 300 chained keys in frames of 10 never shows a key before its cause", () => {
    const { violations, stats } = syncChain(300, { causal: true, maxEntriesPerFrame: 10 });
    expect(violations).toBe(0);
    expect(stats.syncResponsesApplied).toBe(1);
    expect(stats.splitResponsesDropped).toBe(0);
  });

  test("without causal delivery the same exchange shows keys before their causes (the control)", () => {
    const { violations } = syncChain(300, { maxEntriesPerFrame: 10 });
    expect(violations).toBeGreaterThan(0);
  });

  test("the issue's case: 10,050 keys at the default frame size", () => {
    expect(syncChain(10_050, { causal: true }).violations).toBe(0);
  });

  test("an incomplete response shows nothing, does not hold up the next one, and is freed", () => {
    const network = new SimulatedNetwork({ seed: 2, link: { latency: latency.fixed(5) } });
    const a = newKeyspace("a");
    for (let i = 0; i < 30; i++) bump(a, `k${i}`);
    const b = newKeyspace("b");
    let lose = true;
    const ea = new SyncEngine({
      keyspace: a,
      transport: network.transport(replicaId("a")),
      scheduler: network.scheduler,
      maxEntriesPerFrame: 4,
      ...quiet,
    });
    const eb = new SyncEngine({
      keyspace: b,
      transport: dropping(
        network.transport(replicaId("b")),
        b.registry,
        (m) => lose && m.kind === "sync-response-part" && m.index === 1,
      ),
      scheduler: network.scheduler,
      causal: true,
      ...quiet,
    });
    network.advance(100);
    // 8 parts, one lost: the other 7 wait, and none of their keys shows.
    expect(b.size).toBe(0);
    expect(eb.bufferedResponseParts).toBe(7);
    expect(eb.bufferedResponseBytes).toBeGreaterThan(0);
    expect(eb.stats().syncResponsesApplied).toBe(0);

    // The next round's response supersedes the stuck one.
    lose = false;
    eb.syncWith(replicaId("a"));
    network.advance(100);
    expect(keyspaceImage(b)).toEqual(keyspaceImage(a));
    expect(eb.bufferedResponseParts).toBe(0);
    expect(eb.stats().splitResponsesDropped).toBe(1);

    // Cut off mid-response: the disconnect frees the parts, the reconnect's sync completes.
    lose = true;
    for (let i = 30; i < 60; i++) bump(a, `k${i}`);
    eb.syncWith(replicaId("a"));
    network.advance(100);
    expect(b.has("k30")).toBe(false);
    expect(eb.bufferedResponseParts).toBe(7);
    network.partition([[replicaId("a")], [replicaId("b")]]);
    network.advance(1);
    expect(eb.bufferedResponseParts).toBe(0);
    expect(eb.bufferedResponseBytes).toBe(0);
    expect(eb.stats().splitResponsesDropped).toBe(2);
    lose = false;
    network.heal();
    network.advance(100);
    expect(keyspaceImage(b)).toEqual(keyspaceImage(a));
    ea.stop();
    eb.stop();
  });

  test("a response beyond the bounds is dropped whole; one within them still applies", () => {
    for (const bounds of [{ maxParts: 7 }, { maxBytes: 200 }]) {
      const network = new SimulatedNetwork({ seed: 3, link: { latency: latency.fixed(5) } });
      const a = newKeyspace("a");
      for (let i = 0; i < 30; i++) bump(a, `k${i}`);
      const b = newKeyspace("b");
      const ea = new SyncEngine({
        keyspace: a,
        transport: network.transport(replicaId("a")),
        scheduler: network.scheduler,
        maxEntriesPerFrame: 4,
        ...quiet,
      });
      const eb = new SyncEngine({
        keyspace: b,
        transport: network.transport(replicaId("b")),
        scheduler: network.scheduler,
        causal: true,
        splitResponses: bounds,
        ...quiet,
      });
      network.advance(100);
      expect(b.size).toBe(0);
      expect(eb.bufferedResponseParts).toBe(0);
      expect(eb.stats().splitResponsesDropped).toBe(1);
      // A smaller difference fits: 6 keys in 2 parts.
      const c = newKeyspace("c");
      for (let i = 0; i < 6; i++) bump(c, `c${i}`);
      const ec = new SyncEngine({
        keyspace: c,
        transport: network.transport(replicaId("c")),
        scheduler: network.scheduler,
        maxEntriesPerFrame: 4,
        ...quiet,
      });
      network.advance(100);
      expect(b.size).toBe(6);
      for (const engine of [ea, eb, ec]) engine.stop();
    }
  });
});

describe("causal pushes of a batch too long for one frame", () => {
  /** a writes w0, w1, w2 in one batch; pushes go out 2 keys a frame; b watches its closure. */
  function batch(lose: (m: SyncMessage) => boolean) {
    const network = new SimulatedNetwork({ seed: 4, link: { latency: latency.uniform(1, 30) } });
    const a = newKeyspace("a");
    const b = newKeyspace("b");
    const options = { gossip: false, merkle: false, causal: true, maxEntriesPerFrame: 2 } as const;
    const ea = new SyncEngine({
      keyspace: a,
      transport: network.transport(replicaId("a")),
      scheduler: network.scheduler,
      ...options,
    });
    const eb = new SyncEngine({
      keyspace: b,
      transport: dropping(network.transport(replicaId("b")), b.registry, lose),
      scheduler: network.scheduler,
      ...options,
    });
    network.advance(50);
    const early: string[] = [];
    b.subscribe(() => {
      for (const [key, cause] of [
        ["w1", "w0"],
        ["w2", "w1"],
      ] as const) {
        if (b.has(key) && !b.has(cause)) early.push(key);
      }
    });
    bump(a, "w0");
    bump(a, "w1");
    bump(a, "w2");
    return { network, a, b, ea, eb, early };
  }

  // Found by the property below (3 writes at r0, 2 entries a frame): the frame holding w2 claimed
  // the dots of w0 and w1 as covered, so it applied alone, before them.
  test("its frames apply together, once all are in", () => {
    const { network, a, b, ea, eb, early } = batch(() => false);
    network.advance(1_000);
    expect(early).toEqual([]);
    expect(keyspaceImage(b)).toEqual(keyspaceImage(a));
    expect(eb.bufferedPushes).toBe(0);
    expect(ea.stats().acksReceived).toBe(2);
    ea.stop();
    eb.stop();
  });

  test("a frame lost for good holds the others back and leaves no false dots in the context", () => {
    const { network, a, b, ea, eb, early } = batch(
      (m) => m.kind === "delta-push" && m.entries.some((e) => e.key === "w0"),
    );
    network.advance(5_000); // every retransmission of the frame with w0 is lost too
    expect(b.size).toBe(0);
    expect(eb.bufferedPushes).toBeGreaterThan(0); // the frame with w2, once per retransmission
    eb.syncWith(replicaId("a")); // the fast path brings w0 and w1, so the held frame applies
    network.advance(100);
    expect(early).toEqual([]);
    expect(keyspaceImage(b)).toEqual(keyspaceImage(a));
    expect(eb.bufferedPushes).toBe(0);
    ea.stop();
    eb.stop();
  });
});

describe("the assembler", () => {
  const ks = newKeyspace("s");
  for (let i = 0; i < 6; i++) bump(ks, `k${i}`);
  const response = answerSyncRequest(ks, syncRequest(newKeyspace("t")));
  const parts = (id: number): SyncResponsePart[] =>
    [0, 1, 2].map((index) => ({
      kind: "sync-response-part",
      id,
      index,
      count: 3,
      context: response.context,
      entries: response.entries.slice(index * 2, index * 2 + 2),
    }));

  test("completes in any order, ignoring duplicates and parts of older responses", () => {
    let dropped = 0;
    const assembler = new ResponseAssembler(DEFAULT_SPLIT_RESPONSE_LIMITS, () => dropped++);
    const [p0, p1, p2] = parts(2) as [SyncResponsePart, SyncResponsePart, SyncResponsePart];
    const old = parts(1);
    expect(assembler.add(p2, 10)).toBeUndefined();
    expect(assembler.add(p2, 10)).toBeUndefined();
    expect(assembler.add(old[0] as SyncResponsePart, 10)).toBeUndefined();
    expect(assembler.add(p0, 10)).toBeUndefined();
    expect(assembler.parts).toBe(2);
    expect(assembler.bytes).toBe(20);
    const whole = assembler.add(p1, 10);
    expect(whole?.entries.map((e) => e.key)).toEqual(response.entries.map((e) => e.key));
    expect(assembler.parts).toBe(0);
    // A late duplicate of a finished response starts nothing.
    expect(assembler.add(p0, 10)).toBeUndefined();
    expect(assembler.parts).toBe(0);
    expect(dropped).toBe(0);
  });

  test("parts that disagree on their count abandon the response with a DecodeError", () => {
    let dropped = 0;
    const assembler = new ResponseAssembler(DEFAULT_SPLIT_RESPONSE_LIMITS, () => dropped++);
    const [p0, p1] = parts(1) as [SyncResponsePart, SyncResponsePart];
    assembler.add(p0, 10);
    expect(() => assembler.add({ ...p1, count: 4 }, 10)).toThrow(DecodeError);
    expect(assembler.parts).toBe(0);
    expect(dropped).toBe(1);
  });

  test("parts round-trip, and a count below 2 or an index beyond it is refused", () => {
    const ends = { sender: replicaId("s"), receiver: replicaId("t") };
    const part = parts(9)[1] as SyncResponsePart;
    const back = decodeMessage(encodeMessage(part, ks.registry, ends), ks.registry, ends);
    expect(back).toEqual(part);
    for (const bad of [
      { ...part, count: 1, index: 0 },
      { ...part, index: 3 },
    ]) {
      const frame = encodeMessage(bad, ks.registry, ends);
      expect(() => decodeMessage(frame, ks.registry, ends)).toThrow(DecodeError);
    }
  });
});

type Step =
  | { readonly kind: "write"; readonly replica: number }
  | { readonly kind: "advance"; readonly ms: number }
  | { readonly kind: "partition"; readonly groups: readonly number[] }
  | { readonly kind: "heal" }
  | {
      readonly kind: "link";
      readonly loss: number;
      readonly duplicate: number;
      readonly maxMs: number;
      readonly ordered: boolean;
    };

const REPLICAS = 3;

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({ kind: fc.constant("write" as const), replica: fc.nat(REPLICAS - 1) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("advance" as const),
      ms: fc.integer({ min: 0, max: 400 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("partition" as const),
      groups: fc.array(fc.nat(2), { minLength: REPLICAS, maxLength: REPLICAS }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "heal" as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("link" as const),
      loss: fc.double({ min: 0, max: 0.5, noNaN: true }),
      duplicate: fc.double({ min: 0, max: 0.3, noNaN: true }),
      maxMs: fc.integer({ min: 1, max: 200 }),
      ordered: fc.boolean(),
    }),
  },
);

describe("causal delivery with split responses over a faulty network", () => {
  test("every replica's keys are causally closed at every change, and all converge", () => {
    fc.assert(
      fc.property(
        fc.array(step, { maxLength: 80 }),
        fc.integer({ min: 1, max: 5 }),
        fc.boolean(),
        fc.integer(),
        (script, maxEntriesPerFrame, push, seed) => {
          const network = new SimulatedNetwork({ seed });
          const random = network.randomStream();
          const ids = Array.from({ length: REPLICAS }, (_, i) => replicaId(`r${i}`));
          // Every write creates its own key; its dependencies are the keys its writer showed.
          const deps = new Map<string, readonly string[]>();
          const violations: string[] = [];
          const keyspaces = ids.map((id) => {
            const keyspace = newKeyspace(id);
            keyspace.subscribe((change) => {
              for (const key of change.touched) {
                for (const dep of deps.get(key) ?? []) {
                  if (!keyspace.has(dep)) violations.push(`${id} showed ${key} without ${dep}`);
                }
              }
            });
            return keyspace;
          });
          const engines = ids.map(
            (id, i) =>
              new SyncEngine({
                keyspace: keyspaces[i] as Keyspace,
                transport: network.transport(id),
                scheduler: network.scheduler,
                random: () => random.next(),
                causal: true,
                maxEntriesPerFrame,
                merkle: false,
                gossip: { intervalMs: 300 },
                ...(push ? {} : { push: false as const }),
              }),
          );
          let writes = 0;
          for (const s of script) {
            switch (s.kind) {
              case "write": {
                const keyspace = keyspaces[s.replica] as Keyspace;
                const key = `w${writes++}`;
                deps.set(key, [...keyspace.keys()]);
                bump(keyspace, key);
                break;
              }
              case "advance":
                network.advance(s.ms);
                break;
              case "partition": {
                const groups: ReplicaId[][] = [[], [], []];
                for (const [i, g] of s.groups.entries()) groups[g]?.push(ids[i] as ReplicaId);
                network.partition(groups.filter((g) => g.length > 0));
                break;
              }
              case "heal":
                network.heal();
                break;
              case "link":
                network.setDefaultLink({
                  lossProbability: s.loss,
                  duplicateProbability: s.duplicate,
                  latency: { kind: "uniform", minMs: 0, maxMs: s.maxMs },
                  ordered: s.ordered,
                });
                break;
            }
          }
          network.heal();
          network.setDefaultLink({
            lossProbability: 0,
            duplicateProbability: 0,
            latency: { kind: "fixed", ms: 5 },
          });
          network.advance(60_000);
          expect(violations).toEqual([]);
          for (const keyspace of keyspaces) {
            expect(keyspace.size).toBe(writes);
            expect(keyspaceImage(keyspace)).toEqual(keyspaceImage(keyspaces[0] as Keyspace));
          }
          for (const engine of engines) {
            expect(engine.stats().framesRejected).toBe(0);
            expect(engine.bufferedResponseParts).toBe(0);
            engine.stop();
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
