import { replicaId } from "@convergent/clocks";
import { LocalReplica } from "@convergent/core";
import { describe, expect, test } from "vitest";
import { add, clear, elements, has, orSet, remove, size } from "./or-set.js";

const A = replicaId("replica-a");
const B = replicaId("replica-b");

function pair() {
  return [new LocalReplica(orSet, A), new LocalReplica(orSet, B)] as const;
}

describe("named scenarios", () => {
  test("add wins: a remove does not undo a concurrent add it never observed", () => {
    const [a, b] = pair();
    b.merge(a.update((s, r) => add(s, r, "apple"))); // B has seen A's earlier "apple"
    const removal = b.update((s, r) => remove(s, r, "apple"));
    const readd = a.update((s, r) => add(s, r, "apple")); // concurrent with B's remove
    a.merge(removal);
    b.merge(readd);
    expect(has(a.state, "apple")).toBe(true);
    expect(has(b.state, "apple")).toBe(true);
    expect(orSet.equals(a.state, b.state)).toBe(true);
  });

  test("the same holds when the replicas exchange full states instead of deltas", () => {
    const [a, b] = pair();
    a.update((s, r) => add(s, r, "apple"));
    b.merge(a.snapshot());
    b.update((s, r) => remove(s, r, "apple"));
    a.update((s, r) => add(s, r, "apple"));
    const fromA = a.snapshot();
    a.merge(b.snapshot());
    b.merge(fromA);
    expect([...a.value()]).toEqual(["apple"]);
    expect([...b.value()]).toEqual(["apple"]);
  });

  test("a remove of an observed element propagates", () => {
    const [a, b] = pair();
    b.merge(a.update((s, r) => add(s, r, "pear")));
    expect(has(b.state, "pear")).toBe(true);
    a.merge(b.update((s, r) => remove(s, r, "pear")));
    expect(has(a.state, "pear")).toBe(false);
    expect(size(a.state)).toBe(0);
    expect(orSet.equals(a.state, b.state)).toBe(true);
  });

  test("a delta that arrives twice or late changes nothing more", () => {
    const [a, b] = pair();
    const added = a.update((s, r) => add(s, r, "fig"));
    const removed = a.update((s, r) => remove(s, r, "fig"));
    b.merge(removed);
    b.merge(added); // older add arrives after the remove that covers it
    b.merge(removed);
    expect(has(b.state, "fig")).toBe(false);
    expect(orSet.equals(a.state, b.state)).toBe(true);
  });

  test("re-adding after a remove works, locally and remotely", () => {
    const [a, b] = pair();
    b.merge(a.update((s, r) => add(s, r, "kiwi")));
    b.merge(a.update((s, r) => remove(s, r, "kiwi")));
    b.merge(a.update((s, r) => add(s, r, "kiwi")));
    expect(has(a.state, "kiwi")).toBe(true);
    expect(has(b.state, "kiwi")).toBe(true);
  });

  test("clear removes what was observed and keeps a concurrent add", () => {
    const [a, b] = pair();
    for (const x of ["x", "y", "z"]) b.merge(a.update((s, r) => add(s, r, x)));
    const cleared = b.update((s, r) => clear(s, r));
    const concurrent = a.update((s, r) => add(s, r, "w"));
    a.merge(cleared);
    b.merge(concurrent);
    expect([...a.value()]).toEqual(["w"]);
    expect(orSet.equals(a.state, b.state)).toBe(true);
  });

  test('"1" and 1 are different elements; -0 is 0', () => {
    const a = new LocalReplica(orSet, A);
    a.update((s, r) => add(s, r, "1"));
    a.update((s, r) => add(s, r, 1));
    a.update((s, r) => add(s, r, -0));
    expect(size(a.state)).toBe(3);
    a.update((s, r) => remove(s, r, 1));
    expect(has(a.state, "1")).toBe(true);
    expect(has(a.state, 1)).toBe(false);
    expect(has(a.state, 0)).toBe(true);
    expect([...elements(a.state)]).toEqual(["1", 0]);
  });

  test("concurrent adds of one element keep both dots until an add observes them", () => {
    const [a, b] = pair();
    const fromA = a.update((s, r) => add(s, r, "plum"));
    const fromB = b.update((s, r) => add(s, r, "plum"));
    a.merge(fromB);
    b.merge(fromA);
    expect(a.state.entries.get("plum")).toHaveLength(2);
    b.merge(a.update((s, r) => add(s, r, "plum")));
    expect(a.state.entries.get("plum")).toEqual({ replica: A, counter: 2 });
    expect(orSet.equals(a.state, b.state)).toBe(true);
  });

  test("no tombstones: after many adds and removes only live elements and a vector remain", () => {
    const [a, b] = pair();
    for (let i = 0; i < 1000; i++) {
      b.merge(a.update((s, r) => add(s, r, `item-${i}`)));
      if (i % 10 !== 0) b.merge(a.update((s, r) => remove(s, r, `item-${i}`)));
    }
    expect(size(b.state)).toBe(100);
    expect(b.state.entries.size).toBe(100);
    expect([...b.state.context.versionVector]).toEqual([[A, 1000]]);
    expect(b.state.context.cloud.size).toBe(0);
    expect(orSet.equals(a.state, b.state)).toBe(true);
  });

  test("value is a fresh Set the caller may keep", () => {
    const a = new LocalReplica(orSet, A);
    a.update((s, r) => add(s, r, "a"));
    const seen = a.value();
    a.update((s, r) => add(s, r, "b"));
    expect([...seen]).toEqual(["a"]);
    expect(a.value()).toEqual(new Set(["a", "b"]));
  });
});
