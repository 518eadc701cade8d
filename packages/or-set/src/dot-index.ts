import type { Dot, ReplicaId } from "@convergent/clocks";
import type { ElementKey } from "./element.js";
import { type ElementDots, isSingleDot } from "./element-dots.js";

/**
 * Which element each live dot is on, per replica. A replica's live counters are usually
 * dense (its own adds count up; a remove leaves a hole), so they are kept in an array offset
 * by the lowest counter: a slot costs 4 bytes and a lookup no hashing. When the live dots fill
 * less than a quarter of the span, or a dot lands below the array, that replica falls back to
 * a Map. Either way memory stays O(live dots).
 */
export type DotIndex = Map<ReplicaId, ReplicaDots>;

type ReplicaDots = DenseDots | Map<number, ElementKey>;

interface DenseDots {
  /** Counter of slots[0]. */
  offset: number;
  /** Element keys by counter - offset; never ends with a hole (leading holes are trimmed lazily). */
  slots: (ElementKey | undefined)[];
  live: number;
}

// Slack so that small, young indices never flip to a Map.
const SLACK = 16;

function tooSparse(span: number, live: number): boolean {
  return span > 4 * live + SLACK;
}

export function emptyDotIndex(): DotIndex {
  return new Map();
}

/** A copy that shares no mutable part with `index` (cheaper than rebuilding it from entries). */
export function cloneDotIndex(index: DotIndex): DotIndex {
  const copy: DotIndex = new Map();
  for (const [replica, dots] of index) {
    copy.set(
      replica,
      dots instanceof Map
        ? new Map(dots)
        : { offset: dots.offset, slots: dots.slots.slice(), live: dots.live },
    );
  }
  return copy;
}

export function lookupDot(
  index: DotIndex,
  replica: ReplicaId,
  counter: number,
): ElementKey | undefined {
  const dots = index.get(replica);
  if (dots === undefined) return undefined;
  if (dots instanceof Map) return dots.get(counter);
  return dots.slots[counter - dots.offset];
}

/** How many live dots of `replica` the index holds. */
export function liveDotCount(index: DotIndex, replica: ReplicaId): number {
  const dots = index.get(replica);
  if (dots === undefined) return 0;
  return dots instanceof Map ? dots.size : dots.live;
}

/** Calls `visit` for each live dot of `replica` (a snapshot: `visit` may delete). */
export function forEachLiveDot(
  index: DotIndex,
  replica: ReplicaId,
  visit: (counter: number, key: ElementKey) => void,
): void {
  const dots = index.get(replica);
  if (dots === undefined) return;
  if (dots instanceof Map) {
    for (const [counter, key] of [...dots]) visit(counter, key);
    return;
  }
  const { offset, slots } = dots;
  const live: [number, ElementKey][] = [];
  slots.forEach((key, i) => {
    if (key !== undefined) live.push([offset + i, key]);
  });
  for (const [counter, key] of live) visit(counter, key);
}

export function indexDot(index: DotIndex, d: Dot, key: ElementKey): void {
  const dots = index.get(d.replica);
  if (dots === undefined) {
    index.set(d.replica, { offset: d.counter, slots: [key], live: 1 });
  } else if (dots instanceof Map) {
    dots.set(d.counter, key);
  } else {
    const at = d.counter - dots.offset;
    const { slots } = dots;
    if (at >= 0 && at < slots.length) {
      if (slots[at] === undefined) dots.live++;
      slots[at] = key;
    } else if (at >= slots.length && !tooSparse(at + 1, dots.live + 1)) {
      while (slots.length < at) slots.push(undefined);
      slots.push(key);
      dots.live++;
    } else {
      const map = toMap(dots);
      map.set(d.counter, key);
      index.set(d.replica, map);
    }
  }
}

export function unindexDot(index: DotIndex, replica: ReplicaId, counter: number): void {
  const dots = index.get(replica);
  if (dots === undefined) return;
  if (dots instanceof Map) {
    dots.delete(counter);
    if (dots.size === 0) index.delete(replica);
    return;
  }
  const { slots } = dots;
  const at = counter - dots.offset;
  if (at < 0 || at >= slots.length || slots[at] === undefined) return;
  slots[at] = undefined;
  dots.live--;
  if (dots.live === 0) {
    index.delete(replica);
    return;
  }
  while (slots[slots.length - 1] === undefined) slots.pop();
  if (tooSparse(slots.length, dots.live)) index.set(replica, rebase(dots));
}

/**
 * Drops leading holes, or falls back to a Map when the live dots are scattered. Runs only
 * after more than three quarters of the slots became holes, so its O(slots) is amortized.
 */
function rebase(dots: DenseDots): ReplicaDots {
  const first = dots.slots.findIndex((key) => key !== undefined);
  if (tooSparse(dots.slots.length - first, dots.live)) return toMap(dots);
  dots.slots = dots.slots.slice(first);
  dots.offset += first;
  return dots;
}

/**
 * Builds the index of a whole state, dense per replica where its counters allow. Calls
 * `onDuplicate` for a dot found on a second element (only a hostile state has one).
 */
export function buildDotIndex(
  entries: ReadonlyMap<ElementKey, ElementDots>,
  onDuplicate?: (d: Dot) => void,
): DotIndex {
  // First pass: each replica's counter range and live count, to pick its representation.
  // Dots mostly come in runs of one replica, so the last replica's record is kept at hand
  // rather than looked up per dot.
  const ranges = new Map<ReplicaId, { min: number; max: number; live: number }>();
  let lastReplica: ReplicaId | undefined;
  let last = { min: 0, max: 0, live: 0 };
  const measure = (d: Dot) => {
    if (d.replica !== lastReplica) {
      const range = ranges.get(d.replica);
      lastReplica = d.replica;
      if (range === undefined) {
        last = { min: d.counter, max: d.counter, live: 1 };
        ranges.set(d.replica, last);
        return;
      }
      last = range;
    }
    if (d.counter < last.min) last.min = d.counter;
    if (d.counter > last.max) last.max = d.counter;
    last.live++;
  };
  for (const dots of entries.values()) {
    if (isSingleDot(dots)) measure(dots);
    else for (const d of dots) measure(d);
  }
  const index: DotIndex = new Map();
  for (const [replica, { min, max, live }] of ranges) {
    const span = max - min + 1;
    index.set(
      replica,
      tooSparse(span, live)
        ? new Map()
        : { offset: min, slots: new Array<ElementKey | undefined>(span).fill(undefined), live },
    );
  }
  let placing: ReplicaId | undefined;
  let into: ReplicaDots | undefined;
  const place = (d: Dot, key: ElementKey) => {
    if (d.replica !== placing) {
      placing = d.replica;
      into = index.get(d.replica);
    }
    const dots = into as ReplicaDots;
    if (dots instanceof Map) {
      if (dots.has(d.counter)) onDuplicate?.(d);
      dots.set(d.counter, key);
    } else {
      const at = d.counter - dots.offset;
      if (dots.slots[at] !== undefined) onDuplicate?.(d);
      dots.slots[at] = key;
    }
  };
  for (const [key, dots] of entries) {
    if (isSingleDot(dots)) place(dots, key);
    else for (const d of dots) place(d, key);
  }
  return index;
}

function toMap(dots: DenseDots): Map<number, ElementKey> {
  const map = new Map<number, ElementKey>();
  dots.slots.forEach((key, i) => {
    if (key !== undefined) map.set(dots.offset + i, key);
  });
  return map;
}
