import type { Result } from "../harness.js";
import type { WorkloadFigures } from "../peers/figures.js";

/** Turns one implementation's figures for a workload into table rows. */
export function figureRows(
  suite: string,
  workload: string,
  implementation: string,
  figures: WorkloadFigures,
): Result[] {
  const name = figures.note === undefined ? implementation : `${implementation} (${figures.note})`;
  const row = (metric: string, value: number, unit: string): Result => ({
    suite,
    workload,
    implementation: name,
    metric,
    value,
    unit,
  });
  const rows = [
    row("ops/s", figures.opsPerSecond, "ops/s"),
    row("merge", figures.mergeMs, "ms"),
    row("encoded state", figures.encodedBytes, "bytes"),
  ];
  if (figures.heapBytesPerElement !== undefined) {
    rows.push(row("heap per live element", figures.heapBytesPerElement, "bytes/element"));
  }
  return rows;
}
