import { type ReplicaId, replicaId } from "@convergent/clocks";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { fixtureCounter, fixtureRegister, incrementCounter } from "../keyspace/fixtures.js";
import type { Keyspace } from "../keyspace/keyspace.js";
import { wholeStateDeltas } from "../keyspace/keyspace.js";
import { applyWrite, keyspaceImage, newKeyspace, type WriteOp } from "../keyspace/test-helpers.js";
import { SimulatedNetwork } from "../transports/simulated-network.js";
import type { Transport } from "../transports/transport.js";
import { SyncEngine, type SyncEngineOptions } from "./engine.js";
import { encodeMessage } from "./messages.js";
import { readRepair } from "./read-repair.js";

type Step =
  | { readonly kind: "write"; readonly replica: number; readonly op: WriteOp }
  | { readonly kind: "advance"; readonly ms: number }
  | { readonly kind: "partition"; readonly groups: readonly number[] }
  | { readonly kind: "heal" }
  | {
      readonly kind: "link";
      readonly loss: number;
      readonly duplicate: number;
      readonly maxMs: number;
    };

function steps(replicas: number) {
  const step: fc.Arbitrary<Step> = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant("write" as const),
        replica: fc.nat(replicas - 1),
        op: fc.record({
          key: fc.nat(25),
          counter: fc.boolean(),
          amount: fc.integer({ min: 1, max: 50 }),
        }),
      }),
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
        groups: fc.array(fc.nat(2), { minLength: replicas, maxLength: replicas }),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ kind: "heal" as const }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant("link" as const),
        loss: fc.double({ min: 0, max: 0.6, noNaN: true }),
        duplicate: fc.double({ min: 0, max: 0.3, noNaN: true }),
        maxMs: fc.integer({ min: 1, max: 200 }),
      }),
    },
  );
  return fc.array(step, { maxLength: 60 });
}

/** What every replica must end with: each counter's total and each register's winning write. */
class Model {
  readonly counters = new Map<string, number>();
  readonly registers = new Map<string, readonly [number, number, string]>();

  record(replica: ReplicaId, op: WriteOp, tick: number): void {
    const key = `k${op.key * 2 + (op.counter ? 1 : 0)}`;
    if (op.counter) this.counters.set(key, (this.counters.get(key) ?? 0) + op.amount);
    else {
      const stamp = [tick, op.amount, replica] as const;
      const best = this.registers.get(key);
      if (best === undefined || compareStamp(stamp, best) > 0) this.registers.set(key, stamp);
    }
  }

  check(keyspace: Keyspace): void {
    for (const [key, total] of this.counters)
      expect(keyspace.value(key, fixtureCounter)).toBe(total);
    for (const [key, [tick, amount]] of this.registers) {
      expect([...(keyspace.value(key, fixtureRegister) ?? [])]).toEqual([
        amount & 0xff,
        tick & 0xff,
      ]);
    }
    expect(keyspace.size).toBe(this.counters.size + this.registers.size);
  }
}

function compareStamp(
  a: readonly [number, number, string],
  b: readonly [number, number, string],
): number {
  return a[0] - b[0] || a[1] - b[1] || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0);
}

function simulate(
  count: number,
  script: readonly Step[],
  seed: number,
  engineOptions: Partial<SyncEngineOptions>,
): { keyspaces: Keyspace[]; model: Model; engines: SyncEngine[] } {
  const network = new SimulatedNetwork({ seed });
  const ids = Array.from({ length: count }, (_, i) => replicaId(`r${i}`));
  const random = network.randomStream();
  const keyspaces = ids.map((id) => newKeyspace(id));
  const engines = ids.map(
    (id, i) =>
      new SyncEngine({
        keyspace: keyspaces[i] as Keyspace,
        transport: network.transport(id),
        scheduler: network.scheduler,
        random: () => random.next(),
        ...engineOptions,
      }),
  );
  const model = new Model();
  let tick = 0;
  for (const step of script) {
    switch (step.kind) {
      case "write": {
        const ks = keyspaces[step.replica] as Keyspace;
        tick += 1;
        applyWrite(ks, step.op, tick);
        model.record(ks.replica, step.op, tick);
        break;
      }
      case "advance":
        network.advance(step.ms);
        break;
      case "partition": {
        const groups: ReplicaId[][] = [[], [], []];
        for (const [i, g] of step.groups.entries()) groups[g]?.push(ids[i] as ReplicaId);
        network.partition(groups.filter((g) => g.length > 0));
        break;
      }
      case "heal":
        network.heal();
        break;
      case "link":
        network.setDefaultLink({
          lossProbability: step.loss,
          duplicateProbability: step.duplicate,
          latency: { kind: "uniform", minMs: 0, maxMs: step.maxMs },
        });
        break;
    }
  }
  // The faults end: the network heals and links become reliable, as the property assumes.
  network.heal();
  network.setDefaultLink({
    lossProbability: 0,
    duplicateProbability: 0,
    latency: { kind: "fixed", ms: 5 },
  });
  network.advance(60_000);
  return { keyspaces, model, engines };
}

describe("sync engine over a faulty simulated network", () => {
  for (const count of [2, 5]) {
    test(`the fast path converges ${count} replicas after any fault schedule that heals`, () => {
      fc.assert(
        fc.property(steps(count), fc.integer(), (script, seed) => {
          // Five replicas rely on gossip alone and cap frames at 4 entries, so long responses
          // travel in pieces, any of which may be lost.
          const { keyspaces, model, engines } = simulate(count, script, seed, {
            merkle: false,
            ...(count === 5 ? { push: false, maxEntriesPerFrame: 4 } : {}),
          });
          const image = keyspaceImage(keyspaces[0] as Keyspace);
          for (const ks of keyspaces) {
            expect(keyspaceImage(ks)).toEqual(image);
            model.check(ks);
          }
          for (const engine of engines) {
            expect(engine.stats().framesRejected).toBe(0);
            engine.stop();
          }
        }),
        { numRuns: count === 2 ? 150 : 80 },
      );
    });

    test(`the Merkle repair path alone converges ${count} replicas`, () => {
      fc.assert(
        fc.property(steps(count), fc.integer(), (script, seed) => {
          const { keyspaces, model, engines } = simulate(count, script, seed, {
            gossip: false,
            push: false,
            syncOnConnect: false,
            merkle: { depth: 2, intervalMs: 300 },
          });
          const image = keyspaceImage(keyspaces[0] as Keyspace);
          for (const ks of keyspaces) {
            expect(keyspaceImage(ks)).toEqual(image);
            model.check(ks);
          }
          for (const engine of engines) engine.stop();
        }),
        { numRuns: count === 2 ? 100 : 50 },
      );
    });
  }

  test("hostile frames are dropped with an event and a counter, and change nothing", () => {
    const network = new SimulatedNetwork({ seed: 7 });
    const victim = newKeyspace("v");
    victim.update("x", fixtureCounter, (s, r) => incrementCounter(s, r, 2));
    const engine = new SyncEngine({
      keyspace: victim,
      transport: network.transport(replicaId("v")),
      scheduler: network.scheduler,
      gossip: false,
    });
    const evil = network.transport(replicaId("evil"));
    network.advance(100);
    const before = keyspaceImage(victim);
    const events: string[] = [];
    engine.onRejected((e) => events.push(`${e.peer}:${e.kind}:${e.error.code}`));
    // A counter state under a key the victim holds, but sent with the register's tag.
    const liar = newKeyspace("evil");
    liar.update("x", fixtureRegister, (_s, r) => ({
      current: { stamp: { millis: 1, counter: 1, replica: r }, value: new Uint8Array([1]) },
    }));
    const conflicting = encodeMessage(
      {
        kind: "delta-push",
        seq: 1,
        deps: undefined,
        entries: wholeStateDeltas(liar.missing(victim.context)),
      },
      liar.registry,
      { sender: replicaId("evil"), receiver: replicaId("v") },
    );
    for (const frame of [
      new Uint8Array([0x42, 0]),
      new Uint8Array([0xff]),
      conflicting,
      new Uint8Array(0),
    ]) {
      evil.send(replicaId("v"), frame);
    }
    network.advance(100);
    expect(keyspaceImage(victim)).toEqual(before);
    expect(engine.stats().framesRejected).toBe(4);
    expect(events).toEqual([
      "evil:undecodable:DECODE_TRUNCATED",
      "evil:undecodable:DECODE_UNSUPPORTED_VERSION",
      "evil:delta-push:KEY_TYPE_CONFLICT",
      "evil:undecodable:DECODE_TRUNCATED",
    ]);
    engine.stop();
  });

  test("two replicas connecting at once exchange both ways in one round trip", () => {
    const network = new SimulatedNetwork({ seed: 1, link: { latency: { kind: "fixed", ms: 10 } } });
    const a = newKeyspace("a");
    const b = newKeyspace("b");
    a.update("x", fixtureCounter, (s, r) => incrementCounter(s, r, 1));
    b.update("y", fixtureCounter, (s, r) => incrementCounter(s, r, 2));
    const options = { scheduler: network.scheduler, gossip: false, push: false } as const;
    const ea = new SyncEngine({
      keyspace: a,
      transport: network.transport(replicaId("a")),
      ...options,
    });
    const eb = new SyncEngine({
      keyspace: b,
      transport: network.transport(replicaId("b")),
      ...options,
    });
    network.advance(20);
    expect(keyspaceImage(a)).toEqual(keyspaceImage(b));
    expect(a.size).toBe(2);
    expect(network.counters().framesDelivered).toBe(4);
    ea.stop();
    eb.stop();
  });

  test("live pushes are retransmitted until acknowledged and applied once", () => {
    const network = new SimulatedNetwork({ seed: 3, link: { latency: { kind: "fixed", ms: 10 } } });
    const a = newKeyspace("a");
    const b = newKeyspace("b");
    const options = { scheduler: network.scheduler, gossip: false, merkle: false } as const;
    const ea = new SyncEngine({
      keyspace: a,
      transport: network.transport(replicaId("a")),
      ...options,
    });
    const eb = new SyncEngine({
      keyspace: b,
      transport: network.transport(replicaId("b")),
      ...options,
    });
    network.advance(50);
    network.setLink(replicaId("a"), replicaId("b"), { lossProbability: 1 }, false);
    a.update("x", fixtureCounter, (s, r) => incrementCounter(s, r, 5));
    network.advance(300);
    expect(b.has("x")).toBe(false);
    network.setLink(
      replicaId("a"),
      replicaId("b"),
      { lossProbability: 0, duplicateProbability: 1 },
      false,
    );
    network.advance(2000);
    expect(b.value("x", fixtureCounter)).toBe(5);
    expect(ea.stats().pushesRetransmitted).toBeGreaterThan(0);
    expect(ea.stats().acksReceived).toBe(1);
    ea.stop();
    eb.stop();
  });

  test("read repair joins the replies and names the stale replicas", () => {
    const r = (s: string) => replicaId(s);
    const result = readRepair(fixtureCounter, [
      { replica: r("a"), state: new Map([[r("a"), 2]]) },
      {
        replica: r("b"),
        state: new Map([
          [r("a"), 2],
          [r("b"), 1],
        ]),
      },
      { replica: r("c"), state: new Map([[r("a"), 1]]) },
    ]);
    expect(fixtureCounter.value(result.joined)).toBe(3);
    expect(result.stale).toEqual(["a", "c"]);
  });
});

describe("responses split across frames", () => {
  test("without causal delivery parts apply as they arrive, and a lost one is fetched again", () => {
    const network = new SimulatedNetwork({
      seed: 11,
      link: { latency: { kind: "fixed", ms: 10 } },
    });
    const a = newKeyspace("a");
    for (let i = 0; i < 10; i++)
      a.update(`k${i}`, fixtureCounter, (s, r) => incrementCounter(s, r, i + 1));
    const b = newKeyspace("b");
    const options = {
      scheduler: network.scheduler,
      gossip: false,
      push: false,
      merkle: false,
    } as const;
    const ea = new SyncEngine({
      keyspace: a,
      transport: network.transport(replicaId("a")),
      maxEntriesPerFrame: 3,
      ...options,
    });
    const tb = network.transport(replicaId("b"));
    // b hears the first piece of a's answer only; the others are lost on the way.
    let pieces = 0;
    let dropping = true;
    const lossy: Transport = {
      localId: tb.localId,
      send: (peer, frame) => tb.send(peer, frame),
      peers: () => tb.peers(),
      onFrame: (handler) =>
        tb.onFrame((peer, frame) => {
          // Protocol version 2, kind 11 (sync-response-part), with or without a replica table.
          if (((frame[0] as number) & 0xef) === 0x4b && ++pieces > 1 && dropping) return;
          handler(peer, frame);
        }),
      onPeerConnected: (handler) => tb.onPeerConnected(handler),
      onPeerDisconnected: (handler) => tb.onPeerDisconnected(handler),
      stats: () => tb.stats(),
      close: () => tb.close(),
    };
    const eb = new SyncEngine({ keyspace: b, transport: lossy, ...options });
    network.advance(100);
    expect(b.size).toBe(3);
    dropping = false;
    eb.syncWith(replicaId("a"));
    network.advance(100);
    expect(keyspaceImage(b)).toEqual(keyspaceImage(a));
    ea.stop();
    eb.stop();
  });
});
