import {
  addDotInPlace,
  type CausalContext,
  causalContextIncludes,
  containsDot,
  type Dot,
  equalCausalContexts,
  joinCausalContextInto,
  type MutableCausalContext,
  maxCounter,
  type ReplicaId,
} from "@convergent/clocks";
import {
  type DotIndex,
  forEachLiveDot,
  indexDot,
  liveDotCount,
  lookupDot,
  unindexDot,
} from "./dot-index.js";
import type { ElementKey } from "./element.js";
import {
  dotList,
  type ElementDots,
  hasDot,
  isSingleDot,
  sameDots,
  withDot,
  withoutDot,
} from "./element-dots.js";
import { dotIndexOf, elementAt, type OrSetState } from "./state.js";

/**
 * `target := target ⊔ source` (Almeida, Shoker, Baquero 2018, dot-store join, Fig. 4 / the
 * ORSWOT merge of Bieniusa et al. 2012): a dot stays when both sides have it, or one side
 * has it and the other has not seen it; the contexts are united.
 *
 * Cost O(|source|), not O(|target|): the dots `source` removes are found by walking the
 * source context through the target's dot index (or, for a replica whose contiguous range in
 * the source context is longer than the target's live dots of it, the target's index for
 * that replica instead), and the dots it adds by walking its entries.
 */
export function joinInto<E>(target: OrSetState<E>, source: OrSetState<E>): OrSetState<E> {
  if (target === source) return target;
  if (joinOneDot(target, source)) return target;
  if (target.entries.size > 0) dropRemoved(target, source);
  const seen = target.context;
  for (const [key, dots] of source.entries) {
    if (isSingleDot(dots)) {
      if (!containsDot(seen, dots)) insert(target, source, key, dots);
    } else {
      for (const d of dots) if (!containsDot(seen, d)) insert(target, source, key, d);
    }
  }
  joinContextInto(target.context, source.context);
  return target;
}

/**
 * The join for the usual delta, one add or one remove of an element with a single dot: the
 * source context is that one dot, and the source holds at most that dot on one element. The
 * general path gives the same result; this one skips its scans of the source and allocates
 * nothing. Returns false, changing nothing, when `source` has any other shape.
 */
function joinOneDot<E>(target: OrSetState<E>, source: OrSetState<E>): boolean {
  const { versionVector, cloud } = source.context;
  let replica: ReplicaId | undefined;
  let counter = 0;
  if (versionVector.size === 0 && cloud.size === 1) {
    for (const [r, counters] of cloud) {
      if (counters.size !== 1) return false;
      replica = r;
      for (const c of counters) counter = c;
    }
  } else if (versionVector.size === 1 && cloud.size === 0) {
    for (const [r, c] of versionVector) {
      if (c !== 1) return false;
      replica = r;
      counter = 1;
    }
  } else {
    return false;
  }
  const { entries } = source;
  if (entries.size > 1 || replica === undefined) return false;
  let key: ElementKey | undefined;
  let held: Dot | undefined;
  for (const [k, dots] of entries) {
    if (!isSingleDot(dots) || dots.counter !== counter || dots.replica !== replica) return false;
    key = k;
    held = dots;
  }
  const seen = target.context;
  if (counter <= (seen.versionVector.get(replica) ?? 0) || seen.cloud.get(replica)?.has(counter)) {
    // Seen already, so it is not inserted; if it is live here and the source no longer holds
    // it, the source removed it.
    if (target.entries.size === 0) return true;
    const index = dotIndexOf(target);
    const live = lookupDot(index, replica, counter);
    if (live !== undefined) dropIfRemoved(target, source, index, live, replica, counter);
    return true;
  }
  // Unseen, so it cannot be live here: nothing to drop.
  if (key !== undefined && held !== undefined) {
    insert(target, source, key, held);
    addDotInPlace(seen, held);
  } else {
    addDotInPlace(seen, { replica, counter });
  }
  return true;
}

/** joinCausalContextInto, short-cut for the usual delta context: one dot above a gap. */
function joinContextInto(target: MutableCausalContext, source: CausalContext): void {
  if (source.versionVector.size === 0 && source.cloud.size === 1) {
    const [replica, counters] = source.cloud.entries().next().value as [
      ReplicaId,
      ReadonlySet<number>,
    ];
    if (counters.size === 1) {
      addDotInPlace(target, { replica, counter: counters.values().next().value as number });
      return;
    }
  }
  joinCausalContextInto(target, source);
}

/** Removes every target dot the source has seen but no longer holds on the same element. */
function dropRemoved<E>(target: OrSetState<E>, source: OrSetState<E>): void {
  const { versionVector, cloud } = source.context;
  if (versionVector.size !== 0) dropRemovedBelow(target, source, versionVector);
  if (cloud.size !== 0) dropRemovedInCloud(target, source, cloud);
}

function dropRemovedBelow<E>(
  target: OrSetState<E>,
  source: OrSetState<E>,
  versionVector: ReadonlyMap<ReplicaId, number>,
): void {
  const seen = target.context;
  for (const [replica, range] of versionVector) {
    // Only dots the target has seen can be live in it.
    const upTo = Math.min(range, maxCounter(seen, replica));
    if (upTo === 0) continue;
    const index = dotIndexOf(target);
    if (upTo <= liveDotCount(index, replica)) {
      for (let counter = 1; counter <= upTo; counter++) {
        const key = lookupDot(index, replica, counter);
        if (key !== undefined) dropIfRemoved(target, source, index, key, replica, counter);
      }
    } else {
      forEachLiveDot(index, replica, (counter, key) => {
        if (counter <= upTo) dropIfRemoved(target, source, index, key, replica, counter);
      });
    }
  }
}

function dropRemovedInCloud<E>(
  target: OrSetState<E>,
  source: OrSetState<E>,
  cloud: ReadonlyMap<ReplicaId, ReadonlySet<number>>,
): void {
  const seen = target.context;
  for (const [replica, counters] of cloud) {
    if (counters.size === 1) {
      // The common delta: one fresh dot, which the target has usually not seen (no lookup).
      const counter = counters.values().next().value as number;
      if (!containsDot(seen, { replica, counter })) continue;
    }
    const index = dotIndexOf(target);
    if (counters.size <= liveDotCount(index, replica)) {
      for (const counter of counters) {
        const key = lookupDot(index, replica, counter);
        if (key !== undefined) dropIfRemoved(target, source, index, key, replica, counter);
      }
    } else {
      forEachLiveDot(index, replica, (counter, key) => {
        if (counters.has(counter)) dropIfRemoved(target, source, index, key, replica, counter);
      });
    }
  }
}

function dropIfRemoved<E>(
  target: OrSetState<E>,
  source: OrSetState<E>,
  index: DotIndex,
  key: ElementKey,
  replica: ReplicaId,
  counter: number,
): void {
  if (hasDot(source.entries.get(key), replica, counter)) return;
  const remaining = withoutDot(target.entries.get(key) as ElementDots, replica, counter);
  if (remaining === undefined) {
    target.entries.delete(key);
    target.elements?.delete(key);
  } else {
    target.entries.set(key, remaining);
  }
  unindexDot(index, replica, counter);
}

function insert<E>(target: OrSetState<E>, source: OrSetState<E>, key: ElementKey, d: Dot): void {
  const current = target.entries.get(key);
  target.entries.set(key, withDot(current, d));
  if (current === undefined) target.elements?.set(key, elementAt(source, key));
  if (target.dotIndex !== undefined) indexDot(target.dotIndex, d, key);
}

/**
 * `a ⊑ b` exactly when `a ⊔ b = b`: b has seen everything a has, and every live dot of b
 * that a has seen is still live in a (otherwise a removed it and the join would drop it).
 */
export function leq<E>(a: OrSetState<E>, b: OrSetState<E>): boolean {
  if (!causalContextIncludes(b.context, a.context)) return false;
  return everyDotSeenIsLive(b, a.context, a);
}

function everyDotSeenIsLive<E>(b: OrSetState<E>, seen: CausalContext, a: OrSetState<E>): boolean {
  for (const [key, dots] of b.entries) {
    for (const d of dotList(dots)) {
      if (containsDot(seen, d) && !hasDot(a.entries.get(key), d.replica, d.counter)) return false;
    }
  }
  return true;
}

export function equals<E>(a: OrSetState<E>, b: OrSetState<E>): boolean {
  if (a.entries.size !== b.entries.size) return false;
  for (const [key, dots] of a.entries) {
    const other = b.entries.get(key);
    if (other === undefined || !sameDots(dots, other)) return false;
  }
  return equalCausalContexts(a.context, b.context);
}
