import { replicaId } from "@convergent/clocks";
import { expect, test } from "vitest";
import { healthOf } from "./health.js";
import { createMetrics } from "./recorder.js";

const peer = replicaId("peer-1");

function setup(maxLagMs = 5_000) {
  let t = 1_700_000_000_000;
  const metrics = createMetrics({ maxLagMs, now: () => t, windowMs: 60_000, slots: 6 });
  const advance = (ms: number): void => {
    t += ms;
  };
  return { metrics, advance, now: () => t };
}

test("a fresh replica with no peers and no lag is healthy", () => {
  const { metrics } = setup();
  expect(metrics.health()).toEqual({ healthy: true, reasons: [] });
});

test("lag p99 past maxLagMs makes it unhealthy; it recovers once the spike leaves the window", () => {
  const { metrics, advance } = setup(5_000);
  for (let i = 0; i < 100; i++) metrics.applied({ origin: peer, key: "k", lagMs: 20 });
  expect(metrics.health().healthy).toBe(true);
  // Rank ⌊0.99 · 102⌋ = 100 of 103 values: three spikes put the p99 on one.
  for (let i = 0; i < 3; i++) metrics.applied({ origin: peer, key: "k", lagMs: 9_000 });
  const sick = metrics.health();
  expect(sick.healthy).toBe(false);
  expect(sick.reasons).toHaveLength(1);
  expect(sick.reasons[0]).toMatch(/replication lag p99 is \d+ ms, above maxLagMs 5000 ms/);
  advance(30_000);
  expect(metrics.health().healthy).toBe(false);
  advance(31_000);
  for (let i = 0; i < 10; i++) metrics.applied({ origin: peer, key: "k", lagMs: 20 });
  expect(metrics.health()).toEqual({ healthy: true, reasons: [] });
});

test("lag exactly at maxLagMs is still healthy", () => {
  const { metrics } = setup(1_000);
  metrics.applied({ origin: peer, key: "k", lagMs: 990 });
  expect(metrics.snapshot().replicationLag.recent.p99Ms).toBeLessThanOrEqual(1_000);
  expect(metrics.health().healthy).toBe(true);
});

test("a peer that stops syncing turns health red after maxLagMs, and green on the next sync", () => {
  const { metrics, advance, now } = setup(5_000);
  metrics.synced({ peer, atMs: now() });
  advance(5_000);
  expect(metrics.health().healthy).toBe(true);
  advance(1);
  const sick = metrics.health();
  expect(sick.healthy).toBe(false);
  expect(sick.reasons).toEqual([
    "last successful sync with peer peer-1 was 5001 ms ago (maxLagMs 5000 ms)",
  ]);
  metrics.synced({ peer, atMs: now() });
  expect(metrics.health().healthy).toBe(true);
});

test("a peer that talks but never completes a sync is unhealthy from its first report", () => {
  const { metrics, advance } = setup(5_000);
  metrics.traffic({ peer, direction: "out", bytes: 10 });
  advance(4_000);
  expect(metrics.health().healthy).toBe(true);
  advance(2_000);
  expect(metrics.health().reasons).toEqual([
    "no successful sync with peer peer-1 since it appeared 6000 ms ago (maxLagMs 5000 ms)",
  ]);
  metrics.forgetPeer(peer);
  expect(metrics.health().healthy).toBe(true);
});

test("both rules report together; healthOf judges a snapshot on its own", () => {
  const { metrics, advance, now } = setup(1_000);
  metrics.synced({ peer, atMs: now() });
  metrics.applied({ origin: peer, key: "k", lagMs: 3_000 });
  advance(2_000);
  const snapshot = metrics.snapshot();
  const report = healthOf(snapshot);
  expect(report.healthy).toBe(false);
  expect(report.reasons).toHaveLength(2);
  expect(JSON.parse(JSON.stringify(report))).toEqual(report);
});
