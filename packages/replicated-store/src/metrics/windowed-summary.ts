/**
 * A summary in the sense of Prometheus client summaries: count and sum since start (monotonic,
 * so rates can be taken), and quantiles over a sliding window only, so that a spike an hour
 * ago neither hides nor inflates today's p99. The window is a ring of `slots` quantile
 * sketches, each covering windowMs / slots; quantiles merge the slots that started within the
 * last windowMs, so they cover between windowMs − windowMs/slots and windowMs of history.
 */
import { InvalidArgumentError } from "@convergent/core";
import { QuantileSketch, type QuantileSketchOptions } from "./quantile-sketch.js";

export interface WindowOptions {
  /** Length of the sliding window for quantiles, in ms. Default 60,000. */
  readonly windowMs?: number;
  /** Sub-windows the window is cut into (memory: slots + 1 sketches). Default 6. */
  readonly slots?: number;
  readonly sketch?: QuantileSketchOptions;
}

/** What a summary reports; the `recent` figures cover the sliding window only. */
export interface SummarySnapshot {
  /** Observations since start. */
  readonly count: number;
  /** Sum of observations since start, in ms. */
  readonly sumMs: number;
  readonly recent: {
    readonly count: number;
    /** Undefined when no observation fell in the window. */
    readonly avgMs: number | undefined;
    readonly p50Ms: number | undefined;
    readonly p99Ms: number | undefined;
    readonly maxMs: number | undefined;
  };
}

interface Slot {
  readonly start: number;
  readonly sketch: QuantileSketch;
}

export class WindowedSummary {
  readonly #windowMs: number;
  readonly #slotMs: number;
  readonly #sketchOptions: QuantileSketchOptions;
  readonly #slots: Slot[] = [];
  #count = 0;
  #sumMs = 0;

  constructor(options: WindowOptions = {}) {
    const windowMs = options.windowMs ?? 60_000;
    const slots = options.slots ?? 6;
    if (!(Number.isFinite(windowMs) && windowMs > 0)) {
      throw new InvalidArgumentError(`windowMs must be a positive number, got ${windowMs}`);
    }
    if (!(Number.isInteger(slots) && slots >= 1 && slots <= 1000)) {
      throw new InvalidArgumentError(`slots must be an integer in [1, 1000], got ${slots}`);
    }
    this.#windowMs = windowMs;
    this.#slotMs = windowMs / slots;
    this.#sketchOptions = options.sketch ?? {};
    // Fail on bad sketch options now rather than at the first observation.
    new QuantileSketch(this.#sketchOptions);
  }

  /** Records `valueMs` at time `nowMs` (NaN is ignored, negatives count as 0). */
  add(valueMs: number, nowMs: number): void {
    if (Number.isNaN(valueMs)) return;
    const v = Math.max(valueMs, 0);
    this.#count += 1;
    this.#sumMs += v;
    this.#current(nowMs).add(v);
  }

  snapshot(nowMs: number): SummarySnapshot {
    this.#expire(nowMs);
    const merged = new QuantileSketch(this.#sketchOptions);
    for (const slot of this.#slots) merged.merge(slot.sketch);
    const n = merged.count;
    return {
      count: this.#count,
      sumMs: this.#sumMs,
      recent: {
        count: n,
        avgMs: n === 0 ? undefined : merged.sum / n,
        p50Ms: merged.quantile(0.5),
        p99Ms: merged.quantile(0.99),
        maxMs: merged.max,
      },
    };
  }

  #current(nowMs: number): QuantileSketch {
    const start = Math.floor(nowMs / this.#slotMs) * this.#slotMs;
    const last = this.#slots[this.#slots.length - 1];
    if (last !== undefined && last.start === start) return last.sketch;
    // A new slot, or the clock stepped back: expiry drops slots from the future it left.
    this.#expire(nowMs);
    const existing = this.#slots.find((slot) => slot.start === start);
    if (existing !== undefined) return existing.sketch;
    const sketch = new QuantileSketch(this.#sketchOptions);
    this.#slots.push({ start, sketch });
    return sketch;
  }

  /** Drops slots that ended before the window (and any from a future the clock stepped back from). */
  #expire(nowMs: number): void {
    const oldest = nowMs - this.#windowMs;
    let keep = 0;
    for (const slot of this.#slots) {
      if (slot.start >= oldest && slot.start <= nowMs) this.#slots[keep++] = slot;
    }
    this.#slots.length = keep;
  }
}
