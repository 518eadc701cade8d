/**
 * Where a replica keeps its keyspace between runs: per key the codec bytes of its state (and
 * keyspace dots), plus a few named metadata blobs (the causal context, the HLC, the dot
 * reservation mark). A write is acknowledged only once durable, and concurrent writes are
 * group-committed: one transaction, so one disk sync, per group (DeWitt et al., "Implementation
 * Techniques for Main Memory Database Systems", SIGMOD 1984, section 4: group commit).
 */

/** Everything committed so far. The maps and their bytes are fresh copies owned by the caller. */
export interface StorageSnapshot {
  readonly entries: Map<string, Uint8Array>;
  readonly meta: Map<string, Uint8Array>;
}

/**
 * One atomic write. `null` deletes an entry. Within a batch and across batches, the later
 * write to a key wins. The bytes are copied when `write` is called, so the caller may reuse
 * its buffers right away.
 */
export interface StorageBatch {
  readonly entries?: Iterable<readonly [key: string, value: Uint8Array | null]>;
  readonly meta?: Iterable<readonly [name: string, value: Uint8Array]>;
}

export interface StorageAdapter {
  /** Everything committed, after every write issued before this call has settled. */
  load(): Promise<StorageSnapshot>;
  /**
   * Resolves once the batch is durable. Writes issued while a commit is pending join the next
   * group: one transaction for all of them, and each promise resolves only after its own group
   * committed (promises resolve in the order the writes were issued). A failed commit rejects
   * every write of its group with `StorageWriteError` and leaves none of it visible. An empty
   * batch commits nothing: it resolves once every earlier write has settled.
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
