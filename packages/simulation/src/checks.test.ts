/** The sequential specifications against hand-made histories: each check passes and fails. */
import { addDotInPlace, emptyCausalContext, type ReplicaId, replicaId } from "@convergent/clocks";
import { expect, test } from "vitest";
import {
  checkAddWins,
  checkCounter,
  checkCounterValue,
  checkExists,
  checkLww,
  checkMv,
} from "./checks.js";
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
    path: [],
    remove: false,
    incarnation: 1,
    required: 1,
    dot: { replica: fields.replica, counter },
    observed: undefined,
    amount: 0,
    element: "",
    entry: undefined,
    outcome: "ok" as Outcome,
    settledAt: counter,
    error: undefined,
    ...fields,
  };
}

const survivalIn = (h: History) => (w: WriteRecord) => h.survival(w);

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
  const s = survivalIn(h);
  expect(checkCounter(new Map([[a, [3, 1]]]), h.writes, s)).toBeUndefined();
  expect(checkCounter(new Map([[a, [5, 1]]]), h.writes, s)).toBeUndefined();
  expect(checkCounter(new Map([[a, [4, 1]]]), h.writes, s)).toMatch(/origin a holds \+4\/-1/);
  expect(
    checkCounter(
      new Map([
        [a, [3, 1]],
        [b, [5, 0]],
      ]),
      h.writes,
      s,
    ),
  ).toMatch(/origin b/);
  h.wiped.add(a); // a's disk lost: its writes acknowledged at one may be gone
  expect(checkCounter(new Map([[a, [3, 0]]]), h.writes, s)).toBeUndefined();
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
  const s = survivalIn(h);
  expect(checkAddWins(new Set(["x"]), h.writes, [], s)).toBeUndefined();
  expect(checkAddWins(new Set(), h.writes, [], s)).toMatch(/no remove or delete observed/);
  const removeAll = write({
    replica: b,
    kind: "set-remove",
    key: "s",
    element: "x",
    observed: observing(add1, add2),
  });
  h.writes.push(removeAll);
  expect(checkAddWins(new Set(), h.writes, [], s)).toBeUndefined();
  expect(checkAddWins(new Set(["x"]), h.writes, [], s)).toMatch(/every add of it was removed/);
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
  const s = survivalIn(h);
  expect(checkMv(["m2", "m3"], h.writes, [], s)).toBeUndefined();
  expect(checkMv(["m3"], h.writes, [], s)).toMatch(/m2|maximum/);
  expect(checkMv(["m1", "m2", "m3"], h.writes, [], s)).toMatch(/sibling m1/);
  // A delete that saw m3 leaves only m2, which it had not seen.
  const del = write({
    replica: a,
    kind: "delete",
    key: "m",
    remove: true,
    observed: observing(w1, w3),
  });
  expect(checkMv(["m2"], h.writes, [del], s)).toBeUndefined();
  expect(checkMv(["m2", "m3"], h.writes, [del], s)).toMatch(/sibling m3/);
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
  const s = survivalIn(h);
  const w = h.writes.map((x) => ({ ...x, element: x.entry?.value as string }));
  expect(checkLww("v2", w, [], s)).toBeUndefined();
  expect(checkLww("v1", w, [], s)).toMatch(/below/);
  expect(checkLww("v3", w, [], s)).toMatch(/no surviving write/);
  expect(checkLww(undefined, w, [], s)).toMatch(/empty, yet/);
  // A delete that saw v2 tombstones it: empty, and v1 (below the tombstone) stays hidden.
  const del = write({
    replica: a,
    kind: "delete",
    key: "r",
    remove: true,
    observed: observing(w2),
  });
  expect(checkLww(undefined, w, [del], s)).toBeUndefined();
  expect(checkLww("v2", w, [del], s)).toMatch(/a surviving delete observed/);
});

test("deletes: a counter counts exactly the increments no delete observed", () => {
  const h = new History();
  const i1 = write({ replica: a, kind: "counter", key: "c", amount: 10 });
  const i2 = write({ replica: b, kind: "counter", key: "c", amount: 3 });
  const d1 = write({ replica: a, kind: "delete", key: "c", remove: true, observed: observing(i1) });
  const d2 = write({ replica: b, kind: "delete", key: "c", remove: true, observed: observing(i1) });
  const i3 = write({ replica: a, kind: "counter", key: "c", amount: -1 });
  h.writes.push(i1, i2, d1, d2, i3);
  const s = survivalIn(h);
  const counts = [i1, i2, i3];
  expect(checkCounterValue(2, counts, [d1, d2], s)).toBeUndefined();
  expect(checkCounterValue(12, counts, [d1, d2], s)).toMatch(/sum to 2/);
  expect(checkCounterValue(-1, counts, [d1, d2], s)).toMatch(/sum to 2/);
  // A delete cut by a crash may or may not have survived: both readings are allowed.
  const cut = write({
    replica: b,
    kind: "delete",
    key: "c",
    remove: true,
    observed: observing(i2),
    outcome: "pending",
  });
  h.writes.push(cut);
  expect(checkCounterValue(-1, counts, [d1, d2, cut], s)).toBeUndefined();
  expect(checkCounterValue(2, counts, [d1, d2, cut], s)).toBeUndefined();
  expect(checkCounterValue(5, counts, [d1, d2, cut], s)).toMatch(/-1\.\.2/);
});

test("deletes: a key exists iff some update survives that no delete observed", () => {
  const h = new History();
  const u1 = write({ replica: a, kind: "set-add", key: "s", element: "x" });
  const u2 = write({ replica: b, kind: "set-add", key: "s", element: "y" });
  const d = write({ replica: a, kind: "delete", key: "s", remove: true, observed: observing(u1) });
  h.writes.push(u1, u2, d);
  const s = survivalIn(h);
  expect(checkExists(true, [u1, u2], [d], s)).toBeUndefined();
  expect(checkExists(false, [u1, u2], [d], s)).toMatch(/no delete observed survives/);
  expect(checkExists(true, [u1], [d], s)).toMatch(/every update of it was deleted/);
  expect(checkExists(false, [u1], [d], s)).toBeUndefined();
  // The set shows exactly the adds the delete had not seen.
  expect(checkAddWins(new Set(["y"]), [u1, u2], [d], s)).toBeUndefined();
  expect(checkAddWins(new Set(["x", "y"]), [u1, u2], [d], s)).toMatch(/x is present/);
});
