/**
 * Runs one schedule on a simulated cluster and checks it. Client operations are issued without
 * waiting for them (their promises settle while virtual time advances), faults apply at once,
 * and after the last step everything heals and anti-entropy runs until the replicas agree.
 * The run depends only on the schedule: one seeded network, virtual time, no wall clock.
 */
import {
  type CausalContext,
  cloneCausalContext,
  type Dot,
  emptyCausalContext,
  equalCausalContexts,
  maxCounter,
  type ReplicaId,
} from "@convergent/clocks";
import { type LwwRegisterState, set as setRegister } from "@convergent/lww-register";
import { type OrMapState, orMap, removeField, updateField } from "@convergent/or-map";
import { add, type OrSetElement, type OrSetState, remove } from "@convergent/or-set";
import { decrement, increment, type PnCounterState } from "@convergent/pn-counter";
import {
  type ConsistencyLevel,
  ConsistencyTimeoutError,
  type DeleteResult,
  type MutatorContext,
  replicasFor,
  SessionTimeoutError,
  type WriteResult,
} from "@convergent/replicated-store";
import { latency } from "@convergent/sync";
import { CausalTracker } from "./causal.js";
import { digest, finalChecks } from "./checks.js";
import { type Incarnation, type Sabotage, SimCluster, type Slot } from "./cluster.js";
import { History, type WriteRecord } from "./history.js";
import { embeddedAt, segment, typeOf } from "./nodes.js";
import { readValue } from "./read-value.js";
import {
  CAUSAL_KEYS,
  COUNTER,
  type FaultStep,
  type FieldRef,
  keyText,
  type Level,
  MAP,
  MV,
  type OpStep,
  REGISTER,
  type Schedule,
  SESSION_CLIENTS,
  SESSION_SET,
  SET,
  storeKey,
  TAGS,
} from "./schedule.js";
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
  readonly #sabotage: Sabotage;
  readonly #cluster: SimCluster;
  readonly #history = new History();
  readonly #causal = new CausalTracker();
  readonly #clients = Array.from({ length: SESSION_CLIENTS }, () => new ClientSession());

  constructor(schedule: Schedule, sabotage: Sabotage) {
    this.#schedule = schedule;
    this.#sabotage = sabotage;
    this.#cluster = new SimCluster(
      schedule.seed,
      schedule.replicas,
      OP_TIMEOUT_MS,
      sabotage,
      schedule.maxEntriesPerFrame,
    );
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
    // A little longer, so late acknowledgements and timeouts settle too (every operation was
    // issued at least 250 ms ago, and times out OP_TIMEOUT_MS after it was issued).
    await cluster.advance(OP_TIMEOUT_MS + 250);
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
        const key = storeKey(step.key, COUNTER);
        this.#write(index, step, incarnation, { key, amount: step.amount }, issue);
        return;
      }
      case "set-add":
      case "set-remove": {
        const set = replica.set(step.key);
        const issue = () =>
          step.kind === "set-add"
            ? set.add(step.element, { level })
            : set.remove(step.element, { level });
        const key = storeKey(step.key, SET);
        const observe = step.kind === "set-remove";
        this.#write(index, step, incarnation, { key, element: step.element, observe }, issue);
        return;
      }
      case "register": {
        const value = `v${index}`;
        const key = storeKey(step.key, REGISTER);
        this.#write(index, step, incarnation, { key, element: value, lww: true }, () =>
          replica.register(step.key).set(value, { level }),
        );
        return;
      }
      case "mv-write": {
        const value = `m${index}`;
        const key = storeKey(step.key, MV);
        this.#write(index, step, incarnation, { key, element: value, observe: true }, () =>
          replica.mvRegister(step.key).write(value, { level }),
        );
        return;
      }
      case "causal-add": {
        const element = `x${index}`;
        this.#causal.added(element, this.#causal.view(replica));
        const key = storeKey(step.key, SET);
        this.#write(index, step, incarnation, { key, element }, () =>
          replica.set(step.key).add(element, { level }),
        );
        return;
      }
      case "read":
        this.#read(step, incarnation);
        return;
      case "delete":
        this.#delete(step, index, incarnation);
        return;
      case "map-update":
      case "map-remove":
        this.#mapOperation(step, index, incarnation);
        return;
      default:
        this.#sessionOperation(step, index, incarnation);
    }
  }

  /** A delete of every type under the name, or of one: one record per key it wrote to. */
  #delete(step: OpStep & { kind: "delete" }, index: number, incarnation: Incarnation): void {
    const replica = incarnation.replica;
    const level = step.level as ConsistencyLevel;
    this.stats.deletes++;
    const keys = (step.tag === undefined ? TAGS : [step.tag]).map((t) => storeKey(step.key, t));
    const own = (key: string) =>
      replica.keyspace.dotsOf(key).find((d) => d.replica === replica.id)?.counter ?? 0;
    const before = maxCounter(replica.keyspace.context, replica.id);
    const prior = keys.map(own);
    // A blind delete is recorded as observing nothing (harness self-test: checks 5 must object).
    const observed = this.#sabotage.blindDeletes
      ? emptyCausalContext()
      : cloneCausalContext(replica.keyspace.context);
    const promise = replica.delete(
      step.key,
      step.tag === undefined ? { level } : { level, type: typeOf(step.tag) },
    );
    const records: WriteRecord[] = [];
    keys.forEach((key, i) => {
      const counter = own(key);
      if (counter <= before || counter <= (prior[i] ?? 0)) return;
      const dot = { replica: replica.id, counter };
      records.push(this.#record(index, "delete", key, [], true, incarnation, step, dot, observed));
    });
    this.stats.deleteWrites += records.length;
    const last = records.at(-1)?.dot;
    this.#settle(records, index, promise, (result) => {
      const got = (result as DeleteResult).dot;
      return got?.counter === last?.counter && got?.replica === last?.replica;
    });
  }

  /** An OR-Map field update (nested maps through their field) or a field remove. */
  #mapOperation(
    step: OpStep & { kind: "map-update" | "map-remove" },
    index: number,
    incarnation: Incarnation,
  ): void {
    const replica = incarnation.replica;
    const level = step.level as ConsistencyLevel;
    const handle = replica.orMap(step.key);
    const key = storeKey(step.key, MAP);
    const path = step.path.map(segment);
    const [head, ...rest] = step.path as [FieldRef, ...FieldRef[]];
    this.stats.mapOperations++;
    if (step.kind === "map-remove") {
      const issue =
        rest.length === 0
          ? () => handle.removeField(head.name, typeOf(head.tag), { level })
          : () =>
              handle.update(
                head.name,
                orMap,
                (sub, context) =>
                  descend(sub as OrMapState, context.replica, rest, (s, field) =>
                    removeField(s, field.name, field.tag),
                  ),
                { level },
              );
      this.#write(index, step, incarnation, { key, path, remove: true, observe: true }, issue);
      return;
    }
    const effect = step.effect;
    const element =
      effect.kind === "register" ? `w${index}` : "element" in effect ? effect.element : "";
    const amount = effect.kind === "counter" ? effect.amount : 0;
    const leaf = (state: unknown, context: MutatorContext): unknown => {
      const self = context.replica;
      switch (effect.kind) {
        case "counter":
          return amount >= 0
            ? increment(state as PnCounterState, self, amount)
            : decrement(state as PnCounterState, self, -amount);
        case "set-add":
          return add(state as OrSetState<OrSetElement>, self, element);
        case "set-remove":
          return remove(state as OrSetState<OrSetElement>, self, element);
        case "register":
          return setRegister(state as LwwRegisterState, context.clock, element);
      }
    };
    const last = step.path.at(-1) as FieldRef;
    const issue = () =>
      handle.update(
        head.name,
        typeOf(head.tag),
        (current, context) =>
          rest.length === 0
            ? leaf(current, context)
            : descend(current as OrMapState, context.replica, rest, (s, field) =>
                updateField(s, context.replica, field.name, typeOf(field.tag), (c) =>
                  leaf(c, context),
                ),
              ),
        { level },
      );
    this.#write(
      index,
      { kind: effect.kind, level: step.level },
      incarnation,
      {
        key,
        path,
        amount,
        element,
        observe: effect.kind === "set-remove",
        lww: last.tag === REGISTER,
      },
      issue,
    );
  }

  #write(
    index: number,
    step: { kind: string; level: Level },
    incarnation: Incarnation,
    extra: {
      key: string;
      path?: readonly string[];
      remove?: boolean;
      amount?: number;
      element?: string;
      observe?: boolean;
      lww?: boolean;
    },
    issue: () => Promise<WriteResult>,
    onSettled?: (record: WriteRecord) => void,
  ): WriteRecord {
    const replica = incarnation.replica;
    const before = maxCounter(replica.keyspace.context, replica.id);
    const observed = extra.observe ? cloneCausalContext(replica.keyspace.context) : undefined;
    const promise = issue();
    const after = maxCounter(replica.keyspace.context, replica.id);
    const dot = after > before ? { replica: replica.id, counter: after } : undefined;
    const path = extra.path ?? [];
    const record = this.#record(
      index,
      step.kind,
      extra.key,
      path,
      extra.remove === true,
      incarnation,
      step,
      dot,
      observed,
      extra,
    );
    if (dot !== undefined && extra.lww) {
      const state = embeddedAt(replica, extra.key, path)?.state as LwwRegisterState | undefined;
      record.entry = state?.entry as WriteRecord["entry"];
    }
    this.#settle(
      [record],
      index,
      promise,
      (result) => {
        const got = (result as WriteResult).dot;
        return dot !== undefined && got.counter === dot.counter && got.replica === dot.replica;
      },
      onSettled,
    );
    return record;
  }

  #record(
    index: number,
    kind: string,
    key: string,
    path: readonly string[],
    isRemove: boolean,
    incarnation: Incarnation,
    step: { level: Level },
    dot: Dot | undefined,
    observed: CausalContext | undefined,
    extra: { amount?: number; element?: string } = {},
  ): WriteRecord {
    const record: WriteRecord = {
      step: index,
      kind,
      key,
      path,
      remove: isRemove,
      replica: incarnation.replica.id,
      incarnation: incarnation.serial,
      required: replicasFor(step.level as ConsistencyLevel, this.#cluster.slots.length),
      dot,
      observed,
      amount: extra.amount ?? 0,
      element: extra.element ?? "",
      entry: undefined,
      outcome: "pending",
      settledAt: 0,
      error: undefined,
    };
    this.#history.writes.push(record);
    return record;
  }

  /** Records how the write (or the keys of one delete) ended. */
  #settle(
    records: readonly WriteRecord[],
    index: number,
    promise: Promise<WriteResult | DeleteResult>,
    resolvedAsExpected: (result: WriteResult | DeleteResult) => boolean,
    onSettled?: (record: WriteRecord) => void,
  ): void {
    const applied = records.some((r) => r.dot !== undefined);
    promise.then(
      (result) => {
        const at = ++this.#history.events;
        for (const record of records) {
          record.outcome = "ok";
          record.settledAt = at;
          onSettled?.(record);
        }
        if (!resolvedAsExpected(result)) {
          this.violation(
            "harness",
            `step ${index}: write resolved with dot ${JSON.stringify(result.dot)}, expected ${JSON.stringify(records.at(-1)?.dot)}`,
          );
        }
      },
      (error: unknown) => {
        const at = ++this.#history.events;
        if (error instanceof ConsistencyTimeoutError) {
          this.stats.writeTimeouts++;
          if (!applied) this.violation("harness", `step ${index}: timed out, not applied`);
          for (const record of records) {
            record.outcome = "timeout";
            record.settledAt = at;
            onSettled?.(record);
          }
          return;
        }
        const name = error instanceof Error ? error.name : String(error);
        this.stats.rejected[name] = (this.stats.rejected[name] ?? 0) + 1;
        if (applied) {
          this.violation(
            "2-acknowledged-write-lost",
            `step ${index}: ${name} after the write was applied`,
          );
        }
        for (const record of records) {
          record.outcome = "rejected";
          record.error = name;
          record.settledAt = at;
          onSettled?.(record);
        }
      },
    );
  }

  #read(step: OpStep & { kind: "read" }, incarnation: Incarnation): void {
    const level = step.level as ConsistencyLevel;
    const required = replicasFor(level, this.#cluster.slots.length);
    const issuedAt = this.#history.events;
    const key = storeKey(step.key, step.tag);
    this.stats.reads++;
    readValue(incarnation.replica, step.key, step.tag, { level }).then(
      (result) => {
        this.#checkQuorumRead(key, required, issuedAt, result.version, incarnation.id);
        if (
          result.elements !== undefined &&
          (CAUSAL_KEYS as readonly string[]).includes(step.key)
        ) {
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
      if (required + w.required <= n) continue;
      const seen = version.find((d) => d.replica === w.replica)?.counter ?? 0;
      if (seen < w.dot.counter) {
        this.violation(
          "2-quorum-read-missed-write",
          `read of ${keyText(key)} at R=${required} on ${reader} missed the ${w.kind} at step ${w.step} ` +
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
    const tag = step.key === SESSION_SET ? SET : COUNTER;
    const key = storeKey(step.key, tag);
    if (step.kind === "session-read") {
      readValue(incarnation.replica, step.key, tag, { level, session }).then(
        (result) => {
          if (!client.end(ticket)) return;
          const problem = client.checkRead(key, result);
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
    const extra = step.kind === "session-add" ? { key, element } : { key, amount };
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

/** Applies `at` to the map `path` leads to, through nested map fields (each updated). */
function descend(
  state: OrMapState,
  replica: ReplicaId,
  path: readonly FieldRef[],
  at: (state: OrMapState, field: FieldRef) => OrMapState,
): OrMapState {
  const [field, ...rest] = path as [FieldRef, ...FieldRef[]];
  if (rest.length === 0) return at(state, field);
  return updateField(state, replica, field.name, orMap, (sub) => descend(sub, replica, rest, at));
}
