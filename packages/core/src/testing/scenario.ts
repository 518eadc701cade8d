import { type ReplicaId, replicaId } from "@convergent/clocks";
import fc from "fast-check";
import type { CrdtType } from "../crdt.js";

/** What a type supplies to the law kit: how to produce random user operations and apply them. */
export interface LawSpec<S, V, Op, C = ReplicaId> {
  readonly type: CrdtType<S, V>;
  /** A random operation a user could perform (only valid ones). */
  readonly operation: fc.Arbitrary<Op>;
  /** Per-replica context made fresh for every run (a clock, for example); default: the id. */
  readonly context?: (replica: ReplicaId) => C;
  /** Calls the type's mutator on `state` and returns the delta. Must not mutate `state`. */
  readonly mutate: (state: S, context: C, op: Op) => S;
  /** The sequential data type a single replica must behave like. */
  readonly sequential?: SequentialSpec<V, Op>;
  /** Replica ids used in runs; three by default. */
  readonly replicas?: readonly string[];
  /** Runs per property; 300 by default. */
  readonly numRuns?: number;
}

/** A model of the data type without replication: `check` compares the CRDT's value with it. */
export interface SequentialSpec<V, Op, M = unknown> {
  initial(): M;
  step(model: M, op: Op): M;
  check(value: V, model: M): boolean;
}

/** One step of a random run: a replica mutates, or a produced delta is delivered somewhere. */
export type Step<Op> =
  | { readonly kind: "mutate"; readonly at: number; readonly op: Op }
  | { readonly kind: "deliver"; readonly to: number; readonly message: number }
  | { readonly kind: "sync"; readonly from: number; readonly to: number }
  /** The replica applies `type.reset` to what it has observed (types with a reset only). */
  | { readonly kind: "reset"; readonly at: number };

export interface Delta<S> {
  readonly origin: number;
  readonly delta: S;
}

export interface MutationRecord<S> {
  readonly at: number;
  readonly before: S;
  readonly delta: S;
  readonly after: S;
}

export interface RunResult<S> {
  readonly states: S[];
  readonly deltas: Delta<S>[];
  readonly mutations: MutationRecord<S>[];
  /** delivered[r] holds the indices of deltas replica r has received (its own included). */
  readonly delivered: Set<number>[];
}

export function replicaIds(spec: { replicas?: readonly string[] }): ReplicaId[] {
  return (spec.replicas ?? ["alice", "bob", "carol"]).map(replicaId);
}

export function stepArbitrary<Op>(
  operation: fc.Arbitrary<Op>,
  replicas: number,
  options: { readonly resets?: boolean } = {},
): fc.Arbitrary<Step<Op>> {
  const index = fc.nat({ max: replicas - 1 });
  const reset = fc.record({ kind: fc.constant("reset" as const), at: index });
  return fc.oneof(
    ...(options.resets === true ? [{ weight: 1, arbitrary: reset as fc.Arbitrary<Step<Op>> }] : []),
    {
      weight: 5,
      arbitrary: fc.record({ kind: fc.constant("mutate" as const), at: index, op: operation }),
    },
    {
      weight: 4,
      arbitrary: fc.record({ kind: fc.constant("deliver" as const), to: index, message: fc.nat() }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant("sync" as const), from: index, to: index }),
    },
  );
}

/**
 * Executes a run: replicas mutate, deltas are delivered to arbitrary replicas in any order,
 * possibly twice or never, and occasionally a whole state is shipped (state-based sync).
 * States are treated as immutable: every step makes new states with `join`.
 */
export function executeRun<S, V, Op, C>(
  spec: LawSpec<S, V, Op, C>,
  steps: readonly Step<Op>[],
): RunResult<S> {
  const { type } = spec;
  const ids = replicaIds(spec);
  const contexts = ids.map((id) => (spec.context ? spec.context(id) : (id as unknown as C)));
  const states = ids.map(() => type.empty());
  const deltas: Delta<S>[] = [];
  const mutations: MutationRecord<S>[] = [];
  const delivered = ids.map(() => new Set<number>());
  for (const step of steps) {
    if (step.kind === "mutate" || step.kind === "reset") {
      const before = states[step.at] as S;
      const delta =
        step.kind === "mutate"
          ? spec.mutate(before, contexts[step.at] as C, step.op)
          : resetOf(type, before);
      const after = type.join(before, delta);
      states[step.at] = after;
      delivered[step.at]?.add(deltas.length);
      deltas.push({ origin: step.at, delta });
      mutations.push({ at: step.at, before, delta, after });
    } else if (step.kind === "deliver") {
      if (deltas.length === 0) continue;
      const message = step.message % deltas.length;
      states[step.to] = type.join(states[step.to] as S, (deltas[message] as Delta<S>).delta);
      delivered[step.to]?.add(message);
    } else {
      states[step.to] = type.join(states[step.to] as S, states[step.from] as S);
    }
  }
  return { states, deltas, mutations, delivered };
}

function resetOf<S, V>(type: CrdtType<S, V>, state: S): S {
  if (type.reset === undefined) throw new Error(`type ${type.name} has no reset`);
  return type.reset(state);
}
