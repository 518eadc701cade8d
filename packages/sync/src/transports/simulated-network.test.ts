import { type ReplicaId, replicaId } from "@convergent/clocks";
import { InvalidArgumentError } from "@convergent/core";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { latency } from "./link-conditions.js";
import type { NetworkCounters, TraceEvent } from "./network-counters.js";
import { SimulatedNetwork } from "./simulated-network.js";
import type { Transport } from "./transport.js";

const [A, B, C, D] = ["a", "b", "c", "d"].map(replicaId) as [
  ReplicaId,
  ReplicaId,
  ReplicaId,
  ReplicaId,
];

/** Opens transports for `ids` and lets their connections come up. */
function open(network: SimulatedNetwork, ...ids: ReplicaId[]): Transport[] {
  const transports = ids.map((id) => network.transport(id));
  network.advance(0);
  return transports;
}

/** Every frame `transport` receives, as [time, from, first byte...]. */
function record(network: SimulatedNetwork, transport: Transport): [number, ReplicaId, number][] {
  const log: [number, ReplicaId, number][] = [];
  transport.onFrame((peer, frame) => log.push([network.now(), peer, decode(frame)]));
  return log;
}

const encode = (n: number) => Uint32Array.of(n).buffer;
const frameOf = (n: number) => new Uint8Array(encode(n));
const decode = (frame: Uint8Array) =>
  new DataView(frame.buffer, frame.byteOffset).getUint32(0, true);

function conservation(c: NetworkCounters): void {
  expect(c.framesSent + c.framesDuplicated).toBe(
    c.framesDelivered + c.framesLost + c.framesDropped + c.framesInFlight,
  );
  expect(c.bytesSent + c.bytesDuplicated).toBeGreaterThanOrEqual(
    c.bytesDelivered + c.bytesLost + c.bytesDropped,
  );
}

/** A busy, faulty run: four replicas gossip on timers through loss, duplication and a partition. */
function faultyRun(seed: number): {
  trace: TraceEvent[];
  frames: unknown[];
  counters: NetworkCounters;
} {
  const network = new SimulatedNetwork({
    seed,
    link: {
      latency: latency.exponential(20, 2),
      lossProbability: 0.1,
      duplicateProbability: 0.1,
    },
  });
  const trace: TraceEvent[] = [];
  network.onTrace((event) => trace.push(event));
  const ids = [A, B, C, D];
  const transports = ids.map((id) => network.transport(id));
  const frames: unknown[] = [];
  transports.forEach((transport, i) => {
    const random = network.randomStream();
    let counter = 0;
    transport.onFrame((peer, frame) =>
      frames.push([network.now(), peer, transport.localId, decode(frame)]),
    );
    const tick = () => {
      const peers = transport.peers();
      if (peers.length > 0)
        transport.send(peers[random.nextInt(peers.length)]!, frameOf(i * 1e6 + counter++));
      network.scheduler.setTimeout(tick, 5 + random.next() * 10);
    };
    network.scheduler.setTimeout(tick, 0);
  });
  network.advance(300);
  network.partition([[A, B], [C]]);
  network.advance(300);
  network.heal();
  network.advance(300);
  return { trace, frames, counters: network.counters() };
}

describe("SimulatedNetwork determinism", () => {
  test("the same seed gives the same delivery trace; another seed a different one", () => {
    const first = faultyRun(2024);
    const second = faultyRun(2024);
    expect(first.trace.length).toBeGreaterThan(500);
    expect(second.trace).toEqual(first.trace);
    expect(second.frames).toEqual(first.frames);
    expect(second.counters).toEqual(first.counters);
    const other = faultyRun(2025);
    expect(other.trace).not.toEqual(first.trace);
    conservation(first.counters);
  });
});

describe("SimulatedNetwork connections", () => {
  test("endpoints see each other connect at the current simulated time", () => {
    const network = new SimulatedNetwork({ seed: 1 });
    const a = network.transport(A);
    const events: string[] = [];
    a.onPeerConnected((peer) => events.push(`a+${peer}`));
    const b = network.transport(B);
    b.onPeerConnected((peer) => events.push(`b+${peer}`));
    expect(a.peers()).toEqual([]);
    expect(a.send(B, frameOf(1))).toBe("unreachable");
    network.advance(0);
    expect(events.sort()).toEqual(["a+b", "b+a"]);
    expect(a.peers()).toEqual([B]);
    expect(b.peers()).toEqual([A]);
    expect(a.stats().framesDropped).toBe(1);
  });

  test("closing an endpoint disconnects it from its peers and refuses further sends", async () => {
    const network = new SimulatedNetwork({ seed: 1 });
    const [a, b, c] = open(network, A, B, C) as [Transport, Transport, Transport];
    const gone: string[] = [];
    b.onPeerDisconnected((peer) => gone.push(`b-${peer}`));
    c.onPeerDisconnected((peer) => gone.push(`c-${peer}`));
    const received = record(network, b);
    expect(a.send(B, frameOf(1))).toBe("queued");
    await a.close();
    expect(a.send(B, frameOf(2))).toBe("closed");
    expect(a.peers()).toEqual([]);
    network.runUntilIdle();
    expect(gone.sort()).toEqual(["b-a", "c-a"]);
    expect(b.peers()).toEqual([C]);
    // The frame in flight died with the connection.
    expect(received).toEqual([]);
    expect(network.counters().framesDropped).toBe(1);
    // The replica can come back with a fresh endpoint.
    const again = network.transport(A);
    network.advance(0);
    expect(again.peers()).toEqual([B, C]);
    expect(() => network.transport(A)).toThrow(InvalidArgumentError);
  });

  test("send refuses frames that are too large or not bytes", () => {
    const network = new SimulatedNetwork({ seed: 1, maxFrameBytes: 4 });
    const [a] = open(network, A, B) as [Transport];
    expect(a.send(B, new Uint8Array(5))).toBe("too-large");
    expect(a.send(B, new Uint8Array(4))).toBe("queued");
    expect(() => a.send(B, "hi" as unknown as Uint8Array)).toThrow(InvalidArgumentError);
    expect(a.stats()).toMatchObject({
      framesSent: 1,
      bytesSent: 4,
      framesDropped: 1,
      bytesDropped: 5,
    });
  });

  test("receivers own their copies of a frame", () => {
    const network = new SimulatedNetwork({ seed: 3, link: { duplicateProbability: 1 } });
    const [a, b] = open(network, A, B) as [Transport, Transport];
    const seen: number[][] = [];
    b.onFrame((_peer, frame) => {
      seen.push([...frame]);
      frame.fill(9);
    });
    const sent = Uint8Array.of(1, 2, 3);
    a.send(B, sent);
    network.runUntilIdle();
    expect(seen).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);
    expect([...sent]).toEqual([1, 2, 3]);
  });
});

describe("SimulatedNetwork link conditions", () => {
  test("fixed latency delivers exactly that much later, in order", () => {
    const network = new SimulatedNetwork({ seed: 1, link: { latency: latency.fixed(10) } });
    const [a, b] = open(network, A, B) as [Transport, Transport];
    const log = record(network, b);
    a.send(B, frameOf(1));
    network.advance(3);
    a.send(B, frameOf(2));
    network.runUntilIdle();
    expect(log).toEqual([
      [10, A, 1],
      [13, A, 2],
    ]);
  });

  test("loss drops about the configured fraction (p = 0.3, 20,000 frames)", () => {
    const network = new SimulatedNetwork({ seed: 7, link: { lossProbability: 0.3 } });
    const [a, b] = open(network, A, B) as [Transport, Transport];
    const log = record(network, b);
    const n = 20_000;
    let queued = 0;
    for (let i = 0; i < n; i++) if (a.send(B, frameOf(i)) === "queued") queued++;
    expect(queued).toBe(n);
    network.runUntilIdle();
    const counters = network.counters();
    // sigma = sqrt(0.3 * 0.7 / n) ~ 0.0032; allow 5 sigma.
    expect(Math.abs(counters.framesLost / n - 0.3)).toBeLessThan(0.016);
    expect(log.length).toBe(n - counters.framesLost);
    expect(counters.framesDelivered).toBe(log.length);
    expect(new Set(log.map((entry) => entry[2])).size).toBe(log.length);
    conservation(counters);
  });

  test("duplication repeats about the configured fraction, each copy intact", () => {
    const network = new SimulatedNetwork({
      seed: 8,
      link: { duplicateProbability: 0.2, latency: latency.uniform(1, 50) },
    });
    const [a, b] = open(network, A, B) as [Transport, Transport];
    const log = record(network, b);
    const n = 20_000;
    for (let i = 0; i < n; i++) a.send(B, frameOf(i));
    network.runUntilIdle();
    const counters = network.counters();
    expect(Math.abs(counters.framesDuplicated / n - 0.2)).toBeLessThan(0.015);
    expect(log.length).toBe(n + counters.framesDuplicated);
    const copies = new Map<number, number>();
    for (const [, , value] of log) copies.set(value, (copies.get(value) ?? 0) + 1);
    expect(copies.size).toBe(n);
    expect([...copies.values()].every((count) => count === 1 || count === 2)).toBe(true);
    expect(b.stats().framesReceived).toBe(log.length);
    conservation(counters);
  });

  test("jitter reorders frames; an ordered link with the same jitter does not", () => {
    const inversions = (ordered: boolean) => {
      const network = new SimulatedNetwork({
        seed: 9,
        link: { latency: latency.uniform(1, 100), ordered },
      });
      const [a, b] = open(network, A, B) as [Transport, Transport];
      const log = record(network, b);
      for (let i = 0; i < 1000; i++) {
        a.send(B, frameOf(i));
        network.advance(1);
      }
      network.runUntilIdle();
      expect(log.length).toBe(1000);
      return log.filter((entry, i) => i > 0 && entry[2] < log[i - 1]![2]).length;
    };
    expect(inversions(false)).toBeGreaterThan(300);
    expect(inversions(true)).toBe(0);
  });

  test("setLink overrides one direction or both, over later default changes", () => {
    const network = new SimulatedNetwork({ seed: 4 });
    const [a, b] = open(network, A, B) as [Transport, Transport];
    network.setLink(A, B, { lossProbability: 1 }, false);
    network.setDefaultLink({ latency: latency.fixed(50) });
    const atA = record(network, a);
    const atB = record(network, b);
    for (let i = 0; i < 10; i++) {
      a.send(B, frameOf(i));
      b.send(A, frameOf(i));
    }
    network.runUntilIdle();
    expect(atB).toEqual([]);
    expect(atA.length).toBe(10);
    expect(atA.every(([time]) => time === 50)).toBe(true);
    expect(network.linkConditions(A, B).lossProbability).toBe(1);
    expect(network.linkConditions(B, A).lossProbability).toBe(0);
    expect(() => network.setLink(A, B, { lossProbability: 2 })).toThrow(InvalidArgumentError);
  });
});

describe("SimulatedNetwork partitions", () => {
  test("partition cuts groups apart, drops frames in flight, and heal reconnects", () => {
    const network = new SimulatedNetwork({ seed: 5, link: { latency: latency.fixed(10) } });
    const [a, b, c] = open(network, A, B, C) as [Transport, Transport, Transport];
    const events: string[] = [];
    for (const t of [a, b, c]) {
      t.onPeerConnected((peer) => events.push(`${t.localId}+${peer}`));
      t.onPeerDisconnected((peer) => events.push(`${t.localId}-${peer}`));
    }
    const atB = record(network, b);
    const atC = record(network, c);
    a.send(C, frameOf(1)); // in flight when the partition starts
    a.send(B, frameOf(2));
    network.advance(5);
    network.partition([[A, B], [C]]);
    expect(network.reachable(A, C)).toBe(false);
    expect(network.reachable(A, B)).toBe(true);
    network.advance(0);
    expect(events.sort()).toEqual(["a-c", "b-c", "c-a", "c-b"]);
    expect(a.peers()).toEqual([B]);
    expect(c.peers()).toEqual([]);
    expect(a.send(C, frameOf(3))).toBe("unreachable");
    expect(a.send(B, frameOf(4))).toBe("queued");
    network.advance(20);
    expect(atC).toEqual([]);
    expect(atB.map((entry) => entry[2])).toEqual([2, 4]);
    expect(network.counters().framesDropped).toBe(1);

    events.length = 0;
    network.heal();
    network.advance(0);
    expect(events.sort()).toEqual(["a+c", "b+c", "c+a", "c+b"]);
    expect(a.send(C, frameOf(5))).toBe("queued");
    network.runUntilIdle();
    expect(atC).toEqual([[network.now(), A, 5]]);
  });

  test("a frame sent before a partition never arrives after the heal (new connection)", () => {
    const network = new SimulatedNetwork({ seed: 6, link: { latency: latency.fixed(100) } });
    const [a, b] = open(network, A, B) as [Transport, Transport];
    const atB = record(network, b);
    a.send(B, frameOf(1));
    network.advance(10);
    network.partition([[A], [B]]);
    network.advance(10);
    network.heal();
    network.runUntilIdle();
    expect(atB).toEqual([]);
    expect(network.counters().framesDropped).toBe(1);
  });

  test("replicas a partition does not list form one group, including later ones", () => {
    const network = new SimulatedNetwork({ seed: 1 });
    open(network, A, B, C);
    network.partition([[A]]);
    const d = network.transport(D);
    network.advance(0);
    expect(network.reachable(B, C)).toBe(true);
    expect(network.reachable(C, D)).toBe(true);
    expect(network.reachable(A, D)).toBe(false);
    expect(d.peers()).toEqual([B, C]);
    expect(() => network.partition([[A, B], [B]])).toThrow(InvalidArgumentError);
    expect(() => network.partition([["" as ReplicaId]])).toThrow(InvalidArgumentError);
  });

  test("property: under random faults, frames cross only reachable links and all are accounted for", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("send" as const), from: fc.nat(3), to: fc.nat(3) }),
      fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: 40 }) }),
      fc.record({
        kind: fc.constant("partition" as const),
        groups: fc.array(fc.nat(2), { minLength: 4, maxLength: 4 }),
      }),
      fc.record({ kind: fc.constant("heal" as const) }),
    );
    fc.assert(
      fc.property(fc.integer(), fc.array(op, { maxLength: 80 }), (seed, ops) => {
        const network = new SimulatedNetwork({
          seed,
          link: {
            latency: latency.uniform(0, 30),
            lossProbability: 0.2,
            duplicateProbability: 0.2,
          },
        });
        const ids = [A, B, C, D];
        const transports = ids.map((id) => network.transport(id));
        let bad = 0;
        for (const t of transports) {
          t.onFrame((peer) => {
            if (!network.reachable(peer, t.localId)) bad++;
            if (!t.peers().includes(peer)) bad++;
          });
        }
        for (const step of ops) {
          if (step.kind === "send") {
            transports[step.from]!.send(ids[step.to]!, frameOf(1));
          } else if (step.kind === "advance") {
            network.advance(step.ms);
          } else if (step.kind === "partition") {
            const groups: ReplicaId[][] = [[], [], []];
            step.groups.forEach((g, i) => {
              groups[g]!.push(ids[i]!);
            });
            network.partition(groups);
          } else {
            network.heal();
          }
          conservation(network.counters());
        }
        network.heal();
        network.runUntilIdle();
        expect(bad).toBe(0);
        expect(network.counters().framesInFlight).toBe(0);
        conservation(network.counters());
        for (const t of transports) expect(t.peers().length).toBe(3);
      }),
      { numRuns: 200 },
    );
  });
});
