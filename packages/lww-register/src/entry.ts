import { compareHlc, type HlcTimestamp, type HybridLogicalClock } from "@convergent/clocks";
import { comparePlainValues, type PlainValue } from "@convergent/core";

/**
 * One timestamped write: the value and its HLC timestamp, flattened into one object so a map
 * of 100,000 keys holds 100,000 small objects rather than twice as many. Immutable: states
 * share entries, and join replaces an entry rather than editing it. In an LWW map a
 * `value` of `undefined` is a tombstone.
 */
export interface LwwEntry<V extends PlainValue | undefined = PlainValue> extends HlcTimestamp {
  readonly value: V;
}

/**
 * The total order LWW keeps the greatest of: the HLC timestamp (wall time, logical counter,
 * then replica id), then, for two writes with the very same timestamp (which only a buggy or
 * hostile peer can produce, since a clock never issues a timestamp twice), the value, with a
 * tombstone below every value. Ordering by value keeps join commutative even then.
 */
export function compareEntries(
  a: LwwEntry<PlainValue | undefined>,
  b: LwwEntry<PlainValue | undefined>,
): number {
  if (a.wallTime !== b.wallTime) return a.wallTime < b.wallTime ? -1 : 1;
  if (a.logical !== b.logical) return a.logical < b.logical ? -1 : 1;
  if (a.replica !== b.replica) return a.replica < b.replica ? -1 : 1;
  if (a.value === b.value) return 0;
  if (a.value === undefined) return -1;
  if (b.value === undefined) return 1;
  return comparePlainValues(a.value, b.value);
}

/**
 * Stamps a new write so it supersedes `current`: a write made after reading a value replaces it
 * even when the writer's clock is behind the previous writer's. When the clock's next
 * timestamp does not beat `current`, the clock receives `current`'s timestamp instead, which
 * yields one above it (Kulkarni et al. 2014, receive rule). That receive throws
 * ClockDriftError when `current` is further ahead of this replica's physical time than the
 * clock's maxDriftMs, and leaves the state untouched.
 */
export function stamp<V extends PlainValue | undefined>(
  clock: HybridLogicalClock,
  current: HlcTimestamp | undefined,
  value: V,
): LwwEntry<V> {
  let ts = clock.now();
  if (current !== undefined && compareHlc(ts, current) <= 0) ts = clock.receive(current);
  return { value, wallTime: ts.wallTime, logical: ts.logical, replica: ts.replica };
}
