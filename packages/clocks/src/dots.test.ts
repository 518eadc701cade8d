import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { compareDots, dot, equalDots, isDot } from "./dots.js";
import { InvalidClockValueError, InvalidReplicaIdError } from "./errors.js";
import { type ReplicaId, replicaId } from "./replica-id.js";
import { dotArb } from "./test-arbitraries.js";

describe("dots", () => {
  test("compareDots is a total order by replica, then counter, consistent with equalDots", () => {
    fc.assert(
      fc.property(dotArb(4), dotArb(4), dotArb(4), (a, b, c) => {
        expect(compareDots(a, b)).toBe(-compareDots(b, a) || 0);
        expect(compareDots(a, b) === 0).toBe(equalDots(a, b));
        if (a.replica === b.replica) {
          expect(compareDots(a, b)).toBe(Math.sign(a.counter - b.counter));
        }
        if (compareDots(a, b) < 0 && compareDots(b, c) < 0) expect(compareDots(a, c)).toBe(-1);
      }),
    );
  });

  test("dot() accepts positive safe integers and isDot recognizes the result", () => {
    fc.assert(
      fc.property(dotArb(Number.MAX_SAFE_INTEGER), ({ replica, counter }) => {
        const d = dot(replica, counter);
        expect(d).toEqual({ replica, counter });
        expect(isDot(d)).toBe(true);
      }),
    );
  });

  test("bad counters and replica ids are rejected", () => {
    const a = replicaId("a");
    for (const counter of [0, -1, 1.5, Number.NaN, Infinity, 2 ** 53]) {
      expect(() => dot(a, counter)).toThrow(InvalidClockValueError);
      expect(isDot({ replica: a, counter })).toBe(false);
    }
    expect(() => dot("" as ReplicaId, 1)).toThrow(InvalidReplicaIdError);
    for (const value of [null, 5, "a", {}, { replica: "", counter: 1 }, { replica: "a" }]) {
      expect(isDot(value)).toBe(false);
    }
  });
});
