import {
  ClockDriftError,
  ClockOverflowError,
  compareHlc,
  type HlcTimestamp,
  HybridLogicalClock,
  InvalidClockValueError,
  MAX_HLC_LOGICAL,
  MAX_HLC_WALL_TIME,
  type ReplicaId,
  replicaId,
} from "@convergent/clocks";
import { LocalReplica } from "@convergent/core";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { stamp } from "./entry.js";
import { lwwMap } from "./lww-map.js";
import { lwwRegister } from "./lww-register.js";
import { getKey, removeKey, resetMap, setKey } from "./map-ops.js";
import { reset, set } from "./register-ops.js";

const [alice, bob] = ["alice", "bob"].map(replicaId) as [ReplicaId, ReplicaId];
const MAX_DRIFT = 60_000;

function clockAt(replica: ReplicaId, physical: { now: number }, last?: HlcTimestamp) {
  return new HybridLogicalClock(replica, {
    maxDriftMs: MAX_DRIFT,
    physicalTime: () => physical.now,
    ...(last === undefined ? {} : { last }),
  });
}

const timestamp = (replica: fc.Arbitrary<ReplicaId>) =>
  fc.record({
    wallTime: fc.oneof(
      fc.integer({ min: 0, max: 300_000 }),
      fc.constantFrom(MAX_HLC_WALL_TIME - 1, MAX_HLC_WALL_TIME),
    ),
    logical: fc.oneof(
      fc.integer({ min: 0, max: 3 }),
      fc.constantFrom(MAX_HLC_LOGICAL - 1, MAX_HLC_LOGICAL),
    ),
    replica,
  });

describe("stamp: the clock rules of a local write", () => {
  test("a write either throws and leaves the HLC exactly as it was, or beats what it was written over", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200_000 }),
        fc.option(timestamp(fc.constant(alice)), { nil: undefined }),
        fc.option(timestamp(fc.constantFrom(alice, bob)), { nil: undefined }),
        (now, last, current) => {
          const clock = clockAt(alice, { now }, last);
          const before = clock.peek();
          let entry: HlcTimestamp;
          try {
            entry = stamp(clock, current, "v");
          } catch (error) {
            // Only overflow can still throw; drift never reaches the caller.
            expect(error).toBeInstanceOf(ClockOverflowError);
            expect(clock.peek()).toEqual(before);
            return;
          }
          expect(entry.replica).toBe(alice);
          if (current !== undefined) expect(compareHlc(entry, current)).toBe(1);
          const farAhead =
            current !== undefined &&
            compareHlc(before, current) < 0 &&
            current.wallTime - now > MAX_DRIFT;
          if (farAhead) {
            // Stamped just above the far-future entry; the HLC never sees that time.
            expect(clock.peek()).toEqual(before);
            const justAbove =
              current.logical < MAX_HLC_LOGICAL
                ? { wallTime: current.wallTime, logical: current.logical + 1 }
                : { wallTime: current.wallTime + 1, logical: 0 };
            expect({ wallTime: entry.wallTime, logical: entry.logical }).toEqual(justAbove);
          } else {
            // Otherwise the write is a clock event: the HLC moved to exactly that timestamp.
            expect(clock.peek()).toEqual({
              wallTime: entry.wallTime,
              logical: entry.logical,
              replica: alice,
            });
            expect(compareHlc(entry, before)).toBe(1);
          }
        },
      ),
      { numRuns: 1_000 },
    );
  });

  test("HybridLogicalClock.receive still rejects a far-future timestamp and changes nothing", () => {
    const clock = clockAt(alice, { now: 100_000 });
    clock.now();
    const before = clock.peek();
    expect(() => clock.receive({ wallTime: 200_000, logical: 0, replica: bob })).toThrow(
      ClockDriftError,
    );
    expect(clock.peek()).toEqual(before);
  });

  test("paths that can still throw leave the clock unchanged", () => {
    // receive() over an entry within the bound whose logical counter is at its maximum.
    const physical = { now: 100_000 };
    const clock = clockAt(alice, physical);
    clock.now();
    const before = clock.peek();
    const maxed = { wallTime: 100_500, logical: MAX_HLC_LOGICAL, replica: bob };
    expect(() => stamp(clock, maxed, 1)).toThrow(ClockOverflowError);
    expect(clock.peek()).toEqual(before);
    // A far-future entry at both maxima has no timestamp above it.
    const top = { wallTime: MAX_HLC_WALL_TIME, logical: MAX_HLC_LOGICAL, replica: bob };
    expect(() => stamp(clock, top, 1)).toThrow(ClockOverflowError);
    expect(clock.peek()).toEqual(before);
    // now() with a stalled physical clock at the logical maximum.
    const stalled = clockAt(alice, physical, {
      wallTime: 100_000,
      logical: MAX_HLC_LOGICAL,
      replica: alice,
    });
    const stalledBefore = stalled.peek();
    expect(() => stamp(stalled, undefined, 1)).toThrow(ClockOverflowError);
    expect(() => stamp(stalled, { ...stalledBefore, replica: bob }, 1)).toThrow(ClockOverflowError);
    expect(stalled.peek()).toEqual(stalledBefore);
    // A broken physical time source.
    const broken = clockAt(alice, { now: Number.NaN });
    expect(() => stamp(broken, maxed, 1)).toThrow(InvalidClockValueError);
    expect(broken.peek()).toEqual({ wallTime: 0, logical: 0, replica: alice });
  });

  test("a far-future entry at the logical maximum: the write goes to wall time + 1, logical 0", () => {
    const clock = clockAt(alice, { now: 1_000 });
    const entry = stamp(clock, { wallTime: 500_000, logical: MAX_HLC_LOGICAL, replica: bob }, 1);
    expect(entry).toEqual({ value: 1, wallTime: 500_001, logical: 0, replica: alice });
    expect(clock.peek()).toEqual({ wallTime: 0, logical: 0, replica: alice });
  });
});

describe("a far-future entry does not lock a key against others' writes or deletes", () => {
  // bob's clock runs 10 minutes fast; alice's bound is one minute.
  const future = { now: 700_000 };
  const local = { now: 100_000 };

  test("lww-map: alice sets, removes and deletes over bob's far-future field; her HLC stays put", () => {
    const fast = clockAt(bob, future);
    const clock = clockAt(alice, local);
    clock.now();
    const before = clock.peek();
    const a = new LocalReplica(lwwMap, alice);
    a.merge(setKey(lwwMap.empty(), fast, "k", "from the future"));
    a.update((s) => setKey(s, clock, "k", "mine"));
    expect(getKey(a.state, "k")).toBe("mine");
    expect(a.state.get("k")).toMatchObject({ wallTime: 700_000, logical: 1, replica: alice });
    a.update((s) => removeKey(s, clock, "k"));
    expect(getKey(a.state, "k")).toBeUndefined();
    a.update((s) => setKey(s, clock, "k", "again"));
    a.update(resetMap);
    expect(a.value().size).toBe(0);
    expect(clock.peek()).toEqual(before);
    // A peer that still holds only bob's write converges on alice's delete.
    const b = new LocalReplica(lwwMap, bob);
    b.merge(setKey(lwwMap.empty(), fast, "k", "from the future"));
    b.merge(a.state);
    expect(b.value().size).toBe(0);
  });

  test("lww-register: alice writes and deletes over bob's far-future write and wins", () => {
    const fast = clockAt(bob, future);
    const clock = clockAt(alice, local);
    clock.now();
    const before = clock.peek();
    const theirs = set(lwwRegister.empty(), fast, "from the future");
    const mine = set(theirs, clock, "mine");
    expect(lwwRegister.value(lwwRegister.join(mine, theirs))).toBe("mine");
    const deleted = lwwRegister.join(lwwRegister.join(theirs, mine), reset(mine));
    expect(lwwRegister.value(deleted)).toBeUndefined();
    expect(lwwRegister.value(lwwRegister.join(theirs, deleted))).toBeUndefined();
    expect(clock.peek()).toEqual(before);
  });
});
