import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { ClockOverflowError, InvalidClockValueError, InvalidReplicaIdError } from "./errors.js";
import { compareLamport, LamportClock, type LamportTimestamp } from "./lamport.js";
import { replicaId } from "./replica-id.js";
import { anyReplica, SIM_REPLICAS, simEvents } from "./test-arbitraries.js";
import {
  compare,
  emptyVersionVector,
  increment,
  merge,
  type VersionVector,
} from "./version-vector.js";

interface Logged {
  readonly ts: LamportTimestamp;
  /** The event's vector clock, computed alongside: the ground truth for happens-before. */
  readonly vv: VersionVector;
}

describe("Lamport clocks across three replicas", () => {
  test("per-replica timestamps increase and timestamp order respects happens-before", () => {
    fc.assert(
      fc.property(simEvents, fc.boolean(), (events, observeNumbers) => {
        const clocks = SIM_REPLICAS.map((r) => new LamportClock(r));
        const vvs = SIM_REPLICAS.map(() => emptyVersionVector());
        const last: Array<LamportTimestamp | undefined> = SIM_REPLICAS.map(() => undefined);
        const inFlight: Logged[] = [];
        const log: Logged[] = [];

        for (const event of events) {
          const clock = clocks[event.at]!;
          const replica = SIM_REPLICAS[event.at]!;
          let ts: LamportTimestamp;
          let vv: VersionVector;
          if (event.kind === "receive") {
            if (inFlight.length === 0) continue;
            const [message] = inFlight.splice(event.pick % inFlight.length, 1) as [Logged];
            ts = clock.observe(observeNumbers ? message.ts.time : message.ts);
            vv = increment(merge(vvs[event.at]!, message.vv), replica);
            expect(compareLamport(message.ts, ts)).toBe(-1);
          } else {
            ts = clock.tick();
            vv = increment(vvs[event.at]!, replica);
          }
          expect(ts.replica).toBe(replica);
          expect(clock.time).toBe(ts.time);
          const previous = last[event.at];
          if (previous !== undefined) expect(compareLamport(previous, ts)).toBe(-1);
          last[event.at] = ts;
          vvs[event.at] = vv;
          log.push({ ts, vv });
          if (event.kind === "send") inFlight.push({ ts, vv });
        }

        for (const e of log) {
          for (const f of log) {
            if (compare(e.vv, f.vv) === "before") expect(compareLamport(e.ts, f.ts)).toBe(-1);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  test("observe is max(local, remote) + 1", () => {
    fc.assert(
      fc.property(fc.nat(1e9), fc.nat(1e9), (local, remote) => {
        const clock = new LamportClock(replicaId("a"), local);
        expect(clock.observe(remote).time).toBe(Math.max(local, remote) + 1);
      }),
    );
  });
});

describe("compareLamport", () => {
  const timestamp = fc.record({ time: fc.nat(5), replica: anyReplica });

  test("is a total order: time first, then replica id", () => {
    fc.assert(
      fc.property(timestamp, timestamp, timestamp, (a, b, c) => {
        expect(compareLamport(a, b)).toBe(-compareLamport(b, a) || 0);
        expect(compareLamport(a, b) === 0).toBe(a.time === b.time && a.replica === b.replica);
        if (a.time !== b.time) expect(compareLamport(a, b)).toBe(a.time < b.time ? -1 : 1);
        if (compareLamport(a, b) < 0 && compareLamport(b, c) < 0) {
          expect(compareLamport(a, c)).toBe(-1);
        }
      }),
    );
  });
});

describe("Lamport clock edge cases", () => {
  const a = replicaId("a");

  test("tick and observe, step by step", () => {
    const clock = new LamportClock(a);
    expect(clock.time).toBe(0);
    expect(clock.tick()).toEqual({ time: 1, replica: a });
    expect(clock.observe({ time: 7, replica: replicaId("b") })).toEqual({ time: 8, replica: a });
    expect(clock.observe(3)).toEqual({ time: 9, replica: a });
  });

  test("a restored clock continues above its saved time", () => {
    const restored = new LamportClock(a, 41);
    expect(restored.tick().time).toBe(42);
  });

  test("overflow past MAX_SAFE_INTEGER is refused and leaves the clock unchanged", () => {
    const clock = new LamportClock(a, Number.MAX_SAFE_INTEGER);
    expect(() => clock.tick()).toThrow(ClockOverflowError);
    expect(clock.time).toBe(Number.MAX_SAFE_INTEGER);
    const low = new LamportClock(a, 5);
    expect(() => low.observe(Number.MAX_SAFE_INTEGER)).toThrow(ClockOverflowError);
    expect(low.time).toBe(5);
    try {
      clock.tick();
    } catch (error) {
      expect((error as ClockOverflowError).code).toBe("CLOCK_OVERFLOW");
    }
  });

  test("invalid remote times are refused with the typed error and leave the clock unchanged", () => {
    const clock = new LamportClock(a, 10);
    for (const bad of [-1, 1.5, Number.NaN, Infinity, 2 ** 53, "3", null, undefined]) {
      expect(() => clock.observe(bad as number)).toThrow(InvalidClockValueError);
      expect(() => clock.observe({ time: bad, replica: a } as LamportTimestamp)).toThrow(
        InvalidClockValueError,
      );
      expect(clock.time).toBe(10);
    }
  });

  test("invalid construction is refused", () => {
    for (const bad of [-1, 0.5, Number.NaN, 2 ** 53]) {
      expect(() => new LamportClock(a, bad)).toThrow(InvalidClockValueError);
    }
    expect(() => new LamportClock("" as typeof a)).toThrow(InvalidReplicaIdError);
  });
});
