/**
 * A log-bucket quantile sketch with a relative-error guarantee (DDSketch: Masson, Rim, Lee,
 * "DDSketch: a fast and fully-mergeable quantile sketch with relative-error guarantees", VLDB
 * 2019). Bucket i counts the values in (γ^(i-1), γ^i] with γ = (1 + α) / (1 − α), and a quantile
 * is answered with 2γ^i / (γ + 1), which is within a factor 1 ± α of every value in the bucket.
 *
 * Error: for q in [0, 1], `quantile(q)` differs from the exact q-quantile x (the value of rank
 * ⌊q·(n − 1)⌋ in ascending order, 0-based) by at most α·x when x ≥ `minValue`; values below
 * `minValue` (including 0 and negatives, clamped) are counted in a zero bucket and reported as
 * 0, an absolute error below `minValue`. Values above `maxValue` are clamped to it.
 *
 * Memory: at most ⌈log_γ(maxValue / minValue)⌉ + 2 buckets whatever the number of values. The
 * defaults (α = 1 %, 1 µs to 10^12 ms) bound that at 1,730 buckets; a sparse map holds only the
 * buckets in use, typically a few dozen for latencies.
 */
import { InvalidArgumentError } from "@convergent/core";

export interface QuantileSketchOptions {
  /** α in (0, 1): the relative error bound. Default 0.01. */
  readonly relativeAccuracy?: number;
  /** Smallest value kept with relative accuracy; smaller ones read back as 0. Default 0.001. */
  readonly minValue?: number;
  /** Values above this are clamped to it. Default 1e12. */
  readonly maxValue?: number;
}

export const DEFAULT_RELATIVE_ACCURACY = 0.01;

interface Mapping {
  readonly alpha: number;
  readonly gamma: number;
  readonly logGamma: number;
  readonly minValue: number;
  readonly maxValue: number;
}

function mappingFor(options: QuantileSketchOptions): Mapping {
  const alpha = options.relativeAccuracy ?? DEFAULT_RELATIVE_ACCURACY;
  const minValue = options.minValue ?? 0.001;
  const maxValue = options.maxValue ?? 1e12;
  if (!(alpha > 0 && alpha < 1)) {
    throw new InvalidArgumentError(`relativeAccuracy must be in (0, 1), got ${alpha}`);
  }
  if (!(Number.isFinite(minValue) && minValue > 0)) {
    throw new InvalidArgumentError(`minValue must be a positive finite number, got ${minValue}`);
  }
  if (!(Number.isFinite(maxValue) && maxValue > minValue)) {
    throw new InvalidArgumentError(`maxValue must be finite and above minValue, got ${maxValue}`);
  }
  const gamma = (1 + alpha) / (1 - alpha);
  return { alpha, gamma, logGamma: Math.log(gamma), minValue, maxValue };
}

/** Counts per bucket plus exact count, sum and max; mergeable with sketches of the same mapping. */
export class QuantileSketch {
  readonly #mapping: Mapping;
  readonly #buckets = new Map<number, number>();
  #zeroCount = 0;
  #count = 0;
  #sum = 0;
  #max = Number.NEGATIVE_INFINITY;

  constructor(options: QuantileSketchOptions = {}) {
    this.#mapping = mappingFor(options);
  }

  get relativeAccuracy(): number {
    return this.#mapping.alpha;
  }

  get count(): number {
    return this.#count;
  }

  /** Sum of the values as added (after clamping); exact up to float rounding. */
  get sum(): number {
    return this.#sum;
  }

  /** Largest value added (after clamping), or undefined when empty. */
  get max(): number | undefined {
    return this.#count === 0 ? undefined : this.#max;
  }

  /** Number of buckets in use: the memory this sketch holds. */
  get bucketCount(): number {
    return this.#buckets.size + (this.#zeroCount > 0 ? 1 : 0);
  }

  /** Adds a value; NaN is ignored, negatives count as 0, values past `maxValue` as `maxValue`. */
  add(value: number): void {
    if (Number.isNaN(value)) return;
    const m = this.#mapping;
    const v = Math.min(Math.max(value, 0), m.maxValue);
    this.#count += 1;
    this.#sum += v;
    if (v > this.#max) this.#max = v;
    if (v < m.minValue) {
      this.#zeroCount += 1;
      return;
    }
    const index = Math.ceil(Math.log(v) / m.logGamma);
    this.#buckets.set(index, (this.#buckets.get(index) ?? 0) + 1);
  }

  /** Adds every value of `other` (same mapping) into this sketch. */
  merge(other: QuantileSketch): void {
    const a = this.#mapping;
    const b = other.#mapping;
    if (a.gamma !== b.gamma || a.minValue !== b.minValue || a.maxValue !== b.maxValue) {
      throw new InvalidArgumentError("cannot merge quantile sketches with different options");
    }
    for (const [index, n] of other.#buckets)
      this.#buckets.set(index, (this.#buckets.get(index) ?? 0) + n);
    this.#zeroCount += other.#zeroCount;
    this.#count += other.#count;
    this.#sum += other.#sum;
    if (other.#max > this.#max) this.#max = other.#max;
  }

  /** The q-quantile within the documented error, or undefined when the sketch is empty. */
  quantile(q: number): number | undefined {
    if (!(q >= 0 && q <= 1)) throw new InvalidArgumentError(`quantile must be in [0, 1], got ${q}`);
    if (this.#count === 0) return undefined;
    const rank = Math.floor(q * (this.#count - 1));
    if (rank < this.#zeroCount) return 0;
    if (rank === this.#count - 1) return this.#max;
    let seen = this.#zeroCount;
    const indices = [...this.#buckets.keys()].sort((x, y) => x - y);
    for (const index of indices) {
      seen += this.#buckets.get(index) ?? 0;
      if (seen > rank) return this.#valueOf(index);
    }
    return this.#max;
  }

  /** The bucket's representative, capped at the exact max (which only brings it closer). */
  #valueOf(index: number): number {
    const { gamma } = this.#mapping;
    return Math.min((2 * gamma ** index) / (gamma + 1), this.#max);
  }
}
