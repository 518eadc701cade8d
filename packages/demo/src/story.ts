/**
 * The story the demo tells, one chapter per function: three replicas edit one document (a
 * PN-Counter, an OR-Set, an LWW register and an MV register), get partitioned, edit the same
 * values on both sides, heal, and converge; then what each type did with the conflict, and
 * what the metrics saw. Facts printed in the summary are read from the replicas, not assumed.
 */
import type { Cluster, Worker } from "./cluster.js";
import {
  bold,
  bytes,
  clockTime,
  dim,
  green,
  heading,
  listOf,
  ms,
  quote,
  say,
  setOf,
  table,
  yellow,
} from "./format.js";
import type { DocState, WriteOutcome } from "./protocol.js";

const POLL_MS = 20;

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return { value, ms: performance.now() - started };
    if (performance.now() - started > timeoutMs) throw new Error(`timed out waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

const statesOf = (cluster: Cluster) =>
  Promise.all(cluster.workers.map((w) => w.call({ op: "state" })));

/** The document as a user sees it (the keyspace context left out). */
const documentOf = (s: DocState) => JSON.stringify([s.likes, s.tags, s.title, s.status]);

/** Resolves with the common state once every replica holds the same document and context. */
async function converged(cluster: Cluster) {
  return waitFor("the replicas to converge", async () => {
    const states = await statesOf(cluster);
    const first = JSON.stringify(states[0]);
    return states.every((s) => JSON.stringify(s) === first) ? states : undefined;
  });
}

async function peersSettled(cluster: Cluster, expected: (w: Worker) => readonly string[]) {
  return waitFor("the links to settle", async () => {
    const seen = await Promise.all(cluster.workers.map((w) => w.call({ op: "peers" })));
    const ok = cluster.workers.every(
      (w, i) => JSON.stringify(seen[i]) === JSON.stringify([...expected(w)].sort()),
    );
    return ok ? true : undefined;
  });
}

function stateTable(cluster: Cluster, states: readonly DocState[]): void {
  table(
    ["replica", "likes", "tags", "title", "status"],
    states.map((s, i) => [
      cluster.workers[i]?.name ?? "",
      String(s.likes),
      setOf(s.tags),
      s.title === undefined ? "–" : quote(s.title.value),
      listOf(s.status),
    ]),
    [1],
  );
}

function did(who: string, what: string): void {
  say(`  ${bold(who.padEnd(7))} ${what}`);
}

export async function introduce(cluster: Cluster, dir: string): Promise<void> {
  heading("Three replicas");
  table(
    ["replica", "pid", "WebSocket", "storage"],
    cluster.workers.map((w) => [
      w.name,
      String(w.pid),
      `127.0.0.1:${w.port}`,
      `${w.dataDir.slice(dir.length + 1)}/replica.db`,
    ]),
    [1],
  );
  const mesh = await peersSettled(cluster, (w) =>
    cluster.workers.filter((o) => o !== w).map((o) => o.name),
  );
  say(
    `  ${dim(`data in ${dir}; each pair linked through a TCP proxy the demo can cut`)}\n` +
      `  full mesh connected in ${ms(mesh.ms)}`,
  );
  await Promise.all(cluster.workers.map((w) => w.call({ op: "heartbeat", everyMs: 50 })));
}

export async function everyoneOnline(cluster: Cluster): Promise<void> {
  heading("1. Everyone online: edits replicate within milliseconds");
  const lisbon = cluster.get("lisbon");
  const osaka = cluster.get("osaka");
  const lima = cluster.get("lima");
  await lisbon.call({ op: "count", by: 10 });
  await osaka.call({ op: "count", by: 5 });
  await lima.call({ op: "count", by: 3 });
  did("all", "likes +10, +5, +3 (PN-Counter)");
  for (const element of ["crdt", "draft", "sync"]) await osaka.call({ op: "add", element });
  did("osaka", "tags add crdt, draft, sync (OR-Set)");
  await lima.call({ op: "title", value: "Convergent 0.9", level: "one", timeoutMs: 2_000 });
  did("lima", `title := ${quote("Convergent 0.9")} (LWW register)`);
  await lisbon.call({ op: "status", value: "draft" });
  did("lisbon", `status := ${quote("draft")} (MV register)`);
  const { value: states, ms: took } = await converged(cluster);
  say(`  ${green("✓")} all three agree after ${ms(took)}`);
  stateTable(cluster, states);
}

export interface PartitionWrites {
  /** The title each side wrote during the partition, and whether a majority acknowledged it. */
  readonly titles: ReadonlyMap<string, { value: string; acknowledged: boolean }>;
}

export async function partitioned(cluster: Cluster): Promise<PartitionWrites> {
  const side = ["lisbon"];
  heading("2. Partition: lisbon | osaka + lima");
  const cut = cluster.partition(side);
  const settled = await peersSettled(cluster, (w) =>
    cluster.workers
      .filter((o) => o !== w && side.includes(o.name) === side.includes(w.name))
      .map((o) => o.name),
  );
  say(`  cut ${cut.join(" and ")}; both sides noticed in ${ms(settled.ms)} and keep working`);

  heading("3. Concurrent edits on both sides");
  const lisbon = cluster.get("lisbon");
  const osaka = cluster.get("osaka");
  const lima = cluster.get("lima");
  const titles = new Map<string, { value: string; acknowledged: boolean }>();
  await osaka.call({ op: "count", by: 2 });
  did("osaka", "likes +2");
  await lima.call({ op: "count", by: -1 });
  did("lima", "likes -1");
  await osaka.call({ op: "add", element: "sync" });
  did("osaka", "tags add sync (it already holds sync, and adds it again)");
  await lima.call({ op: "add", element: "demo" });
  did("lima", "tags add demo");
  const fromOsaka = await osaka.call({
    op: "title",
    value: "Convergent 1.0-rc1",
    level: "quorum",
    timeoutMs: 2_000,
  });
  titles.set("osaka", { value: "Convergent 1.0-rc1", acknowledged: fromOsaka.ok });
  did("osaka", `title := ${quote("Convergent 1.0-rc1")} at quorum${outcome(fromOsaka)}`);
  await osaka.call({ op: "status", value: "changes requested" });
  did("osaka", `status := ${quote("changes requested")}`);

  await lisbon.call({ op: "count", by: 4 });
  did("lisbon", "likes +4");
  await lisbon.call({ op: "remove", element: "sync" });
  await lisbon.call({ op: "remove", element: "draft" });
  did("lisbon", "tags remove sync, draft");
  const fromLisbon = await lisbon.call({
    op: "title",
    value: "Convergent 1.0",
    level: "quorum",
    timeoutMs: 500,
  });
  titles.set("lisbon", { value: "Convergent 1.0", acknowledged: fromLisbon.ok });
  did("lisbon", `title := ${quote("Convergent 1.0")} at quorum${outcome(fromLisbon)}`);
  await lisbon.call({ op: "status", value: "approved" });
  did("lisbon", `status := ${quote("approved")}`);

  // Let the majority side finish replicating between themselves before showing the split.
  const { value: states } = await waitFor("osaka and lima to agree", async () => {
    const all = await statesOf(cluster);
    const [, o, l] = all;
    return o !== undefined && l !== undefined && documentOf(o) === documentOf(l) ? all : undefined;
  });
  say(`  ${yellow("≠")} osaka and lima agree with each other; lisbon has its own version:`);
  stateTable(cluster, states);
  return { titles };
}

function outcome(result: WriteOutcome): string {
  if (result.ok) return green(` → acknowledged by a majority in ${ms(result.ms)}`);
  return yellow(
    `\n${" ".repeat(10)}→ ${result.code} after ${ms(result.ms)}: only ${result.confirmed.join(", ")}` +
      ` confirmed; ${result.appliedLocally ? "kept locally, replicates on heal" : "not applied"}`,
  );
}

export async function healed(cluster: Cluster, writes: PartitionWrites): Promise<void> {
  heading("4. Heal");
  cluster.heal();
  const started = performance.now();
  await peersSettled(cluster, (w) => cluster.workers.filter((o) => o !== w).map((o) => o.name));
  const reconnected = performance.now() - started;
  const document = await waitFor("the documents to converge", async () => {
    const all = await statesOf(cluster);
    return all.every((x) => documentOf(x) === documentOf(all[0] as DocState)) ? all : undefined;
  });
  const total = performance.now() - started;
  say(`  links restored; reconnected in ${ms(reconnected)}, converged ${ms(total)} after the heal`);
  stateTable(cluster, document.value);
  // Stop the heartbeats so the keyspace contexts can settle and be compared too.
  await Promise.all(cluster.workers.map((w) => w.call({ op: "heartbeat", everyMs: undefined })));
  const { value: states } = await converged(cluster);
  const state = states[0];
  if (state === undefined) return;
  const context = state.context.map(([r, n]) => `${r}:${n}`).join(" ");
  say(`  ${green("✓")} converged: identical values and keyspace context {${context}} on all three`);

  heading("5. What each type did with the conflicts");
  say(
    `  ${bold("PN-Counter")}  likes = ${state.likes}: 18 before, +4 on lisbon's side, +2 -1 on the other`,
  );
  const tags = new Set(state.tags);
  say(`  ${bold("OR-Set")}      tags = ${setOf(state.tags)}`);
  say(
    tags.has("sync")
      ? `              add wins: "sync" stays, osaka re-added it concurrently with lisbon's remove`
      : `              "sync" is gone: lisbon's remove covered every add of it`,
  );
  say(
    tags.has("draft")
      ? `              "draft" survived lisbon's remove`
      : `              "draft" is gone: removed, and nobody re-added it`,
  );
  const title = state.title;
  if (title !== undefined) {
    const discarded = [...writes.titles].filter(([, write]) => write.value !== title.value);
    say(
      `  ${bold("LWW")}         title = ${quote(title.value)}: ${title.by}'s write has the later HLC` +
        ` (${clockTime(title.wallTime, title.logical)})`,
    );
    for (const [by, write] of discarded) {
      say(
        `              ${by}'s ${quote(write.value)} was discarded` +
          (write.acknowledged ? ", although a majority had acknowledged it" : ""),
      );
    }
  }
  say(
    `  ${bold("MV")}          status = ${listOf(state.status)}: ${
      state.status.length > 1
        ? `${state.status.length} siblings, concurrent writes both kept`
        : "one value"
    }`,
  );
  const lima = cluster.get("lima");
  const choice = state.status.includes("approved") ? "approved" : (state.status[0] ?? "approved");
  await lima.call({ op: "resolve-status", value: choice });
  const { value: resolved, ms: took } = await converged(cluster);
  say(
    `              lima resolves them to ${quote(choice)}; every replica reads ${listOf(
      resolved[0]?.status ?? [],
    )} ${ms(took)} later`,
  );
}

export async function metricsTable(cluster: Cluster): Promise<void> {
  heading("6. Metrics per replica");
  const snapshots = await Promise.all(cluster.workers.map((w) => w.call({ op: "metrics" })));
  table(
    [
      "replica",
      "reads",
      "stale",
      "lag p50",
      "p99",
      "max",
      "siblings",
      "lww overwritten",
      "bytes in",
      "out",
    ],
    snapshots.map((s, i) => {
      const sum = (pick: (p: (typeof s.peers)[number]) => number) =>
        s.peers.reduce((total, p) => total + pick(p), 0);
      return [
        cluster.workers[i]?.name ?? "",
        String(s.reads.total),
        `${s.reads.stalenessPercent.toFixed(1)} %`,
        ms(s.replicationLag.recent.p50Ms),
        ms(s.replicationLag.recent.p99Ms),
        ms(s.replicationLag.recent.maxMs),
        String(s.conflicts.siblings),
        String(s.conflicts["lww-overwrite"]),
        bytes(sum((p) => p.bytesIn)),
        bytes(sum((p) => p.bytesOut)),
      ];
    }),
    [1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  say(
    dim(
      "  reads: the demo's own polling included; stale: reads at one while a peer had announced\n" +
        "    updates missing here (a partitioned replica cannot know what it misses)\n" +
        "  lag: HLC write time at the origin to apply time here, for LWW registers (the title and\n" +
        "    a 50 ms heartbeat per replica); max: lisbon's title, applied after the heal\n" +
        "  siblings: MV conflicts created here; lww overwritten: own LWW values replaced by another\n" +
        "    replica's; bytes: sync traffic with the two peers",
    ),
  );
}
