import { ConvergentError } from "@convergent/core";

/**
 * A count left the range where a JavaScript number is exact (0 to Number.MAX_SAFE_INTEGER).
 * Thrown instead of silently rounding; the state is left unchanged. Use `bigValue` for totals
 * beyond that range.
 */
export class CounterRangeError extends ConvergentError {
  constructor(message: string) {
    super("COUNTER_RANGE", message);
  }
}
