/** Rows of the store suite: a figure, its issue-13 target and whether it meets it, side by side. */
import type { Result } from "../harness.js";

export const SUITE = "store";
const MEASURED = "convergent store";

export interface Target {
  /** `max`: the figure must be at most `value`; `min`: at least. */
  readonly kind: "max" | "min";
  readonly value: number;
}

export interface Figure {
  readonly workload: string;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
}

/**
 * Three cells of one row: the figure, the target (unit suffixed "max" or "min") and the figure
 * as a multiple of the target with pass or FAIL. `atLeast` marks a figure that is only a lower
 * bound (a run stopped at its time cap): the multiple is then a lower bound too.
 */
export function targetRows(figure: Figure, target: Target, atLeast = false): Result[] {
  const { workload, metric, value, unit } = figure;
  const pass = target.kind === "max" ? value <= target.value : value >= target.value;
  const row = (implementation: string, v: number, u: string): Result => ({
    suite: SUITE,
    workload,
    implementation,
    metric,
    value: v,
    unit: u,
  });
  return [
    row(MEASURED, value, atLeast ? `${unit} (stopped at the cap: more)` : unit),
    row("target", target.value, `${unit} ${target.kind}`),
    row(
      "pass/fail",
      value / target.value,
      `× target${atLeast ? " (at least)" : ""}, ${pass ? "pass" : "FAIL"}`,
    ),
  ];
}

/** A figure shown without a target (context for the targeted ones). */
export function infoRow(figure: Figure): Result {
  return { suite: SUITE, implementation: MEASURED, ...figure };
}
