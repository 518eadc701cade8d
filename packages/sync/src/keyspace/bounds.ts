/**
 * What a keyspace takes from a peer's causal context, and how large its own context may grow.
 * Contexts are claims ("I have seen these dots"), and a claim that runs ahead of the entries
 * backing it can silence an origin: every later dot of that origin below the claim looks seen
 * and is never asked for again (issue 12, items 1 and 2). So a claim is joined per origin only
 * up to what this keyspace can back with entries: the highest dot of that origin it knows once
 * the batch's own entries are in. An honest sender never needs more: the highest dot of an
 * origin in an honest context is the latest dot of some key, and a response carries that key
 * whenever the receiver lacks the dot.
 */
import {
  type CausalContext,
  emptyCausalContext,
  type MutableCausalContext,
  type ReplicaId,
} from "@convergent/clocks";

/** How large a keyspace's causal context may grow through remote batches. */
export interface KeyspaceLimits {
  /**
   * Most dots in the context's cloud (dots above the vector, seen out of order), default
   * 1,000,000. A remote batch whose entries would pass it is refused (`ContextLimitError`);
   * cloud dots a sender merely claims are dropped beyond it. Keep it at or below the sync
   * decoder's `maxContextDots` (2,000,000 by default), or this replica's own sync requests and
   * stored context become frames it would refuse.
   */
  readonly maxCloudDots: number;
  /**
   * Most origin replicas the context names, default 60,000: under the decoder's 65,536 replica
   * ids per frame, with room for the frame's two endpoints, so the whole context always fits in
   * one frame. A remote batch whose entries name more is refused.
   */
  readonly maxOrigins: number;
  /**
   * How far above what this replica issued a peer's claim on its own dots is believed, default
   * 1,048,576. Within it the counter skips past the claimed dots, so this replica's next writes
   * never reuse a dot a peer already bound to another key (which would hide them); beyond it
   * the claim is dropped, so no party can run the counter to its end (2^53 - 1 would take
   * billions of frames).
   */
  readonly maxOwnClaimAhead: number;
  /**
   * How far above an origin's highest dot that an entry here backs a relayed claim about that
   * origin is believed, default 1,024. A replica reserves its dots in blocks and, after a
   * restart, claims the unused rest of its last block, which no entry backs; a peer relaying
   * that claim (after the replica is gone, say) must still be believed, or contexts never agree.
   * Measured from backed dots, not from earlier claims, so repeated claims cannot ratchet.
   */
  readonly unbackedClaimSlack: number;
}

export const DEFAULT_KEYSPACE_LIMITS: KeyspaceLimits = Object.freeze({
  maxCloudDots: 1_000_000,
  maxOrigins: 60_000,
  maxOwnClaimAhead: 1_048_576,
  unbackedClaimSlack: 1_024,
});

/** Dots held in the cloud. */
export function cloudSize(context: CausalContext): number {
  let size = 0;
  for (const counters of context.cloud.values()) size += counters.size;
  return size;
}

/** Distinct replicas the context names. */
export function originCount(context: CausalContext): number {
  let count = context.versionVector.size;
  for (const replica of context.cloud.keys()) if (!context.versionVector.has(replica)) count += 1;
  return count;
}

/**
 * `claim` cut per origin at `bound(origin)`: vector counters lowered to it, cloud dots above it
 * dropped, origins whose bound is 0 left out. Counts what it cut in `cut.dots` (a vector entry
 * lowered counts once).
 */
export function boundedContext(
  claim: CausalContext,
  bound: (replica: ReplicaId) => number,
  cut: { dots: number } = { dots: 0 },
): MutableCausalContext {
  const result = emptyCausalContext();
  for (const [replica, counter] of claim.versionVector) {
    const max = bound(replica);
    if (counter > max) cut.dots += 1;
    if (max > 0) result.versionVector.set(replica, Math.min(counter, max));
  }
  for (const [replica, counters] of claim.cloud) {
    const max = bound(replica);
    const base = result.versionVector.get(replica) ?? 0;
    let kept: Set<number> | undefined;
    for (const counter of counters) {
      if (counter > max) {
        cut.dots += 1;
        continue;
      }
      if (counter <= base) continue;
      kept ??= new Set();
      kept.add(counter);
    }
    if (kept !== undefined) result.cloud.set(replica, kept);
  }
  return result;
}
