import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  ClockDriftError,
  ClockOverflowError,
  InvalidClockValueError,
  InvalidReplicaIdError,
} from "./errors.js";
import {
  assertHlcTimestamp,
  compareHlc,
  DEFAULT_MAX_DRIFT_MS,
  type HlcTimestamp,
  HybridLogicalClock,
  hlcProblem,
  MAX_HLC_LOGICAL,
  MAX_HLC_WALL_TIME,
} from "./hlc.js";
import { type ReplicaId, replicaId } from "./replica-id.js";
import { anyReplica, SIM_REPLICAS, simEvents } from "./test-arbitraries.js";
import {
  compare,
  emptyVersionVector,
  increment,
  merge,
  type VersionVector,
} from "./version-vector.js";

const EPOCH = 1_700_000_000_000;

/** A scripted physical clock: a start and a list of steps (stalls, small ticks, jumps back). */
const physicalScript = fc.record({
  start: fc.integer({ min: 0, max: 20_000 }),
  steps: fc.array(
    fc.oneof(
      fc.constant(0),
      fc.integer({ min: 0, max: 3 }),
      fc.integer({ min: -3_000, max: 3_000 }),
    ),
    { minLength: 1, maxLength: 30 },
  ),
});
type PhysicalScript = { start: number; steps: number[] };

/** A time source that replays the script and remembers what it last returned. */
function scriptedSource(script: PhysicalScript) {
  let now = EPOCH + script.start;
  let index = 0;
  const source = {
    lastRead: Number.NaN,
    maxRead: 0,
    read: () => {
      const value = now;
      now = Math.max(0, now + script.steps[index % script.steps.length]!);
      index += 1;
      source.lastRead = value;
      source.maxRead = Math.max(source.maxRead, value);
      return value;
    },
  };
  return source;
}

interface Logged {
  readonly ts: HlcTimestamp;
  readonly vv: VersionVector;
}

function thrown(body: () => unknown): unknown {
  try {
    body();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

const timestamp = (replica: fc.Arbitrary<ReplicaId> = anyReplica) =>
  fc.record({
    wallTime: fc.oneof(
      fc.integer({ min: 0, max: 3 }),
      fc.integer({ min: 0, max: MAX_HLC_WALL_TIME }),
    ),
    logical: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: MAX_HLC_LOGICAL })),
    replica,
  });

describe("hybrid logical clocks across three replicas", () => {
  test("monotonic per replica, happens-before respected, drift enforced exactly, wall time bounded", () => {
    fc.assert(
      fc.property(
        simEvents,
        fc.tuple(physicalScript, physicalScript, physicalScript),
        fc.oneof(fc.integer({ min: 0, max: 5_000 }), fc.constant(DEFAULT_MAX_DRIFT_MS)),
        (events, scripts, maxDriftMs) => {
          const sources = scripts.map(scriptedSource);
          const clocks = SIM_REPLICAS.map(
            (r, i) => new HybridLogicalClock(r, { physicalTime: sources[i]!.read, maxDriftMs }),
          );
          const vvs = SIM_REPLICAS.map(() => emptyVersionVector());
          const maxSeen = SIM_REPLICAS.map(() => 0);
          const last: Array<HlcTimestamp | undefined> = SIM_REPLICAS.map(() => undefined);
          const inFlight: Logged[] = [];
          const log: Logged[] = [];
          const globalMaxRead = () => Math.max(...sources.map((s) => s.maxRead));

          for (const event of events) {
            const clock = clocks[event.at]!;
            const source = sources[event.at]!;
            const replica = SIM_REPLICAS[event.at]!;
            let ts: HlcTimestamp;
            let vv: VersionVector;
            if (event.kind === "receive") {
              if (inFlight.length === 0) continue;
              const [message] = inFlight.splice(event.pick % inFlight.length, 1) as [Logged];
              const before = clock.peek();
              let error: unknown;
              try {
                ts = clock.receive(message.ts);
              } catch (e) {
                error = e;
              }
              const drift = message.ts.wallTime - source.lastRead;
              if (error !== undefined) {
                // Rejected: exactly when too far ahead, and the clock did not move.
                expect(error).toBeInstanceOf(ClockDriftError);
                expect((error as ClockDriftError).driftMs).toBe(drift);
                expect(drift).toBeGreaterThan(maxDriftMs);
                expect(clock.peek()).toEqual(before);
                continue;
              }
              expect(drift).toBeLessThanOrEqual(maxDriftMs);
              ts = ts!;
              vv = increment(merge(vvs[event.at]!, message.vv), replica);
              expect(compareHlc(message.ts, ts)).toBe(-1);
            } else {
              ts = clock.now();
              vv = increment(vvs[event.at]!, replica);
            }
            maxSeen[event.at] = Math.max(maxSeen[event.at]!, source.lastRead);
            assertHlcTimestamp(ts);
            expect(ts.replica).toBe(replica);
            expect(clock.peek()).toEqual(ts);
            expect(ts.wallTime).toBeGreaterThanOrEqual(maxSeen[event.at]!);
            // Wall time is always some physical reading: a clock never invents a future time.
            expect(ts.wallTime).toBeLessThanOrEqual(globalMaxRead());
            const previous = last[event.at];
            if (previous !== undefined) expect(compareHlc(previous, ts)).toBe(-1);
            last[event.at] = ts;
            vvs[event.at] = vv;
            log.push({ ts, vv });
            if (event.kind === "send") inFlight.push({ ts, vv });
          }

          for (const e of log) {
            for (const f of log) {
              if (compare(e.vv, f.vv) === "before") expect(compareHlc(e.ts, f.ts)).toBe(-1);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  test("restoring `last` after a restart: every new timestamp exceeds it", () => {
    fc.assert(
      fc.property(
        timestamp(),
        fc.integer({ min: 0, max: MAX_HLC_WALL_TIME }),
        fc.option(timestamp(), { nil: undefined }),
        (last, physical, remote) => {
          fc.pre(last.logical < MAX_HLC_LOGICAL || physical > last.wallTime);
          const make = () =>
            new HybridLogicalClock(replicaId("me"), {
              last,
              physicalTime: () => physical,
              maxDriftMs: Infinity,
            });
          expect(make().peek()).toEqual({ ...last, replica: replicaId("me") });
          expect(compareHlc(last, make().now())).toBe(-1);
          if (remote !== undefined) {
            const clock = make();
            try {
              const received = clock.receive(remote);
              expect(compareHlc(last, received)).toBe(-1);
              expect(compareHlc(remote, received)).toBe(-1);
            } catch (error) {
              // Only a logical counter at its maximum can stop a receive with unlimited drift.
              expect(error).toBeInstanceOf(ClockOverflowError);
              expect(Math.max(last.logical, remote.logical)).toBe(MAX_HLC_LOGICAL);
              expect(clock.peek()).toEqual({ ...last, replica: replicaId("me") });
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("compareHlc", () => {
  test("is a total order: wall time, then logical, then replica", () => {
    fc.assert(
      fc.property(timestamp(), timestamp(), timestamp(), (a, b, c) => {
        expect(compareHlc(a, a)).toBe(0);
        expect(compareHlc(a, b)).toBe(-compareHlc(b, a) || 0);
        expect(compareHlc(a, b) === 0).toBe(
          a.wallTime === b.wallTime && a.logical === b.logical && a.replica === b.replica,
        );
        if (compareHlc(a, b) < 0 && compareHlc(b, c) < 0) expect(compareHlc(a, c)).toBe(-1);
      }),
      { numRuns: 300 },
    );
  });
});

describe("drift", () => {
  const me = replicaId("me");
  const peer = replicaId("peer");

  test("a remote timestamp more than maxDriftMs ahead is rejected and changes nothing", () => {
    let physical = 10_000;
    const options = { physicalTime: () => physical, maxDriftMs: 100 };
    const clock = new HybridLogicalClock(me, options);
    const twin = new HybridLogicalClock(me, options);
    clock.now();
    twin.now();
    const before = clock.peek();

    const error = thrown(() => clock.receive({ wallTime: 10_101, logical: 0, replica: peer }));
    expect(error).toBeInstanceOf(ClockDriftError);
    expect((error as ClockDriftError).code).toBe("CLOCK_DRIFT");
    expect((error as ClockDriftError).driftMs).toBe(101);
    expect((error as ClockDriftError).maxDriftMs).toBe(100);
    expect(clock.peek()).toEqual(before);
    expect(clock.now()).toEqual(twin.now());
    physical = 10_050;
    expect(clock.now()).toEqual(twin.now());
  });

  test("exactly maxDriftMs ahead is accepted and the clock jumps to the remote wall time", () => {
    const clock = new HybridLogicalClock(me, { physicalTime: () => 10_000, maxDriftMs: 100 });
    expect(clock.receive({ wallTime: 10_100, logical: 4, replica: peer })).toEqual({
      wallTime: 10_100,
      logical: 5,
      replica: me,
    });
    // Physical time has not caught up, so local events count logically above the remote.
    expect(clock.now()).toEqual({ wallTime: 10_100, logical: 6, replica: me });
  });

  test("maxDriftMs 0 accepts only timestamps not ahead of physical time; Infinity disables it", () => {
    const strict = new HybridLogicalClock(me, { physicalTime: () => 500, maxDriftMs: 0 });
    expect(strict.receive({ wallTime: 500, logical: 0, replica: peer }).wallTime).toBe(500);
    expect(() => strict.receive({ wallTime: 501, logical: 0, replica: peer })).toThrow(
      ClockDriftError,
    );
    const open = new HybridLogicalClock(me, { physicalTime: () => 0, maxDriftMs: Infinity });
    expect(open.receive({ wallTime: MAX_HLC_WALL_TIME, logical: 0, replica: peer }).wallTime).toBe(
      MAX_HLC_WALL_TIME,
    );
  });

  test("the default bound is one minute", () => {
    const clock = new HybridLogicalClock(me, { physicalTime: () => EPOCH });
    expect(clock.maxDriftMs).toBe(DEFAULT_MAX_DRIFT_MS);
    expect(clock.receive({ wallTime: EPOCH + 60_000, logical: 0, replica: peer }).wallTime).toBe(
      EPOCH + 60_000,
    );
    expect(() => clock.receive({ wallTime: EPOCH + 60_001, logical: 0, replica: peer })).toThrow(
      ClockDriftError,
    );
  });

  test("timestamps from behind are always accepted, however old", () => {
    const clock = new HybridLogicalClock(me, { physicalTime: () => EPOCH, maxDriftMs: 0 });
    expect(clock.receive({ wallTime: 0, logical: 9, replica: peer })).toEqual({
      wallTime: EPOCH,
      logical: 0,
      replica: me,
    });
  });
});

describe("logical overflow", () => {
  const me = replicaId("me");
  const peer = replicaId("peer");
  const saturated = { wallTime: 1_000, logical: MAX_HLC_LOGICAL, replica: me };

  test("now() with a stalled physical clock raises ClockOverflowError and changes nothing", () => {
    let physical = 1_000;
    const clock = new HybridLogicalClock(me, { last: saturated, physicalTime: () => physical });
    const error = thrown(() => clock.now());
    expect(error).toBeInstanceOf(ClockOverflowError);
    expect((error as ClockOverflowError).code).toBe("CLOCK_OVERFLOW");
    expect(clock.peek()).toEqual(saturated);
    physical = 900; // behind, also stalled from the clock's point of view
    expect(() => clock.now()).toThrow(ClockOverflowError);
    expect(clock.peek()).toEqual(saturated);
    physical = 1_001; // once physical time moves on, the clock recovers
    expect(clock.now()).toEqual({ wallTime: 1_001, logical: 0, replica: me });
  });

  test("receive() that would pass the logical maximum raises and changes nothing", () => {
    const clock = new HybridLogicalClock(me, { last: saturated, physicalTime: () => 1_000 });
    expect(() => clock.receive({ wallTime: 1_000, logical: 3, replica: peer })).toThrow(
      ClockOverflowError,
    );
    expect(() => clock.receive({ wallTime: 999, logical: 3, replica: peer })).toThrow(
      ClockOverflowError,
    );
    expect(clock.peek()).toEqual(saturated);

    const fresh = new HybridLogicalClock(me, { physicalTime: () => 1_000 });
    expect(() =>
      fresh.receive({ wallTime: 1_000, logical: MAX_HLC_LOGICAL, replica: peer }),
    ).toThrow(ClockOverflowError);
    expect(fresh.peek()).toEqual({ wallTime: 0, logical: 0, replica: me });
    // A remote with a newer wall time resets the count, so the clock is usable again.
    expect(clock.receive({ wallTime: 1_001, logical: 0, replica: peer })).toEqual({
      wallTime: 1_001,
      logical: 1,
      replica: me,
    });
  });

  test("one below the maximum still works", () => {
    const clock = new HybridLogicalClock(me, {
      last: { ...saturated, logical: MAX_HLC_LOGICAL - 1 },
      physicalTime: () => 1_000,
    });
    expect(clock.now().logical).toBe(MAX_HLC_LOGICAL);
    expect(() => clock.now()).toThrow(ClockOverflowError);
  });
});

describe("malformed input", () => {
  const me = replicaId("me");
  const bad: unknown[] = [
    null,
    undefined,
    42,
    "0000.0000.a",
    {},
    { wallTime: -1, logical: 0, replica: "a" },
    { wallTime: 1.5, logical: 0, replica: "a" },
    { wallTime: Number.NaN, logical: 0, replica: "a" },
    { wallTime: MAX_HLC_WALL_TIME + 1, logical: 0, replica: "a" },
    { wallTime: "5", logical: 0, replica: "a" },
    { wallTime: 5, logical: -1, replica: "a" },
    { wallTime: 5, logical: 0.5, replica: "a" },
    { wallTime: 5, logical: MAX_HLC_LOGICAL + 1, replica: "a" },
    { wallTime: 5, logical: 0, replica: "" },
    { wallTime: 5, logical: 0, replica: "a\u0000" },
    { wallTime: 5, logical: 0, replica: 7 },
    { wallTime: 5, logical: 0 },
  ];

  test("remote timestamps are validated: InvalidClockValueError and no change", () => {
    const clock = new HybridLogicalClock(me, { physicalTime: () => 100 });
    clock.now();
    const before = clock.peek();
    for (const value of bad) {
      expect(hlcProblem(value)).toEqual(expect.any(String));
      const error = thrown(() => clock.receive(value as HlcTimestamp));
      expect(error).toBeInstanceOf(InvalidClockValueError);
      expect((error as InvalidClockValueError).code).toBe("INVALID_CLOCK_VALUE");
      expect(clock.peek()).toEqual(before);
    }
  });

  test("a malformed `last`, maxDriftMs or replica is refused at construction", () => {
    for (const value of bad.filter((v) => v !== undefined)) {
      expect(() => new HybridLogicalClock(me, { last: value as HlcTimestamp })).toThrow(
        InvalidClockValueError,
      );
    }
    for (const maxDriftMs of [-1, Number.NaN]) {
      expect(() => new HybridLogicalClock(me, { maxDriftMs })).toThrow(InvalidClockValueError);
    }
    expect(() => new HybridLogicalClock("" as ReplicaId)).toThrow(InvalidReplicaIdError);
  });

  test("well-formed timestamps pass hlcProblem", () => {
    fc.assert(
      fc.property(timestamp(), (ts) => {
        expect(hlcProblem(ts)).toBeUndefined();
      }),
    );
  });
});

describe("physical time source", () => {
  const me = replicaId("me");

  test("is injectable; fractional milliseconds are floored", () => {
    const readings = [5_000.9, 5_000.2, 7_000, 6_000];
    const clock = new HybridLogicalClock(me, { physicalTime: () => readings.shift()! });
    expect(clock.now()).toEqual({ wallTime: 5_000, logical: 0, replica: me });
    expect(clock.now()).toEqual({ wallTime: 5_000, logical: 1, replica: me });
    expect(clock.now()).toEqual({ wallTime: 7_000, logical: 0, replica: me });
    expect(clock.now()).toEqual({ wallTime: 7_000, logical: 1, replica: me });
  });

  test("defaults to Date.now", () => {
    const before = Date.now();
    const ts = new HybridLogicalClock(me).now();
    const after = Date.now();
    expect(ts.wallTime).toBeGreaterThanOrEqual(before);
    expect(ts.wallTime).toBeLessThanOrEqual(after);
  });

  test("a broken source is refused without changing the clock", () => {
    for (const reading of [Number.NaN, -1, Infinity, -Infinity]) {
      const clock = new HybridLogicalClock(me, { physicalTime: () => reading });
      expect(() => clock.now()).toThrow(InvalidClockValueError);
      expect(clock.peek()).toEqual({ wallTime: 0, logical: 0, replica: me });
    }
    const future = new HybridLogicalClock(me, { physicalTime: () => MAX_HLC_WALL_TIME + 1 });
    expect(() => future.now()).toThrow(ClockOverflowError);
    expect(future.peek()).toEqual({ wallTime: 0, logical: 0, replica: me });
  });
});
