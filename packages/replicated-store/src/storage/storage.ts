/**
 * Where a replica keeps its keyspace between runs: per key a state row (the codec bytes of its
 * state and keyspace dots) and the delta rows appended since that row was last written, plus a
 * few named metadata blobs (the causal context, the HLC, the dot reservation mark). Appending
 * a delta costs the delta's bytes, not the state's; the store folds a key's deltas into its
 * state row from time to time. A write is acknowledged only once durable, and concurrent writes
 * are group-committed: one transaction, so one disk sync, per group (DeWitt et al.,
 * "Implementation Techniques for Main Memory Database Systems", SIGMOD 1984, section 4).
 */

/**
 * Everything committed so far; recovering a key means joining its state row (if any) with its
 * delta rows. The maps, arrays and bytes are fresh copies owned by the caller.
 */
export interface StorageSnapshot {
  readonly entries: Map<string, Uint8Array>;
  /**
   * Per key, the delta rows appended since its state row was last written, oldest first. A key
   * without delta rows is absent; a key may have delta rows and no state row (a key whose
   * first writes were all deltas).
   */
  readonly deltas: Map<string, Uint8Array[]>;
  readonly meta: Map<string, Uint8Array>;
}

/**
 * One atomic write. Within a batch, `entries` apply first, whatever the order of the batch's
 * fields: writing a key's state row, or deleting it with `null`, also removes every delta row
 * stored for that key (a fold, or a delete). Then `deltas` are appended, in iteration order, so
 * a batch can fold a key and append a newer delta to it. Batches apply in the order written,
 * also when group commit puts several in one transaction, so the later state write to a key
 * (or meta name) wins and a key's deltas keep the order they were written in. The bytes are
 * copied when `write` is called, so the caller may reuse its buffers right away.
 */
export interface StorageBatch {
  readonly entries?: Iterable<readonly [key: string, value: Uint8Array | null]>;
  /** Rows appended to a key's deltas. */
  readonly deltas?: Iterable<readonly [key: string, delta: Uint8Array]>;
  readonly meta?: Iterable<readonly [name: string, value: Uint8Array]>;
}

export interface StorageAdapter {
  /** Everything committed, after every write issued before this call has settled. */
  load(): Promise<StorageSnapshot>;
  /**
   * Resolves once the batch is durable. Writes issued while a commit is pending join the next
   * group: one transaction for all of them, and each promise resolves only after its own group
   * committed (promises resolve in the order the writes were issued). A group commits wholly
   * or not at all, so a crash during a fold (state row written, deltas removed) loses nothing.
   * A failed commit rejects every write of its group with `StorageWriteError` and leaves none
   * of it visible. An empty batch commits nothing: it resolves once every earlier write has
   * settled.
   */
  write(batch: StorageBatch): Promise<void>;
  /**
   * Commits what is queued, then releases the storage. Idempotent; afterwards `load` and
   * `write` reject with `StorageClosedError`.
   */
  close(): Promise<void>;
  /** Transactions committed by this adapter since it was opened (for tests and metrics). */
  readonly commits: number;
}
