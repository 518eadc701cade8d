/**
 * The replicated store benchmark of issue 13: the store's own costs on top of its CRDTs, each
 * figure printed next to its target with a pass/fail column.
 *
 * 1. An awaited `set(k).add(x)` (memory storage, two replicas on the simulated network) when the
 *    set holds 1,000 vs 20,000 elements: median ms per add for each; target ratio <= 1.5. Up
 *    to 100 adds per run, stopped after 3 s of adds (at least 10).
 * 2. Filling an empty set to 20,000 elements with concurrent adds (1,000 in flight per
 *    Promise.all batch): target < 2 s. Stopped before a batch that would end past 30 s (then
 *    shown as "stopped at the cap", with the elements added and the rate reached).
 * 3. Bytes of every frame the writer sends per add to a synced 5,000-element set with one peer,
 *    adds 10 ms apart (each pushed on its own): target <= 200 B. A burst of the same adds (one
 *    push) is shown beside it.
 * 4. Concurrent `counter(k).increment()` calls (100,000 issued at once, awaited together):
 *    target >= 300,000/s on memory storage and >= 100,000/s on SQLite in a temp dir.
 * 5. Client-to-client latency through real `convergent serve` processes over WebSocket on
 *    loopback (replica A writes, replica B's subscription observes it, one write at a time):
 *    p50 <= 10 ms through one node, p50 <= 20 ms through two peered nodes. Up to 1,000 writes,
 *    stopped after a time budget (25 s each at scale 1); an unobserved write counts as 5 s.
 *
 * Figures are medians over several fresh runs (3, or 1 for a fill that hits the cap). `scale`
 * multiplies element, increment and write counts (and the time budgets of 2 and 5).
 */
import type { Result, Suite } from "../harness.js";
import { OBSERVE_TIMEOUT_MS, oneNodeLatency, twoNodeLatency } from "./store-latency.js";
import { ServeFleet } from "./store-serve-processes.js";
import { infoRow, targetRows } from "./store-targets.js";
import {
  awaitedAdds,
  concurrentIncrements,
  fillSet,
  MEMORY,
  SQLITE,
  wireBytesPerAdd,
} from "./store-writes.js";

const RUNS = 3;
const count = (n: number) => n.toLocaleString("en-US");
const scaled = (n: number, scale: number, least: number) => Math.max(least, Math.round(n * scale));

async function addLatencyRows(scale: number): Promise<Result[]> {
  const small = scaled(1_000, scale, 50);
  const large = scaled(20_000, scale, 1_000);
  const adds = scaled(100, scale, 20);
  const budgetMs = scaled(3_000, scale, 1_000);
  const workload = `awaited set add, memory storage, 1 peer (median of ${RUNS} runs' medians)`;
  const atSmall = await awaitedAdds(small, adds, RUNS, budgetMs);
  const atLarge = await awaitedAdds(large, adds, RUNS, budgetMs);
  return [
    infoRow({ workload, metric: `median per add, ${count(small)} elements`, ...ms(atSmall) }),
    infoRow({ workload, metric: `median per add, ${count(large)} elements`, ...ms(atLarge) }),
    ...targetRows(
      {
        workload,
        metric: `ratio ${count(large)} / ${count(small)} elements`,
        value: atLarge.medianMs / atSmall.medianMs,
        unit: "ratio",
      },
      { kind: "max", value: 1.5 },
    ),
    ...[atSmall, atLarge].flatMap((at, i) => {
      const elements = count(i === 0 ? small : large);
      return [
        infoRow({
          workload,
          metric: `wall time per add, both replicas' work included, ${elements} elements`,
          value: at.wallMsPerAdd,
          unit: "ms",
        }),
        infoRow({
          workload,
          metric: `adds timed, ${elements} elements`,
          value: at.adds,
          unit: "adds",
        }),
      ];
    }),
  ];
}

const ms = (figures: { medianMs: number }) => ({ value: figures.medianMs, unit: "ms" });

async function fillRows(scale: number): Promise<Result[]> {
  const n = scaled(20_000, scale, 1_000);
  const inFlight = Math.min(1_000, n);
  const capMs = scaled(30_000, scale, 3_000);
  const workload = `fill a set to ${count(n)} elements, ${count(inFlight)} adds in flight`;
  const first = await fillSet(n, inFlight, capMs);
  const runs = [first];
  // Repeat only when a run is cheap; a capped run is not repeated.
  if (!first.capped && first.ms < 5_000) {
    for (let i = 1; i < RUNS; i++) runs.push(await fillSet(n, inFlight, capMs));
  }
  runs.sort((a, b) => a.ms - b.ms);
  const mid = runs[runs.length >> 1] ?? first;
  const rows = targetRows(
    { workload, metric: "time until every add resolved", value: mid.ms, unit: "ms" },
    { kind: "max", value: 2_000 },
    mid.capped,
  );
  rows.push(
    infoRow({ workload, metric: "elements added", value: mid.added, unit: "elements" }),
    infoRow({ workload, metric: "adds/s", value: mid.added / (mid.ms / 1000), unit: "ops/s" }),
    infoRow({ workload, metric: "runs (one when capped or slow)", value: runs.length, unit: "" }),
  );
  if (mid.replicatedMs !== undefined) {
    rows.push(
      infoRow({
        workload,
        metric: "time until the peer held them all",
        value: mid.replicatedMs,
        unit: "ms",
      }),
    );
  }
  return rows;
}

async function wireRows(scale: number): Promise<Result[]> {
  const size = scaled(5_000, scale, 500);
  const adds = scaled(100, scale, 20);
  const workload = `adds to a synced ${count(size)}-element set, 1 peer (${adds} adds)`;
  const spaced = await wireBytesPerAdd(size, adds, 10);
  const burst = await wireBytesPerAdd(size, adds, 0);
  return [
    ...targetRows(
      {
        workload,
        metric: "bytes sent by the writer per add, 10 ms apart",
        value: spaced.bytesPerAdd,
        unit: "bytes",
      },
      { kind: "max", value: 200 },
    ),
    infoRow({
      workload,
      metric: "frames sent per add, 10 ms apart",
      value: spaced.framesPerAdd,
      unit: "frames",
    }),
    infoRow({
      workload,
      metric: "bytes sent by the writer per add, all at once",
      value: burst.bytesPerAdd,
      unit: "bytes",
    }),
  ];
}

async function incrementRows(scale: number): Promise<Result[]> {
  const n = scaled(100_000, scale, 1_000);
  const rows: Result[] = [];
  for (const [choice, target] of [
    [MEMORY, 300_000],
    [SQLITE, 100_000],
  ] as const) {
    const rate = await concurrentIncrements(choice, n, RUNS);
    rows.push(
      ...targetRows(
        {
          workload: `${count(n)} concurrent counter increments, ${choice.name}, 1 peer`,
          metric: "increments/s",
          value: rate,
          unit: "ops/s",
        },
        { kind: "min", value: target },
      ),
    );
  }
  return rows;
}

async function latencyRows(scale: number): Promise<Result[]> {
  const writes = scaled(1_000, scale, 20);
  const budgetMs = scaled(25_000, scale, 5_000);
  const fleet = new ServeFleet();
  const rows: Result[] = [];
  try {
    for (const [name, measure, target] of [
      ["1 serve node", oneNodeLatency, 10],
      ["2 peered serve nodes", twoNodeLatency, 20],
    ] as const) {
      const latency = await measure(fleet, writes, budgetMs);
      const workload = `A writes, B observes: ${name}, WebSocket on loopback, cluster secret`;
      rows.push(
        ...targetRows(
          { workload, metric: "p50 write to observation", value: latency.p50Ms, unit: "ms" },
          { kind: "max", value: target },
        ),
        infoRow({ workload, metric: "p99", value: latency.p99Ms, unit: "ms" }),
        infoRow({ workload, metric: "max", value: latency.maxMs, unit: "ms" }),
        infoRow({
          workload,
          metric: `writes measured (of ${count(writes)}; budget ${budgetMs / 1000} s)`,
          value: latency.samples,
          unit: "writes",
        }),
        infoRow({
          workload,
          metric: `not observed within ${OBSERVE_TIMEOUT_MS / 1000} s`,
          value: latency.timeouts,
          unit: "writes",
        }),
      );
    }
  } finally {
    await fleet.stopAll();
  }
  return rows;
}

export const storeSuite: Suite = async ({ scale }) => {
  const results: Result[] = [];
  for (const [name, part] of [
    ["awaited adds", addLatencyRows],
    ["fill", fillRows],
    ["wire bytes", wireRows],
    ["increments", incrementRows],
    ["serve latency", latencyRows],
  ] as const) {
    const started = performance.now();
    results.push(...(await part(scale)));
    process.stderr.write(
      `  store: ${name} ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
    );
  }
  return results;
};
