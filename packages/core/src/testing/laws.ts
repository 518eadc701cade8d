import type { ReplicaId } from "@convergent/clocks";
import fc from "fast-check";
import {
  type Delta,
  executeRun,
  type LawSpec,
  replicaIds,
  type Step,
  stepArbitrary,
} from "./scenario.js";
import { fromWireImage, toWireImage } from "./wire-harness.js";

/** A named law, ready to hand to a test runner: `for (const law of crdtLaws(spec)) test(law.name, law.check)`. */
export interface Law {
  readonly name: string;
  readonly check: () => void;
}

const DEFAULT_RUNS = 300;

/**
 * The laws every delta-state CRDT must satisfy, as fast-check properties over states reached by
 * random runs of real mutations (never arbitrary states: an unreachable state, such as one dot
 * bound to two elements, says nothing about the type).
 */
export function crdtLaws<S, V, Op, C = ReplicaId>(spec: LawSpec<S, V, Op, C>): Law[] {
  const { type } = spec;
  const numRuns = spec.numRuns ?? DEFAULT_RUNS;
  const replicas = replicaIds(spec).length;
  // size "max": fast-check's default size would keep runs near 10 steps, too short for
  // three-way concurrency or out-of-order dots.
  // Types with a reset get reset steps in every run, so every law below covers deletes too.
  const resets = type.reset !== undefined;
  const steps = fc.array(stepArbitrary(spec.operation, replicas, { resets }), {
    maxLength: 40,
    size: "max",
  });
  const run = (body: (steps: Step<Op>[]) => void) => () =>
    fc.assert(fc.property(steps, body), { numRuns });
  const reached = (s: Step<Op>[]) => executeRun(spec, s).states;

  const laws: Law[] = [
    {
      name: `${type.name}: join is commutative`,
      check: run((s) => {
        const [a, b] = reached(s) as [S, S];
        assert(type.equals(type.join(a, b), type.join(b, a)), "join(a, b) != join(b, a)");
      }),
    },
    {
      name: `${type.name}: join is associative`,
      check: run((s) => {
        const [a, b, c] = reached(s) as [S, S, S];
        const left = type.join(type.join(a, b), c);
        const right = type.join(a, type.join(b, c));
        assert(type.equals(left, right), "join(join(a, b), c) != join(a, join(b, c))");
      }),
    },
    {
      name: `${type.name}: join is idempotent`,
      check: run((s) => {
        const [a] = reached(s) as [S];
        assert(type.equals(type.join(a, a), a), "join(a, a) != a");
      }),
    },
    {
      name: `${type.name}: leq is the order join induces`,
      check: run((s) => {
        const [a, b] = reached(s) as [S, S];
        const joined = type.join(a, b);
        assert(type.leq(a, joined) && type.leq(b, joined), "an input is not <= the join");
        assert(
          type.leq(a, b) === type.equals(joined, b),
          "leq(a, b) disagrees with join(a, b) = b",
        );
        assert(type.leq(a, a), "leq is not reflexive");
      }),
    },
    {
      name: `${type.name}: joinInto equals join and leaves its source untouched`,
      check: run((s) => {
        const [a, b] = reached(s) as [S, S];
        const source = type.clone(b);
        const target = type.joinInto(type.clone(a), source);
        assert(type.equals(target, type.join(a, b)), "joinInto(clone(a), b) != join(a, b)");
        assert(type.equals(source, b), "joinInto mutated its source");
        assert(type.equals(type.clone(a), a), "clone(a) != a");
      }),
    },
    {
      name: `${type.name}: every mutator inflates the state and never mutates it`,
      check: run((s) => {
        for (const m of executeRun(spec, s).mutations) {
          assert(type.leq(m.before, m.after), "state after a mutation is not >= the state before");
          assert(type.leq(m.delta, m.after), "the delta is not <= the state after");
        }
      }),
    },
    {
      name: `${type.name}: a delta has the same effect as the full state on any replica that saw the past`,
      check: run((s) => {
        const result = executeRun(spec, s);
        for (const m of result.mutations) {
          for (const other of result.states) {
            const receiver = type.join(other, m.before);
            const byDelta = type.join(receiver, m.delta);
            const byState = type.join(receiver, m.after);
            assert(type.equals(byDelta, byState), "delta and full state disagree");
          }
        }
      }),
    },
    {
      name: `${type.name}: replicas converge under reordering, duplication and loss repaired by full states`,
      check: () =>
        fc.assert(
          fc.property(
            steps,
            fc.array(fc.boolean(), { minLength: replicas * replicas }),
            (s, lost) => {
              const result = executeRun(spec, s);
              const finalStates = result.states.map((state, to) => {
                let current = state;
                result.states.forEach((originState, origin) => {
                  if (origin === to) return;
                  if (lost[to * replicas + origin]) {
                    current = type.join(current, originState); // lost deltas: re-sent as a full state
                  } else {
                    current = deliverMissing(type.join, current, result.deltas, origin, to, result);
                  }
                });
                return current;
              });
              let everything = type.empty();
              for (const { delta } of result.deltas) everything = type.join(everything, delta);
              for (const state of finalStates) {
                assert(type.equals(state, finalStates[0] as S), "replicas did not converge");
              }
              // Every state is a join of deltas, so once all arrive each replica is their join.
              assert(
                type.equals(finalStates[0] as S, everything),
                "converged state != join of all deltas",
              );
            },
          ),
          { numRuns },
        ),
    },
  ];

  laws.push({
    name: `${type.name}: the wire form round-trips every reachable state and is canonical`,
    check: run((s) => {
      const [a, b] = reached(s) as [S, S];
      for (const state of [a, type.join(a, b), type.join(b, a)]) {
        const image = toWireImage(type, state);
        const decoded = fromWireImage(type, image);
        assert(type.equals(decoded, state), "fromWire(toWire(s)) != s");
        assert(samePlain(toWireImage(type, decoded), image), "re-encoding a decoded state differs");
      }
      const ab = toWireImage(type, type.join(a, b));
      const ba = toWireImage(type, type.join(b, a));
      assert(samePlain(ab, ba), "equal states have different wire forms");
    }),
  });

  const reset = type.reset;
  if (reset !== undefined) {
    const emptyValue = type.value(type.empty());
    laws.push({
      name: `${type.name}: a reset removes every observed effect and is idempotent`,
      check: run((s) => {
        for (const state of reached(s)) {
          const delta = reset(state);
          const after = type.join(state, delta);
          assert(
            sameValue(type.value(after), emptyValue),
            "join(s, reset(s)) does not read as empty",
          );
          assert(type.equals(reset(state), delta), "reset is not a function of the state");
          assert(
            type.leq(reset(after), after),
            "a second reset of the same effects is not a no-op",
          );
        }
      }),
    });
  }

  const sequential = spec.sequential;
  if (sequential !== undefined && reset !== undefined) {
    laws.push({
      name: `${type.name}: after a reset, a replica behaves like a fresh sequential data type`,
      check: () =>
        fc.assert(
          fc.property(steps, fc.array(spec.operation, { maxLength: 30 }), (s, ops) => {
            const result = executeRun(spec, s);
            const start = result.states[0] as S;
            const first = replicaIds(spec)[0] as ReplicaId;
            const context = spec.context ? spec.context(first) : (first as unknown as C);
            let state = type.join(start, reset(start));
            let model = sequential.initial();
            ops.forEach((op, i) => {
              state = type.join(state, spec.mutate(state, context, op));
              model = sequential.step(model, op);
              assert(
                sequential.check(type.value(state), model),
                `value after a reset diverged from a fresh model at op ${i}`,
              );
            });
          }),
          { numRuns },
        ),
    });
  }
  if (sequential !== undefined) {
    laws.push({
      name: `${type.name}: a single replica behaves like the sequential data type`,
      check: () =>
        fc.assert(
          fc.property(fc.array(spec.operation, { maxLength: 60 }), (ops) => {
            const single = { ...spec, replicas: [replicaIds(spec)[0] as string] };
            const result = executeRun(
              single,
              ops.map((op) => ({ kind: "mutate" as const, at: 0, op })),
            );
            let model = sequential.initial();
            result.mutations.forEach((m, i) => {
              model = sequential.step(model, ops[i] as Op);
              assert(
                sequential.check(type.value(m.after), model),
                `value diverged from the model at op ${i}`,
              );
            });
          }),
          { numRuns },
        ),
    });
  }
  return laws;
}

/** Delivers, newest first and each twice, the deltas of `origin` that `to` has not received. */
function deliverMissing<S>(
  join: (a: S, b: S) => S,
  state: S,
  deltas: readonly Delta<S>[],
  origin: number,
  to: number,
  result: { delivered: Set<number>[] },
): S {
  let current = state;
  for (let i = deltas.length - 1; i >= 0; i--) {
    const message = deltas[i] as Delta<S>;
    if (message.origin !== origin || result.delivered[to]?.has(i)) continue;
    current = join(join(current, message.delta), message.delta);
  }
  return current;
}

/** Equality of values as users see them: sets, maps and arrays by content. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Set && b instanceof Set)
    return a.size === b.size && [...a].every((x) => b.has(x));
  if (a instanceof Map && b instanceof Map) {
    return a.size === b.size && [...a].every(([k, v]) => b.has(k) && sameValue(v, b.get(k)));
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  }
  return false;
}

/** Structural equality of plain wire data (arrays, objects, bytes, primitives). */
function samePlain(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    return a.length === b.length && a.every((x, i) => x === b[i]);
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => samePlain(x, b[i]));
  }
  if (typeof a === "object" && typeof b === "object" && a !== null && b !== null) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) return false;
    return ka.every((k) =>
      samePlain((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
    );
  }
  return false;
}

function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`law violated: ${message}`);
}
