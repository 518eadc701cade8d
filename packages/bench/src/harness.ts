import { Bench } from "tinybench";

/** One measured figure. Throughputs and latencies are medians over the samples taken. */
export interface Result {
  readonly suite: string;
  readonly workload: string;
  readonly implementation: string;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
}

export interface SuiteOptions {
  /** Multiplies workload sizes; 1 gives the sizes the issues name. */
  readonly scale: number;
  /** Minimum time per tinybench task, in milliseconds. */
  readonly timeMs: number;
}

export type Suite = (options: SuiteOptions) => Promise<Result[]>;

/**
 * Median latency (ns) and median throughput (ops/s) of a tiny operation, measured by tinybench.
 * Each sample runs the operation `batch` times, so timer overhead does not dominate a 50 ns op.
 */
export async function microbench(
  tasks: Record<string, () => void>,
  options: SuiteOptions,
  batch = 1000,
): Promise<Map<string, { medianNs: number; opsPerSecond: number }>> {
  const bench = new Bench({ time: options.timeMs, warmupTime: Math.min(100, options.timeMs) });
  for (const [name, fn] of Object.entries(tasks)) {
    bench.add(name, () => {
      for (let i = 0; i < batch; i++) fn();
    });
  }
  await bench.run();
  const results = new Map<string, { medianNs: number; opsPerSecond: number }>();
  for (const task of bench.tasks) {
    const result = task.result;
    if (result === undefined || result.state !== "completed") {
      throw new Error(`benchmark task ${task.name} did not complete`);
    }
    const medianNs = (result.latency.p50 * 1e6) / batch;
    results.set(task.name, { medianNs, opsPerSecond: 1e9 / medianNs });
  }
  return results;
}

/**
 * Runs a whole workload `samples` times (fresh setup each time, not timed) and returns the
 * median of the timed part in milliseconds. For workloads too large for per-op timing.
 */
export function medianMs<T>(samples: number, setup: () => T, body: (input: T) => void): number {
  const times: number[] = [];
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < samples; i++) {
    const input = setup();
    // Collect earlier samples' garbage now, not inside the timed part.
    gc?.();
    const start = performance.now();
    body(input);
    times.push(performance.now() - start);
  }
  return median(times);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Heap bytes retained by what `build` returns, measured after forced GCs (needs --expose-gc). */
export function retainedHeapBytes(build: () => unknown): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("run the bench with node --expose-gc");
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const kept = build();
  gc();
  gc();
  const after = process.memoryUsage().heapUsed;
  // Keep `kept` alive until after the measurement.
  if (kept === undefined) return after - before;
  return after - before;
}
