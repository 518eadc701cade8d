import { dotsOf, type ReplicaId, replicaId } from "@convergent/clocks";
import { LocalReplica, type PlainValue } from "@convergent/core";
import { executeRun, stepArbitrary } from "@convergent/core/testing";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { clear, resolve, write } from "./mutators.js";
import { mvRegister } from "./mv-register.js";
import { hasConflict, siblingCount, siblings, value } from "./queries.js";
import type { MvRegisterState } from "./state.js";
import { spec } from "./test-arbitraries.js";

const alice = replicaId("alice");
const bob = replicaId("bob");
const carol = replicaId("carol");

function replica(id: ReplicaId): LocalReplica<MvRegisterState, readonly PlainValue[]> {
  return new LocalReplica(mvRegister, id);
}

/** Full-state exchange in both directions, as anti-entropy would do. */
function exchange(a: LocalReplica<MvRegisterState, unknown>, b: typeof a): void {
  const fromA = a.snapshot();
  a.merge(b.snapshot());
  b.merge(fromA);
}

describe("mv-register scenarios", () => {
  test("concurrent writes on two replicas become two siblings on both after exchange", () => {
    const a = replica(alice);
    const b = replica(bob);
    a.update((s, r) => write(s, r, "from alice"));
    b.update((s, r) => write(s, r, "from bob"));
    exchange(a, b);
    expect(a.value()).toEqual(["from alice", "from bob"]);
    expect(b.value()).toEqual(["from alice", "from bob"]);
    expect(hasConflict(a.state)).toBe(true);
    expect(siblingCount(b.state)).toBe(2);
  });

  test("a write made after seeing both siblings collapses them to one everywhere", () => {
    const a = replica(alice);
    const b = replica(bob);
    a.update((s, r) => write(s, r, 1));
    b.update((s, r) => write(s, r, 2));
    exchange(a, b);
    const delta = b.update((s, r) => write(s, r, 3));
    a.merge(delta);
    expect(a.value()).toEqual([3]);
    expect(b.value()).toEqual([3]);
    expect(hasConflict(a.state)).toBe(false);
    expect(mvRegister.equals(a.state, b.state)).toBe(true);
  });

  test("a write replaces exactly the siblings its replica observed", () => {
    const a = replica(alice);
    const b = replica(bob);
    const c = replica(carol);
    const fromA = a.update((s, r) => write(s, r, "a"));
    b.update((s, r) => write(s, r, "b"));
    const fromC = c.update((s, r) => write(s, r, "c"));
    b.merge(fromA); // bob now holds "a" and "b", but has not seen carol's write
    const fromB = b.update((s, r) => write(s, r, "b2"));
    a.merge(fromB);
    a.merge(fromC);
    expect(a.value()).toEqual(["b2", "c"]);
  });

  test("three-way concurrency keeps three siblings on every replica", () => {
    const replicas = [replica(alice), replica(bob), replica(carol)];
    const deltas = replicas.map((r, i) => r.update((s, id) => write(s, id, { by: i })));
    for (const r of replicas) for (const d of deltas) r.merge(d);
    for (const r of replicas) {
      expect(r.value()).toEqual([{ by: 0 }, { by: 1 }, { by: 2 }]);
      expect(siblingCount(r.state)).toBe(3);
    }
    const collapse = replicas[2]?.update((s, id) => write(s, id, "settled"));
    for (const r of replicas) r.merge(collapse as MvRegisterState);
    for (const r of replicas) expect(r.value()).toEqual(["settled"]);
  });

  test("resolve lets the application pick a value and collapses the siblings", () => {
    const a = replica(alice);
    const b = replica(bob);
    a.update((s, r) => write(s, r, 7));
    b.update((s, r) => write(s, r, 42));
    exchange(a, b);
    const seen: PlainValue[][] = [];
    const delta = a.update((s, r) =>
      resolve(s, r, (values) => {
        seen.push([...values]);
        return Math.max(...(values as number[]));
      }),
    );
    b.merge(delta);
    expect(seen).toEqual([[7, 42]]);
    expect(a.value()).toEqual([42]);
    expect(b.value()).toEqual([42]);
  });

  test("a write concurrent with a resolve survives next to the chosen value", () => {
    const a = replica(alice);
    const b = replica(bob);
    a.update((s, r) => write(s, r, "x"));
    b.update((s, r) => write(s, r, "y"));
    exchange(a, b);
    a.update((s, r) => resolve(s, r, () => "x+y"));
    b.update((s, r) => write(s, r, "z"));
    exchange(a, b);
    expect(a.value()).toEqual(["x+y", "z"]);
  });

  test("siblings are listed in the same order on every replica, whatever the delivery order", () => {
    const a = replica(alice);
    const b = replica(bob);
    const c = replica(carol);
    const deltas = [
      a.update((s, r) => write(s, r, "m")),
      b.update((s, r) => write(s, r, 10)),
      c.update((s, r) => write(s, r, null)),
    ];
    for (const d of deltas) a.merge(d);
    for (const d of [...deltas].reverse()) b.merge(d);
    for (const d of [deltas[1], deltas[2], deltas[0]]) c.merge(d as MvRegisterState);
    const expected = [null, 10, "m"]; // comparePlainValues: null < numbers < strings
    for (const r of [a, b, c]) expect(r.value()).toEqual(expected);
    expect(siblings(b.state)).toEqual(siblings(a.state));
    expect(siblings(c.state)).toEqual(siblings(a.state));
  });

  test("converged replicas list identical siblings in identical order (property)", () => {
    const steps = fc.array(stepArbitrary(spec.operation, 3), { maxLength: 30 });
    fc.assert(
      fc.property(steps, (s) => {
        const { states } = executeRun(spec, s);
        const converged = states.map((state) =>
          states.reduce((acc, other) => mvRegister.join(acc, other), state),
        );
        const reference = siblings(converged[0] as MvRegisterState);
        for (const state of converged) {
          expect(siblings(state)).toEqual(reference);
          expect(value(state)).toEqual(reference.map((sibling) => sibling.value));
        }
      }),
      { numRuns: 300 },
    );
  });

  test("equal values written concurrently stay two siblings", () => {
    const a = replica(alice);
    const b = replica(bob);
    a.update((s, r) => write(s, r, "same"));
    b.update((s, r) => write(s, r, "same"));
    exchange(a, b);
    expect(a.value()).toEqual(["same", "same"]);
    expect(hasConflict(a.state)).toBe(true);
    expect(siblings(a.state).map((s) => s.dot.replica)).toEqual([alice, bob]);
  });

  test("clear removes the observed siblings, and a concurrent write survives it", () => {
    const a = replica(alice);
    const b = replica(bob);
    a.update((s, r) => write(s, r, "old"));
    exchange(a, b);
    a.update((s, r) => clear(s, r));
    expect(a.value()).toEqual([]);
    b.update((s, r) => write(s, r, "new"));
    exchange(a, b);
    expect(a.value()).toEqual(["new"]);
    expect(b.value()).toEqual(["new"]);
  });

  test("an empty register reads as [] and has no conflict", () => {
    const empty = mvRegister.empty();
    expect(value(empty)).toEqual([]);
    expect(siblings(empty)).toEqual([]);
    expect(hasConflict(empty)).toBe(false);
    expect(mvRegister.equals(clear(empty, alice), empty)).toBe(true);
  });

  test("a write delta carries one sibling and only the dots it observed", () => {
    let state = mvRegister.empty();
    for (let i = 0; i < 5; i++) state = mvRegister.join(state, write(state, alice, i));
    state = mvRegister.join(state, write(mvRegister.empty(), bob, "b"));
    const delta = write(state, alice, "next");
    expect(siblings(delta).map((s) => [s.dot.replica, s.dot.counter, s.value])).toEqual([
      [alice, 6, "next"],
    ]);
    const contextDots = [...dotsOf(delta.context)].map((d) => `${d.replica}:${d.counter}`);
    expect(contextDots.sort()).toEqual(["alice:5", "alice:6", "bob:1"]);
    expect(value(mvRegister.join(state, delta))).toEqual(["next"]);
  });

  test("dots stay contiguous per replica, so the context compacts to a version vector", () => {
    const r = replica(alice);
    for (let i = 0; i < 100; i++) r.update((s, id) => write(s, id, i));
    expect(r.state.context.versionVector.get(alice)).toBe(100);
    expect(r.state.context.cloud.size).toBe(0);
    expect(siblingCount(r.state)).toBe(1);
  });

  test("stored values are canonical frozen copies of what was written", () => {
    const input = { b: [1, 2], a: -0 };
    const state = mvRegister.join(mvRegister.empty(), write(mvRegister.empty(), alice, input));
    input.b.push(3);
    const [stored] = value(state);
    expect(stored).toEqual({ a: 0, b: [1, 2] });
    expect(Object.keys(stored as object)).toEqual(["a", "b"]);
    expect(Object.is((stored as { a: number }).a, 0)).toBe(true);
    expect(Object.isFrozen(stored)).toBe(true);
    expect(Object.isFrozen((stored as { b: number[] }).b)).toBe(true);
  });
});
