/**
 * Issue 12's attacks on the protocol, each as a hostile peer would mount it: frames built with
 * the real encoder and sent from a raw transport to a node running a SyncEngine. Every test
 * states the bound it checks and fails without it.
 */

import {
  type CausalContext,
  containsDot,
  type Dot,
  emptyCausalContext,
  maxCounter,
  type ReplicaId,
  replicaId,
} from "@convergent/clocks";
import { DEFAULT_DECODE_LIMITS, DecodeError } from "@convergent/core";
import { describe, expect, test } from "vitest";
import { DEFAULT_KEYSPACE_LIMITS } from "../keyspace/bounds.js";
import { ContextLimitError } from "../keyspace/errors.js";
import { fixtureCounter, incrementCounter } from "../keyspace/fixtures.js";
import { type DottedEntry, Keyspace, wholeStateDeltas } from "../keyspace/keyspace.js";
import { fixtureRegistry, newKeyspace } from "../keyspace/test-helpers.js";
import { latency } from "../transports/link-conditions.js";
import { SimulatedNetwork } from "../transports/simulated-network.js";
import { type RejectedFrame, SyncEngine, type SyncEngineOptions } from "./engine.js";
import { decodeMessage, encodeMessage, type SyncMessage } from "./messages.js";

const N = replicaId("n");
const M = replicaId("mallory");
const V = replicaId("victim");
const TOP = Number.MAX_SAFE_INTEGER;

type Extra = Omit<SyncEngineOptions, "keyspace" | "transport" | "scheduler">;

/** Node `n` (a keyspace and engine) and a raw hostile transport `mallory`, connected. */
function setup(extra: Extra = {}, keyspace: Keyspace = newKeyspace("n")) {
  const network = new SimulatedNetwork({ seed: 12, link: { latency: latency.fixed(1) } });
  const engine = new SyncEngine({
    keyspace,
    transport: network.transport(N),
    scheduler: network.scheduler,
    gossip: false,
    ...extra,
  });
  const rejected: RejectedFrame[] = [];
  engine.onRejected((event) => rejected.push(event));
  const mallory = network.transport(M);
  const received: SyncMessage[] = [];
  mallory.onFrame((_, frame) =>
    received.push(decodeMessage(frame, keyspace.registry, { sender: N, receiver: M })),
  );
  network.advance(10);
  received.length = 0;
  const send = (message: SyncMessage) =>
    mallory.send(N, encodeMessage(message, keyspace.registry, { sender: M, receiver: N }));
  return { network, keyspace, engine, rejected, mallory, received, send };
}

const bump = (keyspace: Keyspace, key: string, amount = 1) =>
  keyspace.update(key, fixtureCounter, (s, r) => incrementCounter(s, r, amount));

/** A counter entry written by `origin` with keyspace dot `counter` (built on a scratch keyspace). */
function entry(key: string, origin: ReplicaId, counter: number): DottedEntry {
  const scratch = newKeyspace(origin);
  bump(scratch, key);
  const state = scratch.get(key)?.state;
  return { key, tag: fixtureCounter.name, state, dots: [{ replica: origin, counter }] };
}

function context(vector: [ReplicaId, number][], cloud: [ReplicaId, number[]][] = []) {
  const c = emptyCausalContext();
  for (const [r, n] of vector) c.versionVector.set(r, n);
  for (const [r, ns] of cloud) c.cloud.set(r, new Set(ns));
  return c;
}

describe("item 1: no party advances this node's own counter", () => {
  test("a sync response claiming own dots up to 2^53 - 1 moves the counter by at most maxOwnClaimAhead", () => {
    const { network, keyspace, send, engine } = setup();
    bump(keyspace, "mine");
    network.advance(10);
    send({
      kind: "sync-response",
      context: context([[N, TOP]], [[N, [TOP - 5]]]),
      entries: [
        entry("hostile", M, 1),
        { ...entry("also", M, 2), dots: [{ replica: N, counter: TOP }] },
      ],
    });
    network.advance(10);
    // Claims within the window are believed (a replica restored without its disk must skip the
    // dots peers saw); the rest is dropped, so the counter stays far from its end.
    const bound = 1 + DEFAULT_KEYSPACE_LIMITS.maxOwnClaimAhead;
    expect(keyspace.issued).toBe(bound);
    expect(keyspace.has("hostile")).toBe(true); // the rest of the frame still applies
    bump(keyspace, "mine"); // and the node still writes, above every dot a peer could have bound
    expect(keyspace.dotsOf("mine")).toEqual([{ replica: N, counter: bound + 1 }]);
    expect(keyspace.boundsStats().claimsClamped).toBeGreaterThanOrEqual(2);
    engine.stop();
  });

  test("a causal push depending on own dots never issued is refused as a protocol violation", () => {
    const { network, send, engine, rejected } = setup({ causal: true });
    send({
      kind: "delta-push",
      seq: 1,
      deps: context([[N, 1_000]]),
      entries: wholeStateDeltas([entry("k", M, 1)]),
    });
    network.advance(10);
    expect(rejected.map((r) => r.error.code)).toEqual(["PROTOCOL_VIOLATION"]);
    expect(engine.bufferedPushes).toBe(0);
    engine.stop();
  });

  test("a read response's claim on own dots is cut before the store sees it", async () => {
    const { network, engine, mallory, keyspace } = setup();
    bump(keyspace, "x");
    mallory.onFrame((_, frame) => {
      const m = decodeMessage(frame, keyspace.registry, { sender: N, receiver: M });
      if (m.kind !== "read-request") return;
      mallory.send(
        N,
        encodeMessage(
          {
            kind: "read-response",
            id: m.id,
            context: context([
              [N, TOP],
              [M, 3],
            ]),
            entries: [],
          },
          keyspace.registry,
          { sender: M, receiver: N },
        ),
      );
    });
    const result = engine.fetch(M, ["x"], 1000);
    network.advance(20);
    const { context: answered } = await result;
    expect(maxCounter(answered, N)).toBe(1);
    expect(maxCounter(answered, M)).toBe(3);
    engine.stop();
  });
});

describe("item 2: claims about other origins are bounded by the entries that back them", () => {
  test("a context claiming a far-future counter of another origin does not hide its writes", () => {
    // No slack, so the claim is cut exactly at the entries (the default slack is the next test).
    const strict = new Keyspace({
      replica: N,
      registry: fixtureRegistry(),
      limits: { unbackedClaimSlack: 0 },
    });
    const { network, keyspace, send, engine } = setup({}, strict);
    send({ kind: "sync-response", context: context([[V, 1_000_000]], [[V, [TOP]]]), entries: [] });
    network.advance(10);
    expect(maxCounter(keyspace.context, V)).toBe(0);
    // The claim is cut at the highest dot the frame's entries carry.
    send({
      kind: "sync-response",
      context: context([[V, 1_000_000]]),
      entries: [entry("v1", V, 1), entry("v3", V, 3)],
    });
    network.advance(10);
    expect(keyspace.context.versionVector.get(V)).toBe(3);
    // The victim's real write 4 is still news to the node, through an honest sync.
    const victim = newKeyspace("victim");
    for (let i = 0; i < 4; i++) bump(victim, `real-${i}`);
    expect(keyspace.missing(victim.context)).toEqual([]);
    const wanted = victim.missing(keyspace.context).map((e) => e.key);
    expect(wanted).toEqual(["real-3"]);
    engine.stop();
  });

  test("a relayed claim is believed up to unbackedClaimSlack above the origin's backed dots, no further", () => {
    const { network, keyspace, send, engine } = setup();
    const slack = DEFAULT_KEYSPACE_LIMITS.unbackedClaimSlack;
    send({
      kind: "sync-response",
      context: context([[V, 1_000_000]]),
      entries: [entry("v1", V, 1), entry("v3", V, 3)],
    });
    network.advance(10);
    // A restarted replica's unused reservation block is believed when relayed...
    expect(maxCounter(keyspace.context, V)).toBe(3 + slack);
    // ...and claims cannot ratchet: the bound counts from backed dots, not from earlier claims.
    send({ kind: "sync-response", context: context([[V, 1_000_000]]), entries: [] });
    network.advance(10);
    expect(maxCounter(keyspace.context, V)).toBe(3 + slack);
    engine.stop();
  });

  test("a split response (kind 11) is bounded once assembled, like a whole one", () => {
    const { network, keyspace, send, engine } = setup({ causal: true });
    const claim = context([
      [V, 10_000],
      [N, TOP],
    ]);
    send({
      kind: "sync-response-part",
      id: 1,
      index: 0,
      count: 2,
      context: claim,
      entries: [entry("a", V, 1)],
    });
    send({
      kind: "sync-response-part",
      id: 1,
      index: 1,
      count: 2,
      context: claim,
      entries: [entry("b", V, 2)],
    });
    network.advance(10);
    expect(keyspace.has("a") && keyspace.has("b")).toBe(true);
    // V is believed up to its backed dots plus the slack; this node's own counter to the window.
    expect(maxCounter(keyspace.context, V)).toBe(2 + DEFAULT_KEYSPACE_LIMITS.unbackedClaimSlack);
    expect(maxCounter(keyspace.context, N)).toBe(DEFAULT_KEYSPACE_LIMITS.maxOwnClaimAhead);
    engine.stop();
  });

  test("the context a peer announces is cut to what this node can back before listeners see it", () => {
    const { network, keyspace, send, engine } = setup();
    bump(keyspace, "x");
    const seen: CausalContext[] = [];
    engine.onPeerContext((_, c) => seen.push(c));
    send({
      kind: "sync-request",
      context: context(
        [
          [N, TOP],
          [V, 50],
        ],
        [[N, [TOP - 1]]],
      ),
    });
    network.advance(10);
    expect(seen).toHaveLength(1);
    expect(maxCounter(seen[0] as CausalContext, N)).toBe(1);
    expect(maxCounter(seen[0] as CausalContext, V)).toBe(0);
    engine.stop();
  });
});

describe("item 3: bounded decode, bounded context, no exception escapes", () => {
  test("a frame with more cloud dots than maxContextDots is refused at decode", () => {
    const ks = newKeyspace("n");
    const dots = Array.from({ length: 1001 }, (_, i) => 2 * i + 3);
    const frame = encodeMessage(
      { kind: "sync-request", context: context([], [[V, dots]]) },
      ks.registry,
      { sender: M, receiver: N },
    );
    const limits = { ...DEFAULT_DECODE_LIMITS, maxContextDots: 1000 };
    expect(() => decodeMessage(frame, ks.registry, { sender: M, receiver: N }, limits)).toThrow(
      DecodeError,
    );
    // A push's dependencies are held to the same budget.
    const push = encodeMessage(
      {
        kind: "delta-push",
        seq: 1,
        deps: context([], [[V, dots]]),
        entries: [],
      },
      ks.registry,
      { sender: M, receiver: N },
    );
    expect(() => decodeMessage(push, ks.registry, { sender: M, receiver: N }, limits)).toThrow(
      /too many dots/,
    );
    expect(() => decodeMessage(push, ks.registry, { sender: M, receiver: N })).not.toThrow();
  });

  test("an error thrown while handling a frame is a rejected frame, never an exception", () => {
    const { network, send, engine, rejected } = setup();
    engine.onPeerContext(() => {
      throw new RangeError("Set maximum size exceeded");
    });
    send({ kind: "sync-request", context: context([[M, 1]]) });
    expect(() => network.advance(10)).not.toThrow();
    expect(rejected.map((r) => r.error.code)).toEqual(["FRAME_HANDLING_FAILED"]);
    expect(engine.stats().framesRejected).toBe(1);
    engine.stop();
  });

  test("a batch that would grow the cloud past maxCloudDots is refused whole; claimed cloud dots are cut", () => {
    const keyspace = new Keyspace({
      replica: N,
      registry: fixtureRegistry(),
      limits: { maxCloudDots: 100 },
    });
    const scattered = Array.from({ length: 150 }, (_, i) => entry(`j${i}`, V, 2 * i + 2));
    expect(() => keyspace.applyRemote(scattered)).toThrow(ContextLimitError);
    expect(keyspace.size).toBe(0);
    // A claim alone only fills the cloud up to the limit.
    keyspace.applyRemote(
      [entry("top", V, 10_000)],
      context([], [[V, scattered.map((e) => (e.dots[0] as Dot).counter)]]),
    );
    let cloud = 0;
    for (const s of keyspace.context.cloud.values()) cloud += s.size;
    expect(cloud).toBe(100);
  });

  test("a keyspace refuses batches naming more origins than maxOrigins", () => {
    const keyspace = new Keyspace({
      replica: N,
      registry: fixtureRegistry(),
      limits: { maxOrigins: 10 },
    });
    const many = Array.from({ length: 11 }, (_, i) => entry(`o${i}`, replicaId(`r${i}`), 1));
    expect(() => keyspace.applyRemote(many)).toThrow(ContextLimitError);
    keyspace.applyRemote(many.slice(0, 10));
    expect(keyspace.size).toBe(10);
  });
});

describe("item 7: first binding wins", () => {
  test("junk keys carrying another replica's dots do not hide its real keys", () => {
    const { network, keyspace, send, engine } = setup();
    const victim = newKeyspace("victim");
    bump(victim, "real-1");
    bump(victim, "real-2");
    keyspace.applyRemote(victim.missing(keyspace.context), victim.context);
    // The junk keys claim the victim's dots 1 and 2, and a future dot 3.
    send({
      kind: "delta-push",
      seq: 1,
      deps: undefined,
      entries: wholeStateDeltas([
        entry("junk-1", V, 1),
        entry("junk-2", V, 2),
        entry("junk-3", V, 3),
      ]),
    });
    network.advance(10);
    expect(keyspace.boundsStats().bindingsRefused).toBe(2);
    // A fresh replica syncing from the node gets the real keys with their dots.
    const fresh = newKeyspace("fresh");
    const missing = keyspace.missing(fresh.context);
    const byKey = new Map(missing.map((e) => [e.key, e.dots]));
    expect(byKey.get("real-1")).toEqual([{ replica: V, counter: 1 }]);
    expect(byKey.get("real-2")).toEqual([{ replica: V, counter: 2 }]);
    expect(byKey.has("junk-1")).toBe(false);
    engine.stop();
  });
});

describe("item 9: the causal-push buffer is bounded and forgets a closed connection", () => {
  const unmet = (seq: number, pad: number): SyncMessage => ({
    kind: "delta-push",
    seq,
    deps: context([[V, 1_000_000]]),
    entries: wholeStateDeltas([entry(`p${seq}-${"x".repeat(pad)}`, M, seq)]),
  });

  test("per-connection count and bytes caps, an overall cap, and a drop on disconnect", () => {
    const { network, send, engine } = setup({
      causal: true,
      pushBuffer: { maxPerPeer: 5, maxBytesPerPeer: 4_000, maxBytes: 1_000_000 },
    });
    for (let seq = 1; seq <= 20; seq++) send(unmet(seq, 10));
    network.advance(10);
    expect(engine.bufferedPushes).toBe(5);
    for (let seq = 21; seq <= 30; seq++) send(unmet(seq, 1_500));
    network.advance(10);
    expect(engine.bufferedPushes).toBeLessThanOrEqual(3);
    expect(engine.stats().bufferedPushesDropped).toBeGreaterThanOrEqual(22);
    network.partition([[N], [M]]);
    network.advance(10);
    expect(engine.bufferedPushes).toBe(0);
    engine.stop();
  });

  test("an honest push is still delivered at once next to a full hostile buffer", () => {
    const { network, keyspace, send, engine } = setup({
      causal: true,
      pushBuffer: { maxPerPeer: 1000 },
    });
    for (let seq = 1; seq <= 300; seq++) send(unmet(seq, 100));
    network.advance(10);
    const honest = network.transport(replicaId("h"));
    network.advance(10);
    const h = newKeyspace("h");
    bump(h, "honest");
    honest.send(
      N,
      encodeMessage(
        {
          kind: "delta-push",
          seq: 1,
          deps: h.context,
          entries: wholeStateDeltas(h.missing(emptyCausalContext())),
        },
        keyspace.registry,
        { sender: replicaId("h"), receiver: N },
      ),
    );
    network.advance(10);
    expect(keyspace.has("honest")).toBe(true);
    engine.stop();
  });
});

describe("item 5: what a connection announced is forgotten when it closes", () => {
  test("listeners get an empty context for a peer that left", () => {
    const { network, send, engine, keyspace } = setup();
    bump(keyspace, "x");
    const seen: [ReplicaId, CausalContext][] = [];
    engine.onPeerContext((peer, c) => seen.push([peer, c]));
    send({ kind: "sync-request", context: context([[N, 1]]) });
    network.advance(10);
    expect(
      containsDot((seen[0] as [ReplicaId, CausalContext])[1], { replica: N, counter: 1 }),
    ).toBe(true);
    network.partition([[N], [M]]);
    network.advance(10);
    const last = seen.at(-1) as [ReplicaId, CausalContext];
    expect(last[0]).toBe(M);
    expect(last[1].versionVector.size + last[1].cloud.size).toBe(0);
    engine.stop();
  });
});

describe("item 10: sync requests are rate limited per connection", () => {
  test("a flood of tiny requests gets a bounded number of answers, and the latest is answered", () => {
    const { network, keyspace, send, engine, received } = setup({
      requests: { perSecond: 4, burst: 4 },
    });
    for (let i = 0; i < 50; i++) bump(keyspace, `k${i}`);
    for (let i = 0; i < 300; i++) send({ kind: "sync-request", context: emptyCausalContext() });
    network.advance(1000);
    const answers = received.filter((m) => m.kind === "sync-response").length;
    // The burst answers at once; the other 296 requests coalesce into one, answered when the
    // next token is back: five answers for three hundred requests.
    expect(answers).toBe(4 + 1);
    expect(engine.stats().syncRequestsCoalesced).toBe(300 - 4 - 1);
    received.length = 0;
    network.advance(2000);
    expect(received.filter((m) => m.kind === "sync-response")).toEqual([]);
    // A steady stream gets at most the refill rate.
    for (let i = 0; i < 40; i++) {
      send({ kind: "sync-request", context: emptyCausalContext() });
      network.advance(50);
    }
    const steady = received.filter((m) => m.kind === "sync-response").length;
    expect(steady).toBeLessThanOrEqual(4 + 2 * 4 + 1);
    engine.stop();
  });
});
