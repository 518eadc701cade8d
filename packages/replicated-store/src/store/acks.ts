/**
 * Which replicas hold a write: each peer's known keyspace context (from the contexts it
 * announces in sync requests) and the keys it acknowledged (with the dots they had when
 * pushed). Peers send both only after their storage committed (the output gate), so "holds"
 * means "holds durably". A write at level W waits here until W replicas, itself included, do.
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

  constructor(scheduler: Scheduler) {
    this.#scheduler = scheduler;
  }

  peerContext(peer: ReplicaId, context: CausalContext): void {
    let known = this.#known.get(peer);
    if (known === undefined) {
      known = emptyCausalContext();
      this.#known.set(peer, known);
    }
    joinCausalContextInto(known, context);
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
