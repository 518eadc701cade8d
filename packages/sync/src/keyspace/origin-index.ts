/**
 * One origin replica's part of the keyspace index: keyspace sequence number -> entry, holding only
 * the latest dot per key. Sequence numbers are kept in an ascending array with lazy deletion, so
 * "every key with a seq above n" is a binary search plus a scan of what follows; superseded seqs
 * are skipped and the array is compacted once dead entries outnumber live ones, which keeps the
 * amortised cost of a write O(1) and of a scan O(d + superseded entries in the range).
 */
export class OriginIndex<V> {
  #seqs: number[] = [];
  readonly #keys = new Map<number, V>();

  get size(): number {
    return this.#keys.size;
  }

  /**
   * The highest seq ever indexed here (a seq is only removed when a higher one supersedes it,
   * so this is the origin's highest dot this keyspace holds an entry for), or 0.
   */
  get max(): number {
    return this.#seqs[this.#seqs.length - 1] ?? 0;
  }

  get(seq: number): V | undefined {
    return this.#keys.get(seq);
  }

  set(seq: number, key: V): void {
    if (this.#keys.has(seq)) {
      this.#keys.set(seq, key);
      return;
    }
    this.#keys.set(seq, key);
    const seqs = this.#seqs;
    const last = seqs[seqs.length - 1];
    // Local writes and in-order remote batches append; only out-of-order arrivals pay a splice.
    if (last === undefined || seq > last) seqs.push(seq);
    else {
      const at = firstAbove(seqs, seq - 1);
      // A seq deleted earlier may still sit in the array as a dead entry: revive it in place.
      if (seqs[at] !== seq) seqs.splice(at, 0, seq);
    }
  }

  delete(seq: number): void {
    if (!this.#keys.delete(seq)) return;
    if (this.#seqs.length > 2 * this.#keys.size + 32) {
      this.#seqs = this.#seqs.filter((s) => this.#keys.has(s));
    }
  }

  /** Calls `visit` for each live (seq, entry) with seq > `after`, ascending. */
  forEachAbove(after: number, visit: (seq: number, key: V) => void): void {
    const seqs = this.#seqs;
    for (let i = firstAbove(seqs, after); i < seqs.length; i++) {
      const seq = seqs[i] as number;
      const key = this.#keys.get(seq);
      if (key !== undefined) visit(seq, key);
    }
  }
}

/** Index of the first element greater than `value` in an ascending array. */
function firstAbove(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
