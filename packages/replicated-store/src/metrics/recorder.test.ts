import { type ReplicaId, replicaId } from "@convergent/clocks";
import { InvalidArgumentError } from "@convergent/core";
import { expect, test } from "vitest";
import { createMetrics } from "./recorder.js";

const a = replicaId("a");
const b = replicaId("b");

function clock(start = 1_000_000) {
  let t = start;
  const advance = (ms: number): void => {
    t += ms;
  };
  return { now: () => t, advance, at: () => t };
}

test("counts reads, stale reads and staleness percent", () => {
  const metrics = createMetrics({ maxLagMs: 1_000, now: clock().now });
  expect(metrics.snapshot().reads).toEqual({ total: 0, stale: 0, stalenessPercent: 0 });
  for (let i = 0; i < 8; i++) metrics.read({ key: "k", stale: i < 2, latencyMs: 1 + i });
  const { reads, readLatency } = metrics.snapshot();
  expect(reads).toEqual({ total: 8, stale: 2, stalenessPercent: 25 });
  expect(readLatency.count).toBe(8);
  expect(readLatency.sumMs).toBe(36);
  // rank ⌊0.99 · 7⌋ = 6 of 1..8 is 7, within 1 %.
  expect(Math.abs(readLatency.recent.p99Ms! - 7)).toBeLessThanOrEqual(0.07);
});

test("counts writes per level with latency", () => {
  const metrics = createMetrics({ maxLagMs: 1_000, now: clock().now });
  metrics.write({ key: "k", level: "quorum", latencyMs: 12 });
  metrics.write({ key: "k", level: "one", latencyMs: 0.5 });
  metrics.write({ key: "j", level: "one", latencyMs: 0.7 });
  const { writes, writeLatency } = metrics.snapshot();
  expect(writes).toEqual({
    total: 3,
    byLevel: [
      { level: "one", count: 2 },
      { level: "quorum", count: 1 },
    ],
  });
  expect(writeLatency.recent.maxMs).toBe(12);
});

test("replication lag per origin and overall, with avg, p50 and p99", () => {
  const metrics = createMetrics({ maxLagMs: 10_000, now: clock().now });
  for (let i = 1; i <= 100; i++) metrics.applied({ origin: a, key: "k", lagMs: i });
  metrics.applied({ origin: b, key: "k", lagMs: 1_000 });
  const s = metrics.snapshot();
  expect(s.replicationLag.count).toBe(101);
  expect(s.replicationLag.recent.avgMs).toBeCloseTo((5050 + 1000) / 101, 6);
  expect(s.replicationLagByOrigin.map((o) => o.origin)).toEqual([a, b]);
  const [fromA, fromB] = s.replicationLagByOrigin;
  expect(Math.abs(fromA!.recent.p50Ms! - 50)).toBeLessThanOrEqual(0.5);
  expect(Math.abs(fromA!.recent.p99Ms! - 99)).toBeLessThanOrEqual(0.99);
  expect(fromB!.recent.p50Ms).toBeCloseTo(1_000, -1);
});

test("origins past maxOrigins count only in the overall lag", () => {
  const metrics = createMetrics({ maxLagMs: 1_000, maxOrigins: 2, now: clock().now });
  for (const id of ["a", "b", "c", "d"]) {
    metrics.applied({ origin: replicaId(id), key: "k", lagMs: 5 });
  }
  const s = metrics.snapshot();
  expect(s.replicationLag.count).toBe(4);
  expect(s.replicationLagByOrigin.map((o) => o.origin)).toEqual([a, b]);
});

test("conflicts by kind; traffic and last sync per peer", () => {
  const c = clock();
  const metrics = createMetrics({ maxLagMs: 1_000, now: c.now });
  metrics.conflict({ key: "x", kind: "siblings" });
  metrics.conflict({ key: "x", kind: "siblings" });
  metrics.conflict({ key: "y", kind: "lww-overwrite" });
  metrics.traffic({ peer: b, direction: "out", bytes: 100 });
  metrics.traffic({ peer: b, direction: "out", bytes: 50 });
  metrics.traffic({ peer: b, direction: "in", bytes: 7 });
  metrics.traffic({ peer: a, direction: "in", bytes: Number.NaN });
  metrics.synced({ peer: b, atMs: c.at() - 10 });
  metrics.synced({ peer: b, atMs: c.at() - 500 }); // an older report does not move it back
  metrics.rejected({ peer: b, kind: "undecodable" });
  const s = metrics.snapshot();
  expect(s.conflicts).toEqual({ siblings: 2, "lww-overwrite": 1 });
  expect(s.peers).toEqual([
    {
      peer: a,
      bytesIn: 0,
      bytesOut: 0,
      messagesIn: 1,
      messagesOut: 0,
      framesRejected: 0,
      lastSyncAtMs: undefined,
      firstSeenAtMs: c.at(),
    },
    {
      peer: b,
      bytesIn: 7,
      bytesOut: 150,
      messagesIn: 1,
      messagesOut: 2,
      framesRejected: 1,
      lastSyncAtMs: c.at() - 10,
      firstSeenAtMs: c.at(),
    },
  ]);
  metrics.forgetPeer(a);
  expect(metrics.snapshot().peers.map((p) => p.peer)).toEqual([b]);
});

test("a replica id like __proto__ is just another peer", () => {
  const metrics = createMetrics({ maxLagMs: 1_000, now: clock().now });
  const odd = replicaId("__proto__") as ReplicaId;
  metrics.traffic({ peer: odd, direction: "in", bytes: 3 });
  expect(metrics.snapshot().peers[0]?.bytesIn).toBe(3);
});

test("bad options throw InvalidArgumentError", () => {
  for (const maxLagMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
    expect(() => createMetrics({ maxLagMs })).toThrow(InvalidArgumentError);
  }
  expect(() => createMetrics({ maxLagMs: 1, maxOrigins: -1 })).toThrow(InvalidArgumentError);
  expect(() => createMetrics({ maxLagMs: 1, relativeAccuracy: 0 })).toThrow(InvalidArgumentError);
  expect(() => createMetrics({ maxLagMs: 1, windowMs: 0 })).toThrow(InvalidArgumentError);
});
