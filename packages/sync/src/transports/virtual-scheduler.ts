/**
 * A scheduler on a virtual clock: time moves only when the owner calls `advance`, `step`,
 * `runUntil` or `runUntilIdle`, and events due at the same instant run in the order they were
 * scheduled. Together with a seeded random source this makes a whole run (deliveries and the
 * protocol's timers alike) a pure function of its inputs.
 */
import { InvalidArgumentError } from "@convergent/core";
import { SimulationError } from "./errors.js";
import type { Scheduler, TimerHandle } from "./scheduler.js";

interface Entry {
  readonly id: number;
  readonly time: number;
  readonly callback: () => void;
}

/** Entries are ordered by due time, then by scheduling order, which keeps ties deterministic. */
function before(a: Entry, b: Entry): boolean {
  return a.time < b.time || (a.time === b.time && a.id < b.id);
}

/** Default event budget of `runUntilIdle`; generous, yet stops a self-rescheduling timer. */
export const DEFAULT_MAX_EVENTS = 1_000_000;

export class VirtualScheduler implements Scheduler {
  #now = 0;
  #nextId = 1;
  #running = false;
  // A binary min-heap; cleared timers stay in it and are skipped when they surface.
  readonly #heap: Entry[] = [];
  readonly #pending = new Map<number, Entry>();

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    if (typeof callback !== "function") {
      throw new InvalidArgumentError("setTimeout needs a callback function");
    }
    if (!Number.isFinite(delayMs)) {
      throw new InvalidArgumentError(`timer delay must be a finite number, got ${delayMs}`);
    }
    const entry: Entry = { id: this.#nextId++, time: this.#now + Math.max(0, delayMs), callback };
    this.#pending.set(entry.id, entry);
    this.#push(entry);
    return entry.id as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#pending.delete(handle as unknown as number);
  }

  /** Number of timers that have not yet fired or been cleared. */
  pending(): number {
    return this.#pending.size;
  }

  /** When the next pending timer is due, or undefined when there is none. */
  nextDue(): number | undefined {
    return this.#peek()?.time;
  }

  /** Runs the earliest pending timer, moving the clock to its due time. False when idle. */
  step(): boolean {
    this.#assertNotRunning();
    const entry = this.#peek();
    if (entry === undefined) return false;
    this.#run(entry);
    return true;
  }

  /** Runs every timer due within the next `ms` in order, then sets the clock to now + `ms`. */
  advance(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new InvalidArgumentError(`advance needs a finite, non-negative duration, got ${ms}`);
    }
    this.#assertNotRunning();
    const deadline = this.#now + ms;
    let ran = 0;
    for (let entry = this.#peek(); entry !== undefined && entry.time <= deadline; ) {
      this.#run(entry);
      ran++;
      entry = this.#peek();
    }
    this.#now = deadline;
    return ran;
  }

  /**
   * Runs timers in order until none is pending and returns how many ran. Throws SimulationError
   * after `maxEvents`, which is what a periodic timer that never stops looks like; use
   * `advance` or `runUntil` for those.
   */
  runUntilIdle(maxEvents = DEFAULT_MAX_EVENTS): number {
    let ran = 0;
    while (this.step()) {
      ran++;
      if (ran >= maxEvents && this.#peek() !== undefined) {
        throw new SimulationError(
          `still busy after ${ran} events at t=${this.#now} ms; a timer probably reschedules ` +
            "itself forever. Use advance() or runUntil() with a deadline instead.",
        );
      }
    }
    return ran;
  }

  /**
   * Runs timers in order until `condition()` holds (checked before the first and after every
   * event) or until `timeoutMs` of virtual time has passed. Returns whether the condition held.
   */
  runUntil(condition: () => boolean, timeoutMs: number): boolean {
    if (!Number.isFinite(timeoutMs) || timeoutMs < 0) {
      throw new InvalidArgumentError(
        `runUntil needs a finite, non-negative timeout, got ${timeoutMs}`,
      );
    }
    this.#assertNotRunning();
    const deadline = this.#now + timeoutMs;
    if (condition()) return true;
    for (let entry = this.#peek(); entry !== undefined && entry.time <= deadline; ) {
      this.#run(entry);
      if (condition()) return true;
      entry = this.#peek();
    }
    this.#now = deadline;
    return condition();
  }

  #assertNotRunning(): void {
    if (this.#running) {
      throw new SimulationError(
        "the virtual clock was advanced from inside one of its own callbacks; schedule a timer instead",
      );
    }
  }

  #run(entry: Entry): void {
    this.#pop();
    this.#pending.delete(entry.id);
    this.#now = entry.time;
    this.#running = true;
    try {
      entry.callback();
    } finally {
      this.#running = false;
    }
  }

  /** The earliest live entry, discarding cleared ones on the way. */
  #peek(): Entry | undefined {
    for (let top = this.#heap[0]; top !== undefined; top = this.#heap[0]) {
      if (this.#pending.has(top.id)) return top;
      this.#pop();
    }
    return undefined;
  }

  #push(entry: Entry): void {
    const heap = this.#heap;
    let i = heap.push(entry) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (!before(entry, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = entry;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && before(heap[right]!, heap[left]!) ? right : left;
      if (!before(heap[child]!, last)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
  }
}
