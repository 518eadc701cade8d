/**
 * Timers behind an interface, so the same transport and protocol code runs on the wall clock in
 * production and on the simulated network's virtual clock in tests (see `VirtualScheduler`),
 * where a minute of gossip takes microseconds and is reproducible from a seed.
 */

declare const timerBrand: unique symbol;

/** An opaque timer handle; only the scheduler that issued it can clear it. */
export type TimerHandle = { readonly [timerBrand]: true };

export interface Scheduler {
  /** Milliseconds on a monotonic clock with an arbitrary origin. */
  now(): number;
  /** Runs `callback` once, `delayMs` (clamped to at least 0) from now. */
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  /** Cancels a pending timer; a fired or already-cleared handle is ignored. */
  clearTimeout(handle: TimerHandle): void;
}

/** The wall-clock scheduler: `performance.now()` and the host's `setTimeout`. */
export const realTimeScheduler: Scheduler = {
  now: () => globalThis.performance.now(),
  setTimeout: (callback, delayMs) =>
    globalThis.setTimeout(callback, Math.max(0, delayMs)) as unknown as TimerHandle,
  clearTimeout: (handle) => {
    globalThis.clearTimeout(handle as unknown as Parameters<typeof globalThis.clearTimeout>[0]);
  },
};
