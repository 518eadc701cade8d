/**
 * Reconnect delays: exponential backoff with full jitter, i.e. a uniform delay in
 * [0, min(maxDelayMs, baseDelayMs * 2^attempt)), which spreads a crowd of clients that lost the
 * same server (Brooker, "Exponential Backoff And Jitter", AWS Architecture Blog, 2015).
 */
import { InvalidArgumentError } from "@convergent/core";
import type { RandomSource } from "./prng.js";

export interface BackoffOptions {
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseDelayMs: 250, maxDelayMs: 30_000 };

export function backoffOptions(changes: Partial<BackoffOptions> = {}): BackoffOptions {
  const options = { ...DEFAULT_BACKOFF, ...changes };
  for (const [name, value] of Object.entries(options)) {
    if (!Number.isFinite(value) || value < 0) {
      throw new InvalidArgumentError(`backoff ${name} must be a finite, non-negative number`);
    }
  }
  if (options.maxDelayMs < options.baseDelayMs) {
    throw new InvalidArgumentError("backoff maxDelayMs must not be below baseDelayMs");
  }
  return options;
}

/** The delay before reconnect attempt `attempt` (0 for the first retry after a break). */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions,
  random: RandomSource,
): number {
  // Past 2^52 the ceiling is maxDelayMs anyway; capping keeps the power finite.
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.min(attempt, 52));
  return random() * ceiling;
}
