/**
 * Which keys are written as delta rows and when they fold (issue 13). A write to a key appends
 * its delta; once the deltas stored for a key outgrow its state row, the key is folded: its
 * whole state written again, which drops its delta rows in the same transaction. So a write
 * costs its delta in time and bytes, whatever the size of the value, and the rows of a key never
 * exceed twice its state. Keys whose state row is small are simply rewritten whole: a delta row
 * would save nothing there, and tracking them would cost more memory than their rows.
 */

/** State rows up to this many bytes are rewritten whole on every write (the default). */
export const WHOLE_STATE_BYTES = 512;

interface Logged {
  /** Bytes of the key's state row. */
  state: number;
  /** Bytes of the delta rows appended since. */
  deltas: number;
}

export class DeltaLog {
  /** Keys whose state row is larger than `#whole` bytes (the only ones written as deltas). */
  readonly #logged = new Map<string, Logged>();
  readonly #whole: number;

  constructor(wholeStateBytes: number) {
    this.#whole = wholeStateBytes;
  }

  /** Whether a write to `key` appends a delta row (rather than rewriting its state). */
  appends(key: string): boolean {
    return this.#logged.has(key);
  }

  /** A state row of `bytes` was written for `key` (its delta rows are gone with it). */
  stateWritten(key: string, bytes: number): void {
    if (bytes > this.#whole) this.#logged.set(key, { state: bytes, deltas: 0 });
    else this.#logged.delete(key);
  }

  /** A delta row of `bytes` was appended for `key`; true once the key's deltas outgrow it. */
  deltaAppended(key: string, bytes: number): boolean {
    const logged = this.#logged.get(key);
    if (logged === undefined) return false;
    logged.deltas += bytes;
    return logged.deltas > logged.state;
  }

  /** What storage held for a key at recovery. */
  recovered(key: string, stateBytes: number, deltaBytes: number): void {
    // A key with only delta rows is logged too: its next write appends, and folds it soon.
    if (stateBytes > this.#whole || (stateBytes === 0 && deltaBytes > 0))
      this.#logged.set(key, { state: stateBytes, deltas: deltaBytes });
  }

  /** The key is gone from storage. */
  forget(key: string): void {
    this.#logged.delete(key);
  }
}
