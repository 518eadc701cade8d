/**
 * Which replicas hold a write: each peer's known keyspace context (from the contexts it
 * announces in sync requests) and the keys it acknowledged (with the dots they had when
 * pushed). Peers send both only after their storage committed (the output gate), so "holds"
 * means "holds durably". A write at level W waits here until W replicas, itself included, do.
 *
 * Bounded (issue 12, items 5 and 9): a peer's announced context replaces the one before (an
 * honest peer's only grows), an empty one (the engine sends it when the connection closes)
 * forgets the peer, so only connected peers ever count; at most `maxPeers` contexts are kept,
 * and a context whose cloud holds more than `maxCloudDotsPerPeer` dots is kept without its
 * cloud. Forgetting or trimming only under-counts: a write then waits for a push ack instead.
 */
import {
  type CausalContext,
  causalContextIncludes,
  containsDot,
  type Dot,
  emptyCausalContext,
  joinCausalContextInto,
  type MutableCausalContext,
  type ReplicaId,
} from "@convergent/clocks";
import type { AcknowledgedKey, Scheduler, TimerHandle } from "@convergent/sync";

/** `ok` when enough replicas confirmed in time; `confirmed` lists those that did. */
export interface WaitOutcome {
  readonly ok: boolean;
  readonly confirmed: readonly ReplicaId[];
}

/** Caps of what an AckTracker remembers of peers' contexts. */
export interface AckLimits {
  /** Peers whose context is remembered (default 1,024); announcements of more are ignored. */
  readonly maxPeers: number;
  /** Cloud dots kept per peer (default 10,000); a larger cloud is dropped, the vector kept. */
  readonly maxCloudDotsPerPeer: number;
}

export const DEFAULT_ACK_LIMITS: AckLimits = Object.freeze({
  maxPeers: 1024,
  maxCloudDotsPerPeer: 10_000,
});

interface Waiter {
  readonly key: string;
  readonly dot: Dot;
  readonly required: number;
  readonly confirmed: Set<ReplicaId>;
  readonly resolve: (outcome: WaitOutcome) => void;
  timer: TimerHandle | undefined;
}

export class AckTracker {
  readonly #known = new Map<ReplicaId, MutableCausalContext>();
  readonly #waiters = new Set<Waiter>();
  readonly #scheduler: Scheduler;
  readonly limits: AckLimits;

  constructor(scheduler: Scheduler, limits: Partial<AckLimits> = {}) {
    this.#scheduler = scheduler;
    this.limits = { ...DEFAULT_ACK_LIMITS, ...limits };
  }

  /** Peers whose context is remembered. */
  get peers(): number {
    return this.#known.size;
  }

  /**
   * What `peer` announced it holds; it replaces what it announced before. An empty context
   * forgets the peer (its connection closed).
   */
  peerContext(peer: ReplicaId, context: CausalContext): void {
    if (context.versionVector.size === 0 && context.cloud.size === 0) {
      this.#known.delete(peer);
      return;
    }
    if (!this.#known.has(peer) && this.#known.size >= this.limits.maxPeers) return;
    const known = emptyCausalContext();
    for (const [replica, counter] of context.versionVector)
      known.versionVector.set(replica, counter);
    let cloud = 0;
    for (const counters of context.cloud.values()) cloud += counters.size;
    if (cloud <= this.limits.maxCloudDotsPerPeer) joinCausalContextInto(known, context);
    this.#known.set(peer, known);
    for (const waiter of this.#waiters) {
      if (containsDot(known, waiter.dot)) this.#confirm(waiter, peer);
    }
  }

  acknowledged(peer: ReplicaId, keys: readonly AcknowledgedKey[]): void {
    if (this.#waiters.size === 0) return;
    const byKey = new Map(keys.map((k) => [k.key, k.dots] as const));
    for (const waiter of this.#waiters) {
      const dots = byKey.get(waiter.key);
      // The pushed state held every update of the key up to its dots, ours included.
      if (dots?.some((d) => d.replica === waiter.dot.replica && d.counter >= waiter.dot.counter)) {
        this.#confirm(waiter, peer);
      }
    }
  }

  /** True when some peer announced a context holding a dot that `local` lacks. */
  behindSomePeer(local: CausalContext): boolean {
    for (const known of this.#known.values()) if (!causalContextIncludes(local, known)) return true;
    return false;
  }

  /**
   * Resolves once `required` replicas hold `dot` of `key` (`confirm` adds one, such as this
   * replica once its own storage committed), or after `timeoutMs` with `ok: false`.
   */
  wait(
    key: string,
    dot: Dot,
    required: number,
    timeoutMs: number,
  ): { promise: Promise<WaitOutcome>; confirm: (replica: ReplicaId) => void } {
    let waiter: Waiter | undefined;
    const promise = new Promise<WaitOutcome>((resolve) => {
      waiter = { key, dot, required, confirmed: new Set(), resolve, timer: undefined };
    });
    const w = waiter as Waiter;
    this.#waiters.add(w);
    w.timer = this.#scheduler.setTimeout(() => {
      if (!this.#waiters.delete(w)) return;
      w.resolve({ ok: false, confirmed: [...w.confirmed] });
    }, timeoutMs);
    for (const [peer, known] of this.#known) if (containsDot(known, dot)) w.confirmed.add(peer);
    return { promise, confirm: (replica) => this.#confirm(w, replica) };
  }

  /** Forgets what `peer` announced. */
  forget(peer: ReplicaId): void {
    this.#known.delete(peer);
  }

  /** Rejects nothing and forgets every waiter (the replica is closing). */
  clear(): void {
    for (const w of this.#waiters) if (w.timer !== undefined) this.#scheduler.clearTimeout(w.timer);
    this.#waiters.clear();
  }

  #confirm(waiter: Waiter, replica: ReplicaId): void {
    if (!this.#waiters.has(waiter)) return;
    waiter.confirmed.add(replica);
    if (waiter.confirmed.size < waiter.required) return;
    this.#waiters.delete(waiter);
    if (waiter.timer !== undefined) this.#scheduler.clearTimeout(waiter.timer);
    waiter.resolve({ ok: true, confirmed: [...waiter.confirmed] });
  }
}
