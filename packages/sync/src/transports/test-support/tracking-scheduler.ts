import { realTimeScheduler, type Scheduler, type TimerHandle } from "../scheduler.js";

/** The wall-clock scheduler, counting timers that are still pending. */
export class TrackingScheduler implements Scheduler {
  readonly #pending = new Set<TimerHandle>();

  get pending(): number {
    return this.#pending.size;
  }

  now(): number {
    return realTimeScheduler.now();
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const handle = realTimeScheduler.setTimeout(() => {
      this.#pending.delete(handle);
      callback();
    }, delayMs);
    this.#pending.add(handle);
    return handle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#pending.delete(handle);
    realTimeScheduler.clearTimeout(handle);
  }
}
