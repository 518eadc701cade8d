/** The sequential specifications against hand-made histories: each check passes and fails. */
import { addDotInPlace, emptyCausalContext, type ReplicaId, replicaId } from "@convergent/clocks";
import { expect, test } from "vitest";
import { checkAddWins, checkCounter, checkLww, checkMv } from "./checks.js";
import { History, type Outcome, type WriteRecord } from "./history.js";

const a = replicaId("a");
const b = replicaId("b");
let counter = 0;

function write(
  fields: Partial<WriteRecord> & { replica: ReplicaId; kind: string; key: string },
): WriteRecord {
  counter++;
  return {
    step: counter,
    incarnation: 1,
    required: 1,
    dot: { replica: fields.replica, counter },
    observed: undefined,
    amount: 0,
    element: "",
    changed: true,
    entry: undefined,
    outcome: "ok" as Outcome,
    settledAt: counter,
    error: undefined,
    ...fields,
  };
}

const observing = (...writes: WriteRecord[]) => {
  const context = emptyCausalContext();
  for (const w of writes) if (w.dot !== undefined) addDotInPlace(context, w.dot);
  return context;
};

test("counters: exact per-origin totals, with any prefix of a crash-cut tail", () => {
  const h = new History();
  h.writes.push(
    write({ replica: a, kind: "counter", key: "c", amount: 3 }),
    write({ replica: a, kind: "counter", key: "c", amount: -1 }),
    write({ replica: a, kind: "counter", key: "c", amount: 2, outcome: "pending" }),
    write({ replica: b, kind: "counter", key: "c", amount: 5, outcome: "rejected" }),
  );
  expect(checkCounter(new Map([[a, [3, 1]]]), h, "c")).toBeUndefined();
  expect(checkCounter(new Map([[a, [5, 1]]]), h, "c")).toBeUndefined();
  expect(checkCounter(new Map([[a, [4, 1]]]), h, "c")).toMatch(/origin a holds \+4\/-1/);
  expect(
    checkCounter(
      new Map([
        [a, [3, 1]],
        [b, [5, 0]],
      ]),
      h,
      "c",
    ),
  ).toMatch(/origin b/);
  h.wiped.add(a); // a's disk lost: its writes acknowledged at one may be gone
  expect(checkCounter(new Map([[a, [3, 0]]]), h, "c")).toBeUndefined();
});

test("sets: add-wins, an unobserved add survives a concurrent remove", () => {
  const h = new History();
  const add1 = write({ replica: a, kind: "set-add", key: "s", element: "x" });
  const add2 = write({ replica: b, kind: "set-add", key: "s", element: "x" });
  const remove = write({
    replica: a,
    kind: "set-remove",
    key: "s",
    element: "x",
    observed: observing(add1),
  });
  h.writes.push(add1, add2, remove);
  expect(checkAddWins(new Set(["x"]), h, "s")).toBeUndefined();
  expect(checkAddWins(new Set(), h, "s")).toMatch(/never observed/);
  const removeAll = write({
    replica: b,
    kind: "set-remove",
    key: "s",
    element: "x",
    observed: observing(add1, add2),
  });
  h.writes.push(removeAll);
  expect(checkAddWins(new Set(), h, "s")).toBeUndefined();
  expect(checkAddWins(new Set(["x"]), h, "s")).toMatch(/every add of it was removed/);
});

test("mv-register: the concurrent maxima, no more and no less", () => {
  const h = new History();
  const w1 = write({ replica: a, kind: "mv-write", key: "m", element: "m1" });
  const w2 = write({ replica: b, kind: "mv-write", key: "m", element: "m2" });
  const w3 = write({
    replica: a,
    kind: "mv-write",
    key: "m",
    element: "m3",
    observed: observing(w1),
  });
  h.writes.push(w1, w2, w3);
  expect(checkMv(["m2", "m3"], h, "m")).toBeUndefined();
  expect(checkMv(["m3"], h, "m")).toMatch(/m2|maximum/);
  expect(checkMv(["m1", "m2", "m3"], h, "m")).toMatch(/sibling m1/);
});

test("lww-register: the greatest surviving entry", () => {
  const h = new History();
  const entry = (wallTime: number, replica: ReplicaId, value: string) => ({
    wallTime,
    logical: 0,
    replica,
    value,
  });
  const w1 = write({ replica: a, kind: "register", key: "r", entry: entry(10, a, "v1") });
  const w2 = write({ replica: b, kind: "register", key: "r", entry: entry(20, b, "v2") });
  const w3 = write({
    replica: a,
    kind: "register",
    key: "r",
    entry: entry(30, a, "v3"),
    outcome: "rejected",
  });
  h.writes.push(w1, w2, w3);
  expect(checkLww(entry(20, b, "v2"), h, "r")).toBeUndefined();
  expect(checkLww(entry(10, a, "v1"), h, "r")).toMatch(/below/);
  expect(checkLww(entry(30, a, "v3"), h, "r")).toMatch(/no surviving write/);
});
