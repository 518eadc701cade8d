/**
 * A small seeded pseudo-random generator for reproducible simulations: sfc32 (Chris
 * Doty-Humphrey's "small fast counting" generator, which passes PractRand), with its 128-bit state
 * expanded from a 32-bit seed by splitmix32. Not for anything security-related.
 */
import { InvalidArgumentError } from "@convergent/core";

/** A source of uniform numbers in [0, 1); `Math.random` fits, and so does a `Prng`'s `next`. */
export type RandomSource = () => number;

export class Prng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /** `seed` is any integer; it is reduced to 32 bits. */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) {
      throw new InvalidArgumentError(`seed must be a safe integer, got ${seed}`);
    }
    let s = seed >>> 0;
    // splitmix32 spreads nearby seeds (1, 2, 3...) over unrelated states.
    const splitmix = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
      z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
      return (z ^ (z >>> 15)) >>> 0;
    };
    this.#a = splitmix();
    this.#b = splitmix();
    this.#c = splitmix();
    this.#d = splitmix();
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    let t = (this.#a + this.#b) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#d = (this.#d + 1) | 0;
    t = (t + this.#d) | 0;
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** A uniform number in [0, 1) with 32 bits of precision. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** A uniform integer in [0, bound), for bound in [1, 2^32]. */
  nextInt(bound: number): number {
    if (!Number.isInteger(bound) || bound < 1 || bound > 4294967296) {
      throw new InvalidArgumentError(`bound must be an integer in [1, 2^32], got ${bound}`);
    }
    // Multiply-shift maps 32 random bits onto [0, bound); its bias is below 2^-32 * bound.
    return Math.floor(this.next() * bound);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return p > 0 && this.next() < p;
  }

  /** A new generator seeded from this one, for an independent stream (e.g. one per replica). */
  fork(): Prng {
    return new Prng(this.nextUint32());
  }

  /** This generator as a plain `RandomSource` function. */
  source(): RandomSource {
    return () => this.next();
  }
}
