import {
  addDotInPlace,
  type Dot,
  emptyCausalContext,
  type MutableCausalContext,
  type ReplicaId,
} from "@convergent/clocks";

const SMALL = 8;

/**
 * The compacted causal context holding exactly `dots` (which must be distinct). Many dots are
 * built from sorted counters in one pass, because adding dots one at a time re-compacts a
 * replica's cloud on every step that extends its vector, which is quadratic for a large clear.
 */
export function contextOfDots(dots: readonly Dot[]): MutableCausalContext {
  if (dots.length === 1) return contextOfDot(dots[0] as Dot);
  const context = emptyCausalContext();
  if (dots.length <= SMALL) {
    // A re-add or a remove: a few dots, where re-compacting per dot is cheaper than sorting.
    for (const d of dots) addDotInPlace(context, d);
    return context;
  }
  const byReplica = new Map<ReplicaId, number[]>();
  for (const d of dots) {
    const counters = byReplica.get(d.replica);
    if (counters === undefined) byReplica.set(d.replica, [d.counter]);
    else counters.push(d.counter);
  }
  for (const [replica, counters] of byReplica) {
    counters.sort((x, y) => x - y);
    let contiguous = 0;
    while (contiguous < counters.length && counters[contiguous] === contiguous + 1) contiguous++;
    if (contiguous > 0) context.versionVector.set(replica, contiguous);
    if (contiguous < counters.length)
      context.cloud.set(replica, new Set(counters.slice(contiguous)));
  }
  return context;
}

/** The context of one dot: the common delta, so it skips the grouping above. */
export function contextOfDot(only: Dot): MutableCausalContext {
  const context = emptyCausalContext();
  if (only.counter === 1) context.versionVector.set(only.replica, 1);
  else context.cloud.set(only.replica, new Set<number>().add(only.counter));
  return context;
}
