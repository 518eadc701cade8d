import {
  ClockDriftError,
  ClockOverflowError,
  compareHlc,
  type HlcTimestamp,
  type HybridLogicalClock,
  MAX_HLC_LOGICAL,
  MAX_HLC_WALL_TIME,
} from "@convergent/clocks";
import { comparePlainValues, type PlainValue } from "@convergent/core";

/**
 * One timestamped write: the value and its HLC timestamp, flattened into one object so a map
 * of 100,000 keys holds 100,000 small objects rather than twice as many. Immutable: states
 * share entries, and join replaces an entry rather than editing it. A `value` of `undefined`
 * is a tombstone.
 */
export interface LwwEntry<V extends PlainValue | undefined = PlainValue> extends HlcTimestamp {
  readonly value: V;
}

/**
 * The total order LWW keeps the greatest of: the HLC timestamp (wall time, logical counter,
 * then replica id), then, for two entries with the very same timestamp, a tombstone above every
 * value, and values by `comparePlainValues`.
 *
 * A tombstone at a write's own timestamp is what an exact delete (`reset`) leaves: "this write
 * was deleted". It must beat that write and nothing newer, so it sits directly above it, and
 * since all tombstones are alike, two deletes of the same write are the same entry. Two
 * different values at one timestamp cannot come from one clock (it never issues a timestamp
 * twice); they come from a buggy or hostile peer, or from the residual edge in `stamp`, and are
 * ordered by value so join stays commutative and deterministic even then.
 */
export function compareEntries(
  a: LwwEntry<PlainValue | undefined>,
  b: LwwEntry<PlainValue | undefined>,
): number {
  if (a.wallTime !== b.wallTime) return a.wallTime < b.wallTime ? -1 : 1;
  if (a.logical !== b.logical) return a.logical < b.logical ? -1 : 1;
  if (a.replica !== b.replica) return a.replica < b.replica ? -1 : 1;
  if (a.value === b.value) return 0;
  if (a.value === undefined) return 1;
  if (b.value === undefined) return -1;
  return comparePlainValues(a.value, b.value);
}

/** `entry` deleted: a tombstone at its own timestamp (what `reset` writes; no clock involved). */
export function tombstoneOf(entry: HlcTimestamp): LwwEntry<undefined> {
  return {
    value: undefined,
    wallTime: entry.wallTime,
    logical: entry.logical,
    replica: entry.replica,
  };
}

/**
 * Stamps a new write so it supersedes `current`: a write made after reading a value replaces it
 * even when the writer's clock is behind the previous writer's. The clock moves at most once,
 * by one call that either succeeds or leaves it untouched, so a write that throws leaves the
 * HLC exactly as it was:
 *
 * - no `current`, or the clock has already passed it: `clock.now()`;
 * - otherwise the clock receives `current` (Kulkarni et al. 2014, receive rule), which yields
 *   a timestamp above it and above everything the clock issued;
 * - if the clock rejects `current` as further ahead of physical time than its `maxDriftMs`
 *   (a far-future entry from a peer), the write is stamped just above `current` (same wall
 *   time, logical + 1, this writer's replica; wall time + 1 and logical 0 when logical is at
 *   its maximum) and the HLC does not move. The write still beats the value it was made after,
 *   and the far-future time never enters this replica's clock.
 *
 * Residual edge of the last rule: once this replica's own clock reaches that far-future time it
 * could issue the same timestamp again; equal timestamps are ordered by value, so replicas
 * still converge, but which of the two writes wins is then decided by value, not by time.
 */
export function stamp<V extends PlainValue | undefined>(
  clock: HybridLogicalClock,
  current: HlcTimestamp | undefined,
  value: V,
): LwwEntry<V> {
  let ts: HlcTimestamp;
  if (current === undefined || compareHlc(clock.peek(), current) >= 0) {
    ts = clock.now();
  } else {
    try {
      ts = clock.receive(current);
    } catch (error) {
      if (!(error instanceof ClockDriftError)) throw error;
      ts = justAbove(current, clock.replica);
    }
  }
  return { value, wallTime: ts.wallTime, logical: ts.logical, replica: ts.replica };
}

function justAbove(current: HlcTimestamp, replica: HlcTimestamp["replica"]): HlcTimestamp {
  if (current.logical < MAX_HLC_LOGICAL) {
    return { wallTime: current.wallTime, logical: current.logical + 1, replica };
  }
  if (current.wallTime >= MAX_HLC_WALL_TIME) {
    throw new ClockOverflowError(
      "the current entry holds the largest HLC timestamp, so no write can be stamped above it; " +
        "delete it with reset instead",
    );
  }
  return { wallTime: current.wallTime + 1, logical: 0, replica };
}
