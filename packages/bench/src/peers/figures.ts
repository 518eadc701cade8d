/** What every implementation reports for a workload, measured in one process and one run. */
export interface WorkloadFigures {
  /** Operations per second while applying the workload's operations (median over samples). */
  readonly opsPerSecond: number;
  /** Milliseconds to merge the replicas' states into one (median over samples). */
  readonly mergeMs: number;
  /** Bytes of the merged state in the implementation's own encoding. */
  readonly encodedBytes: number;
  /** Retained heap per live element of the merged state, when measured. */
  readonly heapBytesPerElement?: number;
  /** Set when the peer ran a smaller workload because the full one takes minutes. */
  readonly note?: string;
}

export const BATCH = 1000;

/** Runs `ops` operations in transactions of BATCH, the way a peer's users would batch them. */
export function batched(
  ops: number,
  transact: (run: () => void) => void,
  op: (i: number) => void,
): void {
  for (let start = 0; start < ops; start += BATCH) {
    const end = Math.min(ops, start + BATCH);
    transact(() => {
      for (let i = start; i < end; i++) op(i);
    });
  }
}
