import { containsDot, emptyCausalContext, replicaId } from "@convergent/clocks";
import { InvalidArgumentError } from "@convergent/core";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { KeyTypeConflictError } from "./errors.js";
import { assignRegister, fixtureCounter, fixtureRegister, incrementCounter } from "./fixtures.js";
import {
  applyWrite,
  keyspaceImage,
  newKeyspace,
  sameContexts,
  type WriteOp,
} from "./test-helpers.js";

const bytes = (...xs: number[]) => new Uint8Array(xs);

describe("local updates", () => {
  test("each update gets the next keyspace dot and only the latest dot per key is indexed", () => {
    const ks = newKeyspace("a");
    ks.update("x", fixtureCounter, (s, r) => incrementCounter(s, r, 1));
    ks.update("y", fixtureCounter, (s, r) => incrementCounter(s, r, 1));
    ks.update("x", fixtureCounter, (s, r) => incrementCounter(s, r, 2));
    expect(ks.dotsOf("x")).toEqual([{ replica: "a", counter: 3 }]);
    expect(ks.value("x", fixtureCounter)).toBe(3);
    const missing = ks.missing(emptyCausalContext());
    expect(missing.map((m) => [m.key, m.dots.map((d) => d.counter)]).sort()).toEqual([
      ["x", [3]],
      ["y", [2]],
    ]);
  });

  test("a type conflict throws and changes nothing", () => {
    const ks = newKeyspace("a");
    ks.update("x", fixtureCounter, (s, r) => incrementCounter(s, r, 1));
    const before = keyspaceImage(ks);
    expect(() =>
      ks.update("x", fixtureRegister, (s, r) => assignRegister(s, r, 1, 0, bytes(1))),
    ).toThrow(KeyTypeConflictError);
    expect(keyspaceImage(ks)).toEqual(before);
    expect(ks.context.versionVector.get(replicaId("a"))).toBe(1);
  });

  test("unregistered types and malformed keys are refused", () => {
    const ks = newKeyspace("a");
    const other = { ...fixtureCounter };
    expect(() => ks.update("x", other, (s, r) => incrementCounter(s, r, 1))).toThrow(
      InvalidArgumentError,
    );
    expect(() => ks.update("\ud800", fixtureCounter, (s, r) => incrementCounter(s, r, 1))).toThrow(
      InvalidArgumentError,
    );
    expect(ks.size).toBe(0);
  });

  test("subscribers hear local and remote changes, but not no-op joins", () => {
    const a = newKeyspace("a");
    const b = newKeyspace("b");
    const heard: string[] = [];
    const stop = b.subscribe((c) => heard.push(`${c.origin}:${c.keys.join(",")}`));
    a.update("x", fixtureCounter, (s, r) => incrementCounter(s, r, 1));
    b.update("y", fixtureCounter, (s, r) => incrementCounter(s, r, 1));
    b.applyRemote(a.missing(b.context), a.context);
    b.applyRemote(a.missing(emptyCausalContext()), a.context);
    stop();
    b.update("z", fixtureCounter, (s, r) => incrementCounter(s, r, 1));
    expect(heard).toEqual(["local:y", "remote:x"]);
  });
});

describe("remote batches", () => {
  test("a batch with one bad entry leaves the keyspace untouched", () => {
    const a = newKeyspace("a");
    const b = newKeyspace("b");
    a.update("x", fixtureCounter, (s, r) => incrementCounter(s, r, 1));
    a.update("y", fixtureRegister, (s, r) => assignRegister(s, r, 5, 0, bytes(9)));
    b.update("y", fixtureCounter, (s, r) => incrementCounter(s, r, 1));
    const before = keyspaceImage(b);
    const contextBefore = structuredClone(b.context);
    expect(() => b.applyRemote(a.missing(b.context), a.context)).toThrow(KeyTypeConflictError);
    expect(keyspaceImage(b)).toEqual(before);
    expect(b.context).toEqual(contextBefore);
    const unknownTag = [{ key: "q", tag: "nope", state: null, dots: [] }];
    expect(() => b.applyRemote(unknownTag)).toThrow(InvalidArgumentError);
    expect(keyspaceImage(b)).toEqual(before);
  });

  test("missing() returns exactly the keys holding a dot the context lacks", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            key: fc.nat(15),
            counter: fc.boolean(),
            amount: fc.integer({ min: 1, max: 9 }),
          }),
          {
            maxLength: 60,
          },
        ),
        fc.array(fc.nat(80), { maxLength: 30 }),
        (ops: WriteOp[], seen) => {
          const ks = newKeyspace("a");
          for (const [i, op] of ops.entries()) applyWrite(ks, op, i);
          const peer = emptyCausalContext();
          const cloud = seen.filter((c) => c > 0);
          if (cloud.length > 0) peer.cloud.set(replicaId("a"), new Set(cloud));
          const expected = [...ks.keys()]
            .filter((key) => ks.dotsOf(key).some((d) => !containsDot(peer, d)))
            .sort();
          expect(
            ks
              .missing(peer)
              .map((m) => m.key)
              .sort(),
          ).toEqual(expected);
        },
      ),
    );
  });

  test("pairwise missing/applyRemote exchanges converge keyspaces and contexts", () => {
    const step = fc.oneof(
      fc.record({
        kind: fc.constant("write" as const),
        replica: fc.nat(2),
        op: fc.record({
          key: fc.nat(12),
          counter: fc.boolean(),
          amount: fc.integer({ min: 1, max: 9 }),
        }),
      }),
      fc.record({ kind: fc.constant("sync" as const), from: fc.nat(2), to: fc.nat(2) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 80 }), (steps) => {
        const replicas = ["a", "b", "c"].map(newKeyspace);
        steps.forEach((s, tick) => {
          if (s.kind === "write") applyWrite(replicas[s.replica] as never, s.op, tick);
          else {
            const from = replicas[s.from] as ReturnType<typeof newKeyspace>;
            const to = replicas[s.to] as ReturnType<typeof newKeyspace>;
            to.applyRemote(from.missing(to.context), from.context);
          }
        });
        // Heal: a ring of exchanges twice round reaches everyone.
        for (let round = 0; round < 2; round++) {
          for (let i = 0; i < 3; i++) {
            const from = replicas[i] as ReturnType<typeof newKeyspace>;
            const to = replicas[(i + 1) % 3] as ReturnType<typeof newKeyspace>;
            to.applyRemote(from.missing(to.context), from.context);
          }
        }
        const [a, b, c] = replicas as [
          ReturnType<typeof newKeyspace>,
          ReturnType<typeof newKeyspace>,
          ReturnType<typeof newKeyspace>,
        ];
        expect(keyspaceImage(b)).toEqual(keyspaceImage(a));
        expect(keyspaceImage(c)).toEqual(keyspaceImage(a));
        expect(sameContexts(a, b) && sameContexts(a, c)).toBe(true);
        expect(a.missing(b.context)).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});

describe("change events for persistence", () => {
  test("a remote entry whose state is already covered still touches the key (its dot is new)", () => {
    const a = newKeyspace("a");
    const b = newKeyspace("b");
    a.update("x", fixtureCounter, (s, r) => incrementCounter(s, r, 2));
    b.applyRemote(a.missing(emptyCausalContext()));
    // b already holds a's state; an entry with that same state but a newer dot from c.
    const [entry] = a.missing(emptyCausalContext());
    const changes: { keys: readonly string[]; touched: readonly string[] }[] = [];
    b.subscribe((change) => changes.push(change));
    const dot = { replica: replicaId("c"), counter: 1 };
    if (entry === undefined) throw new Error("a has no entry to send");
    expect(b.applyRemote([{ ...entry, dots: [dot] }])).toEqual([]);
    expect(changes).toEqual([{ origin: "remote", keys: [], touched: ["x"] }]);
  });

  test("a new key with an empty state is touched, so it is saved and survives a restart", () => {
    const a = newKeyspace("a");
    const b = newKeyspace("b");
    a.update("x", fixtureCounter, (s) => s);
    const changes: { keys: readonly string[]; touched: readonly string[] }[] = [];
    b.subscribe((change) => changes.push(change));
    b.applyRemote(a.missing(emptyCausalContext()));
    expect(changes).toEqual([{ origin: "remote", keys: [], touched: ["x"] }]);
  });
});
