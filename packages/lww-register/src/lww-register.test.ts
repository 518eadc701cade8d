import { compareHlc, HybridLogicalClock, type ReplicaId, replicaId } from "@convergent/clocks";
import {
  equalPlainValues,
  InvalidArgumentError,
  LocalReplica,
  type PlainValue,
} from "@convergent/core";
import { crdtLaws, executeRun, type LawSpec, stepArbitrary } from "@convergent/core/testing";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { compareEntries } from "./entry.js";
import { type LwwRegisterState, lwwRegister } from "./lww-register.js";
import { reset, set } from "./register-ops.js";

/** A replica's clock whose physical time is whatever the last operation said. */
interface Writer {
  readonly clock: HybridLogicalClock;
  readonly physical: { now: number };
}

function writer(replica: ReplicaId, now = 0, maxDriftMs?: number): Writer {
  const physical = { now };
  const options = maxDriftMs === undefined ? {} : { maxDriftMs };
  return {
    physical,
    clock: new HybridLogicalClock(replica, { ...options, physicalTime: () => physical.now }),
  };
}

const plainValue: fc.Arbitrary<PlainValue> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -3, max: 3 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 4 }),
  fc.uint8Array({ maxLength: 3 }),
  fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom("x", "y"), fc.string({ maxLength: 2 }), { maxKeys: 2 }),
);

// Physical times from a small range: clocks stall, go backwards and collide across replicas.
type Op = { readonly time: number; readonly value: PlainValue };

const spec: LawSpec<LwwRegisterState, PlainValue | undefined, Op, Writer> = {
  type: lwwRegister,
  operation: fc.record({ time: fc.nat({ max: 20 }), value: plainValue }),
  context: (replica) => writer(replica),
  mutate: (state, w, op) => {
    w.physical.now = op.time;
    return set(state, w.clock, op.value);
  },
  sequential: {
    initial: () => undefined as PlainValue | undefined,
    step: (_: PlainValue | undefined, op) => op.value,
    check: (value, model) =>
      value === undefined || model === undefined
        ? value === model
        : equalPlainValues(value, model as PlainValue),
  },
  numRuns: 300,
};

describe("lww-register laws", () => {
  for (const law of crdtLaws(spec)) test(law.name, law.check);
});

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

const [alice, bob, carol] = ["alice", "bob", "carol"].map(replicaId) as [
  ReplicaId,
  ReplicaId,
  ReplicaId,
];

describe("lww-register scenarios", () => {
  test("every write replaces the value its replica held, whatever the clocks say", () => {
    fc.assert(
      fc.property(fc.array(stepArbitrary(spec.operation, 3), { maxLength: 40 }), (steps) => {
        const { mutations } = executeRun(spec, steps);
        const ops = steps.flatMap((step) => (step.kind === "mutate" ? [step.op] : []));
        mutations.forEach((m, i) => {
          const written = (ops[i] as Op).value;
          expect(equalPlainValues(lwwRegister.value(m.after) as PlainValue, written)).toBe(true);
        });
      }),
      { numRuns: 300 },
    );
  });

  test("once every replica has every state, the write with the greatest timestamp wins", () => {
    fc.assert(
      fc.property(fc.array(stepArbitrary(spec.operation, 3), { maxLength: 40 }), (steps) => {
        const { states, deltas } = executeRun(spec, steps);
        const all = states.reduce(lwwRegister.join, lwwRegister.empty());
        let greatest: LwwRegisterState["entry"];
        for (const { delta } of deltas) {
          const entry = delta.entry;
          if (entry && (greatest === undefined || compareEntries(entry, greatest) > 0)) {
            greatest = entry;
          }
        }
        expect(all.entry).toBe(greatest);
        // Timestamps are unique: no two writes ever share one.
        const stamps = new Set(
          deltas.map(({ delta }) =>
            JSON.stringify(
              delta.entry && [delta.entry.wallTime, delta.entry.logical, delta.entry.replica],
            ),
          ),
        );
        expect(stamps.size).toBe(deltas.length);
      }),
      { numRuns: 300 },
    );
  });

  test("ties resolve the same way on every replica, in every delivery order", () => {
    // Same physical time everywhere: the timestamps differ only in the replica id.
    const writers = [alice, bob, carol].map((id) => writer(id, 1_000));
    const replicas = [alice, bob, carol].map((id) => new LocalReplica(lwwRegister, id));
    const deltas = replicas.map((replica, i) =>
      replica.update((s) => set(s, (writers[i] as Writer).clock, `from ${replica.id}`)),
    );
    for (const delta of deltas) {
      expect([delta.entry?.wallTime, delta.entry?.logical]).toEqual([1_000, 0]);
    }
    for (const order of permutations(deltas)) {
      for (const id of [alice, bob, carol]) {
        const receiver = new LocalReplica(lwwRegister, id);
        for (const delta of order) receiver.merge(delta);
        expect(receiver.value()).toBe("from carol");
      }
    }
    // And replicas that each hold their own write first agree after exchanging deltas.
    for (const replica of replicas) for (const delta of deltas) replica.merge(delta);
    for (const replica of replicas) expect(replica.value()).toBe("from carol");
  });

  test("a write made after reading a value wins, even from a replica whose clock is behind", () => {
    const fast = writer(alice, 10_000);
    const slow = writer(bob, 5_000);
    const a = new LocalReplica(lwwRegister, alice);
    const b = new LocalReplica(lwwRegister, bob);
    a.update((s) => set(s, fast.clock, "first"));
    b.merge(a.state);
    b.update((s) => set(s, slow.clock, "second"));
    expect(b.state.entry).toMatchObject({ wallTime: 10_000, logical: 1, replica: bob });
    a.merge(b.state);
    expect(a.value()).toBe("second");
    expect(b.value()).toBe("second");
    // The slow clock has caught up, so its next write also wins without another receive.
    expect(slow.clock.peek()).toEqual({ wallTime: 10_000, logical: 1, replica: bob });
  });

  test("anomaly: a replica whose clock is 5 s behind loses to a write made earlier in real time", () => {
    // Real time t: alice's clock reads t, bob's reads t - 5 s. Neither has seen the other.
    const fast = writer(alice);
    const slow = writer(bob);
    const a = new LocalReplica(lwwRegister, alice);
    const b = new LocalReplica(lwwRegister, bob);
    fast.physical.now = 10_000; // real time 10 s
    a.update((s) => set(s, fast.clock, "earlier"));
    slow.physical.now = 12_000 - 5_000; // real time 12 s: two seconds later
    b.update((s) => set(s, slow.clock, "later"));
    a.merge(b.state);
    b.merge(a.state);
    expect(a.value()).toBe("earlier");
    expect(b.value()).toBe("earlier");
  });

  test("over an entry further ahead than the drift bound, set stamps just above it and leaves the clock", () => {
    const farAhead = writer(alice, 200_000);
    const local = writer(bob, 100_000, 60_000);
    local.clock.now();
    const state = lwwRegister.join(
      lwwRegister.empty(),
      set(lwwRegister.empty(), farAhead.clock, "from the future"),
    );
    const clockBefore = local.clock.peek();
    const delta = set(state, local.clock, "mine");
    expect(delta.entry).toEqual({ value: "mine", wallTime: 200_000, logical: 1, replica: bob });
    expect(local.clock.peek()).toEqual(clockBefore);
    expect(lwwRegister.value(lwwRegister.join(state, delta))).toBe("mine");
    // A delete over it needs no clock at all.
    const deleted = lwwRegister.join(state, reset(state));
    expect(lwwRegister.value(deleted)).toBeUndefined();
    expect(local.clock.peek()).toEqual(clockBefore);
    // Within the bound the write goes through the receive rule and moves the clock as usual.
    local.physical.now = 150_000;
    const later = set(state, local.clock, "later");
    expect(later.entry).toMatchObject({ wallTime: 200_000, logical: 1, replica: bob });
    expect(local.clock.peek()).toEqual({ wallTime: 200_000, logical: 1, replica: bob });
  });

  test("the empty register has no value and is below every written one", () => {
    const empty = lwwRegister.empty();
    expect(lwwRegister.value(empty)).toBeUndefined();
    const written = set(empty, writer(alice, 1).clock, null);
    expect(lwwRegister.value(written)).toBeNull();
    expect(lwwRegister.leq(empty, written)).toBe(true);
    expect(lwwRegister.leq(written, empty)).toBe(false);
  });

  test("set stores a canonical frozen copy: later changes to the argument change nothing", () => {
    const argument = { z: [1, 2], a: -0 };
    const state = set(lwwRegister.empty(), writer(alice, 1).clock, argument);
    argument.z.push(3);
    const stored = lwwRegister.value(state) as { z: number[]; a: number };
    expect(stored).toEqual({ a: 0, z: [1, 2] });
    expect(Object.keys(stored)).toEqual(["a", "z"]);
    expect(Object.is(stored.a, 0)).toBe(true);
    expect(Object.isFrozen(stored) && Object.isFrozen(stored.z)).toBe(true);
  });

  test("two writes with the very same timestamp (a hostile peer) still join commutatively", () => {
    const at = { wallTime: 5, logical: 0, replica: alice };
    const x: LwwRegisterState = { entry: { ...at, value: "x" } };
    const y: LwwRegisterState = { entry: { ...at, value: "y" } };
    expect(lwwRegister.value(lwwRegister.join(x, y))).toBe("y");
    expect(lwwRegister.value(lwwRegister.join(y, x))).toBe("y");
    expect(lwwRegister.equals(x, y)).toBe(false);
  });
});

describe("set rejects bad values and leaves state and clock unchanged", () => {
  class Point {
    x = 1;
  }
  const deep: unknown[] = [];
  let cursor = deep;
  for (let i = 0; i < 40; i++) {
    const next: unknown[] = [];
    cursor.push(next);
    cursor = next;
  }
  const bad: Array<[string, unknown]> = [
    ["undefined", undefined],
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["a function", () => 1],
    ["a bigint", 1n],
    ["a symbol", Symbol("s")],
    ["a Map", new Map()],
    ["a Date", new Date(0)],
    ["a class instance", new Point()],
    ["a nested undefined", { a: undefined }],
    ["a forbidden key", JSON.parse('{"__proto__": 1}')],
    ["nesting deeper than 32", deep],
  ];
  for (const [name, value] of bad) {
    test(name, () => {
      const w = writer(alice, 7);
      const state = set(lwwRegister.empty(), w.clock, "kept");
      const clockBefore = w.clock.peek();
      expect(() => set(state, w.clock, value as PlainValue)).toThrow(InvalidArgumentError);
      expect(state.entry?.value).toBe("kept");
      expect(w.clock.peek()).toEqual(clockBefore);
    });
  }
});

describe("lww-register reset (exact delete)", () => {
  const reached = fc
    .array(stepArbitrary(spec.operation, 3, { resets: true }), { maxLength: 40, size: "max" })
    .map(
      (steps) =>
        executeRun(spec, steps).states as [LwwRegisterState, LwwRegisterState, LwwRegisterState],
    );
  const joinAll = (...states: LwwRegisterState[]) =>
    states.reduce(lwwRegister.join, lwwRegister.empty());

  test("a reset removes exactly the observed write: t's write survives iff it is newer than s's", () => {
    fc.assert(
      fc.property(reached, ([s, t]) => {
        const merged = joinAll(s, reset(s), t);
        const newer =
          t.entry !== undefined && (s.entry === undefined || compareHlc(t.entry, s.entry) > 0);
        const expected = newer ? t.entry?.value : undefined;
        const actual = lwwRegister.value(merged);
        expect(
          actual === undefined || expected === undefined
            ? actual === expected
            : equalPlainValues(actual, expected),
        ).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  test("resets read no clock: equal observed writes give the same delta, and resets commute", () => {
    fc.assert(
      fc.property(reached, ([a, b, x]) => {
        expect(lwwRegister.equals(reset(a), reset(lwwRegister.clone(a)))).toBe(true);
        expect(
          lwwRegister.equals(joinAll(x, reset(a), reset(b)), joinAll(reset(b), reset(a), x)),
        ).toBe(true);
        if (a.entry !== undefined) {
          expect(reset(a).entry).toEqual({ ...a.entry, value: undefined });
        }
      }),
      { numRuns: 300 },
    );
  });

  test("both see x; A deletes while B writes y: everyone reads y; a write after the delete shows", () => {
    const wa = writer(alice, 1_000);
    const wb = writer(bob, 900); // behind: B's write is still stamped above the x it read
    const a = new LocalReplica(lwwRegister, alice);
    const b = new LocalReplica(lwwRegister, bob);
    b.merge(a.update((s) => set(s, wa.clock, "x")));
    const deletion = a.update(reset);
    const y = b.update((s) => set(s, wb.clock, "y"));
    a.merge(y);
    b.merge(deletion);
    expect([a.value(), b.value()]).toEqual(["y", "y"]);
    a.update(reset);
    expect(a.value()).toBeUndefined();
    a.update((s) => set(s, wa.clock, "z"));
    b.merge(a.state);
    expect([a.value(), b.value()]).toEqual(["z", "z"]);
  });

  test("a delete that arrives before the write it deleted still removes it", () => {
    const w = writer(alice, 5);
    const written = set(lwwRegister.empty(), w.clock, "x");
    const receiver = new LocalReplica(lwwRegister, bob);
    receiver.merge(reset(written));
    receiver.merge(written);
    expect(receiver.value()).toBeUndefined();
    expect(lwwRegister.equals(reset(lwwRegister.empty()), lwwRegister.empty())).toBe(true);
  });

  test("at one timestamp a tombstone beats every value, so the order stays total", () => {
    const at = { wallTime: 5, logical: 0, replica: alice };
    const tomb = { ...at, value: undefined };
    for (const v of ["y", null, 0, [1]] as PlainValue[]) {
      expect(compareEntries(tomb, { ...at, value: v })).toBe(1);
      expect(compareEntries({ ...at, value: v }, tomb)).toBe(-1);
    }
    expect(compareEntries(tomb, { ...tomb })).toBe(0);
    expect(compareEntries(tomb, { ...at, logical: 1, value: "newer" })).toBe(-1);
  });
});
