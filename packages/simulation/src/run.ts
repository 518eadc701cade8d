/**
 * Runs one schedule on a simulated cluster and checks it. Client operations are issued without
 * waiting for them (their promises settle while virtual time advances), faults apply at once,
 * and after the last step everything heals and anti-entropy runs until the replicas agree.
 * The run depends only on the schedule: one seeded network, virtual time, no wall clock.
 */
import {
  cloneCausalContext,
  equalCausalContexts,
  maxCounter,
  type ReplicaId,
} from "@convergent/clocks";
import { orSet } from "@convergent/or-set";
import {
  type ConsistencyLevel,
  ConsistencyTimeoutError,
  replicasFor,
  SessionTimeoutError,
  type WriteResult,
} from "@convergent/replicated-store";
import { latency } from "@convergent/sync";
import { CausalTracker } from "./causal.js";
import { digest, finalChecks } from "./checks.js";
import { type Incarnation, type Sabotage, SimCluster, type Slot } from "./cluster.js";
import { History, type WriteRecord } from "./history.js";
import { readValue } from "./read-value.js";
import { type FaultStep, type OpStep, type Schedule, SESSION_CLIENTS } from "./schedule.js";
import { ClientSession } from "./sessions.js";
import { emptyStats, type RunStats } from "./stats.js";
import type { Violation } from "./violations.js";

export interface RunResult {
  readonly seed: number;
  readonly replicas: number;
  readonly steps: number;
  readonly violations: readonly Violation[];
  readonly stats: RunStats;
  /** A hash of the final canonical state, to show that a run is a function of its seed. */
  readonly digest: string;
}

/** Timeout of operations above `one` and of session waits, in virtual ms. */
const OP_TIMEOUT_MS = 1000;
/** After healing: anti-entropy gets this long (virtual) to make every replica agree. */
const HEAL_LIMIT_MS = 120_000;

export async function runSchedule(schedule: Schedule, sabotage: Sabotage = {}): Promise<RunResult> {
  const run = new Run(schedule, sabotage);
  try {
    await run.execute();
  } catch (error) {
    run.violation(
      "harness",
      `the run threw: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
  }
  return {
    seed: schedule.seed,
    replicas: schedule.replicas,
    steps: schedule.steps.length,
    violations: run.violations,
    stats: run.stats,
    digest: run.digest,
  };
}

class Run {
  readonly violations: Violation[] = [];
  digest = "";
  readonly stats: RunStats = emptyStats();
  readonly #schedule: Schedule;
  readonly #cluster: SimCluster;
  readonly #history = new History();
  readonly #causal = new CausalTracker();
  readonly #clients = Array.from({ length: SESSION_CLIENTS }, () => new ClientSession());

  constructor(schedule: Schedule, sabotage: Sabotage) {
    this.#schedule = schedule;
    this.#cluster = new SimCluster(schedule.seed, schedule.replicas, OP_TIMEOUT_MS, sabotage);
  }

  violation(check: Violation["check"], message: string): void {
    if (this.violations.length < 20) this.violations.push({ check, message });
  }

  async execute(): Promise<void> {
    const cluster = this.#cluster;
    for (const slot of cluster.slots) await cluster.open(slot);
    await cluster.advance(20);
    const steps = this.#schedule.steps;
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i] as OpStep | FaultStep;
      if (step.kind === "advance") await cluster.advance(step.ms);
      else if (isFault(step)) await this.#fault(step);
      else this.#operation(step, i);
      await cluster.advance(0);
      this.#probe(i);
    }
    await this.#healAndSettle();
    const live = cluster.live();
    this.digest = live[0] === undefined ? "" : digest(live[0]);
    for (const v of finalChecks(live, this.#history, this.#causal, cluster.slots.length)) {
      this.violation(v.check, v.message);
    }
    const counters = cluster.network.counters();
    this.stats.framesSent = counters.framesSent;
    this.stats.framesLost = counters.framesLost;
    this.stats.framesDuplicated = counters.framesDuplicated;
    this.stats.framesDropped = counters.framesDropped;
    this.stats.virtualMs = cluster.network.now();
    for (const w of this.#history.writes) this.stats.outcomes[w.outcome]++;
    for (const incarnation of live) await incarnation.replica.close();
  }

  async #healAndSettle(): Promise<void> {
    const cluster = this.#cluster;
    cluster.network.heal();
    cluster.network.setDefaultLink({
      lossProbability: 0,
      duplicateProbability: 0,
      latency: latency.uniform(1, 20),
    });
    for (const slot of cluster.slots) if (slot.live === undefined) await cluster.open(slot);
    const deadline = cluster.network.now() + HEAL_LIMIT_MS;
    while (cluster.network.now() < deadline) {
      await cluster.advance(250);
      if (this.#quiescent()) break;
    }
    // A little longer, so late acknowledgements and timeouts settle too.
    await cluster.advance(2 * OP_TIMEOUT_MS);
    if (!this.#quiescent()) {
      this.violation("liveness", `no agreement ${HEAL_LIMIT_MS} ms (virtual) after healing`);
    }
    const live = new Set(cluster.live().map((i) => i.serial));
    for (const w of this.#history.writes) {
      if (w.outcome === "pending" && live.has(w.incarnation)) {
        this.violation("liveness", `write at step ${w.step} on live ${w.replica} never settled`);
      }
    }
  }

  /** Every live replica holds the same keyspace context. */
  #quiescent(): boolean {
    const live = this.#cluster.live();
    const first = live[0]?.replica.keyspace.context;
    if (first === undefined) return true;
    return live.every((i) => equalCausalContexts(i.replica.keyspace.context, first));
  }

  #probe(step: number): void {
    const live = this.#cluster.live();
    const incarnation = live[step % Math.max(1, live.length)];
    if (incarnation === undefined) return;
    const problem = this.#causal.check(this.#causal.view(incarnation.replica));
    if (problem !== undefined) {
      this.violation("4-causality", `step ${step}, replica ${incarnation.id}: ${problem}`);
    }
  }

  async #fault(step: FaultStep): Promise<void> {
    const cluster = this.#cluster;
    const stats = this.stats.faults;
    switch (step.kind) {
      case "partition": {
        const groups = step.groups.map((g) => g.flatMap((i) => slotId(cluster.slots[i])));
        cluster.network.partition(groups.filter((g) => g.length > 0));
        stats.partitions++;
        return;
      }
      case "heal":
        cluster.network.heal();
        stats.heals++;
        return;
      case "link":
        cluster.network.setDefaultLink({
          lossProbability: step.loss,
          duplicateProbability: step.duplicate,
          latency: latency.uniform(1, step.maxLatency),
          ordered: step.ordered,
        });
        stats.linkChanges++;
        return;
      case "crash": {
        const slot = cluster.slots[step.slot % cluster.slots.length] as Slot;
        if (slot.live === undefined) return;
        if (step.midCommit) {
          // An increment whose commit the crash interrupts: it must vanish everywhere.
          this.#operation(
            { kind: "counter", slot: slot.index, key: "c0", amount: 1, level: "one" },
            -1,
          );
          stats.midCommitCrashes++;
        }
        await this.#crash(slot);
        stats.crashes++;
        return;
      }
      case "restart": {
        const slot = cluster.slots[step.slot % cluster.slots.length] as Slot;
        if (slot.live !== undefined) return;
        await cluster.open(slot);
        stats.restarts++;
        return;
      }
      case "wipe": {
        const slot = cluster.slots[step.slot % cluster.slots.length] as Slot;
        await this.#crash(slot);
        this.#history.wiped.add(slot.id);
        cluster.wipe(slot);
        await cluster.open(slot);
        stats.wipes++;
        return;
      }
      case "clock": {
        const slot = cluster.slots[step.slot % cluster.slots.length] as Slot;
        if (step.offsetMs < slot.offsetMs) stats.clockJumpsBack++;
        if (Math.abs(step.offsetMs) > 60_000) stats.clockBeyondDrift++;
        slot.offsetMs = step.offsetMs;
        stats.clockChanges++;
        return;
      }
    }
  }

  async #crash(slot: Slot): Promise<void> {
    const dead = await this.#cluster.crash(slot);
    if (dead === undefined) return;
    // The clients on it lose their connection and give up on what they were waiting for.
    for (const client of this.#clients) client.abandon(dead.serial);
  }

  #operation(step: OpStep, index: number): void {
    const slot = this.#cluster.slots[step.slot % this.#cluster.slots.length] as Slot;
    const incarnation = slot.live;
    if (incarnation === undefined) {
      this.stats.skipped++;
      return;
    }
    const replica = incarnation.replica;
    const level = step.level as ConsistencyLevel;
    this.stats.operations++;
    switch (step.kind) {
      case "counter": {
        const counter = replica.counter(step.key);
        const issue = () =>
          step.amount >= 0
            ? counter.increment(step.amount, { level })
            : counter.decrement(-step.amount, { level });
        this.#write(index, step, incarnation, { amount: step.amount }, issue);
        return;
      }
      case "set-add":
      case "set-remove": {
        const set = replica.set(step.key);
        const issue = () =>
          step.kind === "set-add"
            ? set.add(step.element, { level })
            : set.remove(step.element, { level });
        const noop =
          step.kind === "set-remove" &&
          !(replica.keyspace.has(step.key) && readSet(replica, step.key).has(step.element));
        this.#write(
          index,
          step,
          incarnation,
          { element: step.element, observe: true, noop },
          issue,
        );
        return;
      }
      case "register": {
        const value = `v${index}`;
        this.#write(index, step, incarnation, { element: value, lww: true }, () =>
          replica.register(step.key).set(value, { level }),
        );
        return;
      }
      case "mv-write": {
        const value = `m${index}`;
        this.#write(index, step, incarnation, { element: value, observe: true }, () =>
          replica.mvRegister(step.key).write(value, { level }),
        );
        return;
      }
      case "causal-add": {
        const element = `x${index}`;
        this.#causal.added(element, this.#causal.view(replica));
        this.#write(index, step, incarnation, { element }, () =>
          replica.set(step.key).add(element, { level }),
        );
        return;
      }
      case "read":
        this.#read(step, incarnation);
        return;
      default:
        this.#sessionOperation(step, index, incarnation);
    }
  }

  #write(
    index: number,
    step: OpStep,
    incarnation: Incarnation,
    extra: { amount?: number; element?: string; observe?: boolean; lww?: boolean; noop?: boolean },
    issue: () => Promise<WriteResult>,
    onSettled?: (record: WriteRecord) => void,
  ): WriteRecord {
    const replica = incarnation.replica;
    const before = maxCounter(replica.keyspace.context, replica.id);
    const observed = extra.observe ? cloneCausalContext(replica.keyspace.context) : undefined;
    const promise = issue();
    const after = maxCounter(replica.keyspace.context, replica.id);
    const dot = after > before ? { replica: replica.id, counter: after } : undefined;
    const state =
      dot !== undefined && extra.lww ? replica.keyspace.get(step.key)?.state : undefined;
    const record: WriteRecord = {
      step: index,
      kind: step.kind,
      key: step.key,
      replica: replica.id,
      incarnation: incarnation.serial,
      required: replicasFor(step.level as ConsistencyLevel, this.#cluster.slots.length),
      dot,
      observed,
      amount: extra.amount ?? 0,
      element: extra.element ?? "",
      changed: extra.noop !== true,
      entry: (state as { entry?: WriteRecord["entry"] } | undefined)?.entry,
      outcome: "pending",
      settledAt: 0,
      error: undefined,
    };
    this.#history.writes.push(record);
    promise.then(
      (result) => {
        record.outcome = "ok";
        record.settledAt = ++this.#history.events;
        if (
          dot === undefined ||
          result.dot.counter !== dot.counter ||
          result.dot.replica !== dot.replica
        ) {
          this.violation(
            "harness",
            `step ${index}: write resolved with dot ${JSON.stringify(result.dot)}, expected ${JSON.stringify(dot)}`,
          );
        }
        onSettled?.(record);
      },
      (error: unknown) => {
        record.settledAt = ++this.#history.events;
        if (error instanceof ConsistencyTimeoutError) {
          record.outcome = "timeout";
          this.stats.writeTimeouts++;
          if (dot === undefined) this.violation("harness", `step ${index}: timed out, not applied`);
        } else {
          record.outcome = "rejected";
          record.error = error instanceof Error ? error.name : String(error);
          this.stats.rejected[record.error] = (this.stats.rejected[record.error] ?? 0) + 1;
          if (dot !== undefined) {
            this.violation(
              "2-acknowledged-write-lost",
              `step ${index}: ${record.error} after the write was applied`,
            );
          }
        }
        onSettled?.(record);
      },
    );
    return record;
  }

  #read(step: OpStep, incarnation: Incarnation): void {
    const level = step.level as ConsistencyLevel;
    const required = replicasFor(level, this.#cluster.slots.length);
    const issuedAt = this.#history.events;
    this.stats.reads++;
    readValue(incarnation.replica, step.key, { level }).then(
      (result) => {
        this.#checkQuorumRead(step.key, required, issuedAt, result.version, incarnation.id);
        if (result.elements !== undefined && step.key.startsWith("k")) {
          const view = this.#causal.view(incarnation.replica);
          for (const e of result.elements) view.add(e);
          const problem = this.#causal.check(view);
          if (problem !== undefined)
            this.violation("4-causality", `read of ${step.key} on ${incarnation.id}: ${problem}`);
        }
      },
      (error: unknown) => {
        if (error instanceof ConsistencyTimeoutError) this.stats.readTimeouts++;
        else this.violation("harness", `read of ${step.key} failed: ${String(error)}`);
      },
    );
  }

  /** R + W > N (counting replaced replicas): a read after an acknowledged write sees it. */
  #checkQuorumRead(
    key: string,
    required: number,
    issuedAt: number,
    version: readonly { replica: ReplicaId; counter: number }[],
    reader: ReplicaId,
  ): void {
    const n = this.#cluster.slots.length + this.#history.wiped.size;
    for (const w of this.#history.writes) {
      if (w.key !== key || w.outcome !== "ok" || w.settledAt > issuedAt || w.dot === undefined)
        continue;
      if (!w.changed || required + w.required <= n) continue;
      const seen = version.find((d) => d.replica === w.replica)?.counter ?? 0;
      if (seen < w.dot.counter) {
        this.violation(
          "2-quorum-read-missed-write",
          `read of ${key} at R=${required} on ${reader} missed the write at step ${w.step} ` +
            `(W=${w.required}, N=${n}, dot ${w.dot.replica}:${w.dot.counter}, read version ${versionText(version)})`,
        );
      }
    }
  }

  #sessionOperation(
    step: OpStep & { client: number },
    index: number,
    incarnation: Incarnation,
  ): void {
    const client = this.#clients[step.client % this.#clients.length] as ClientSession;
    if (client.busy) {
      this.stats.skipped++;
      return;
    }
    const level = step.level as ConsistencyLevel;
    const session = client.session;
    const ticket = client.begin(incarnation.serial);
    this.stats.sessionOps++;
    if (step.kind === "session-read") {
      readValue(incarnation.replica, step.key, { level, session }).then(
        (result) => {
          if (!client.end(ticket)) return;
          const problem = client.checkRead(step.key, result);
          if (problem !== undefined) {
            this.violation(
              "3-session",
              `step ${index}, client ${step.client} on ${incarnation.id}: ${problem}`,
            );
          }
        },
        (error: unknown) => {
          if (!client.end(ticket)) return;
          if (error instanceof SessionTimeoutError) this.stats.sessionTimeouts++;
          else if (error instanceof ConsistencyTimeoutError) this.stats.readTimeouts++;
          else this.violation("harness", `session read failed: ${String(error)}`);
        },
      );
      return;
    }
    const replica = incarnation.replica;
    const element = `y${index}`;
    const amount = 1 + (index % 3);
    const issue =
      step.kind === "session-add"
        ? () => replica.set(step.key).add(element, { level, session })
        : () => replica.counter(step.key).increment(amount, { level, session });
    const extra = step.kind === "session-add" ? { element } : { amount };
    this.#write(index, step, incarnation, extra, issue, (record) => {
      if (!client.end(ticket)) return;
      if (record.outcome === "ok" || record.outcome === "timeout") client.wrote(record);
    });
  }
}

function isFault(step: OpStep | FaultStep): step is FaultStep {
  return (
    step.kind === "partition" ||
    step.kind === "heal" ||
    step.kind === "link" ||
    step.kind === "crash" ||
    step.kind === "restart" ||
    step.kind === "wipe" ||
    step.kind === "clock"
  );
}

function slotId(slot: Slot | undefined): ReplicaId[] {
  return slot === undefined ? [] : [slot.id];
}

function versionText(version: readonly { replica: ReplicaId; counter: number }[]): string {
  return `[${version.map((d) => `${d.replica}:${d.counter}`).join(" ")}]`;
}

function readSet(replica: Incarnation["replica"], key: string): ReadonlySet<unknown> {
  return replica.keyspace.value(key, orSet) ?? new Set();
}
