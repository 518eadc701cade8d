/**
 * What one direction of a simulated link does to a frame: how long it takes (drawn per frame
 * from a latency distribution, so jitter reorders frames unless the link is `ordered`), and how
 * likely it is to be lost or duplicated. Loss and duplication are independent per frame, like
 * the fair-lossy links of Cachin, Guerraoui and Rodrigues, "Introduction to Reliable and Secure
 * Distributed Programming" (2011), section 2.4.
 */
import { InvalidArgumentError } from "@convergent/core";
import type { Prng } from "./prng.js";

export type LatencyDistribution =
  | { readonly kind: "fixed"; readonly ms: number }
  | { readonly kind: "uniform"; readonly minMs: number; readonly maxMs: number }
  /** `minMs` plus an exponential delay with mean `meanMs`: a floor with a long tail. */
  | { readonly kind: "exponential"; readonly meanMs: number; readonly minMs: number };

export const latency = {
  fixed: (ms: number): LatencyDistribution => checkedLatency({ kind: "fixed", ms }),
  uniform: (minMs: number, maxMs: number): LatencyDistribution =>
    checkedLatency({ kind: "uniform", minMs, maxMs }),
  exponential: (meanMs: number, minMs = 0): LatencyDistribution =>
    checkedLatency({ kind: "exponential", meanMs, minMs }),
};

export interface LinkConditions {
  readonly latency: LatencyDistribution;
  /** Probability in [0, 1] that a frame is silently lost. */
  readonly lossProbability: number;
  /** Probability in [0, 1] that a delivered frame arrives a second time, with its own latency. */
  readonly duplicateProbability: number;
  /**
   * When true, a frame is never delivered before one sent earlier on the same link (as on a TCP
   * connection); when false, latency jitter reorders frames.
   */
  readonly ordered: boolean;
}

/** A fast, perfect, unordered link: 1 ms, no loss, no duplicates. */
export const DEFAULT_LINK_CONDITIONS: LinkConditions = {
  latency: { kind: "fixed", ms: 1 },
  lossProbability: 0,
  duplicateProbability: 0,
  ordered: false,
};

function nonNegative(name: string, value: number): void {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError(`${name} must be a finite, non-negative number, got ${value}`);
  }
}

function checkedLatency(distribution: LatencyDistribution): LatencyDistribution {
  switch (distribution.kind) {
    case "fixed":
      nonNegative("latency ms", distribution.ms);
      break;
    case "uniform":
      nonNegative("latency minMs", distribution.minMs);
      nonNegative("latency maxMs", distribution.maxMs);
      if (distribution.maxMs < distribution.minMs) {
        throw new InvalidArgumentError(
          `latency maxMs (${distribution.maxMs}) must not be below minMs (${distribution.minMs})`,
        );
      }
      break;
    case "exponential":
      nonNegative("latency meanMs", distribution.meanMs);
      nonNegative("latency minMs", distribution.minMs);
      break;
    default:
      throw new InvalidArgumentError(
        `unknown latency distribution ${JSON.stringify((distribution as { kind: unknown }).kind)}`,
      );
  }
  return distribution;
}

function probability(name: string, value: number): void {
  if (typeof value !== "number" || !(value >= 0 && value <= 1)) {
    throw new InvalidArgumentError(`${name} must be a probability in [0, 1], got ${value}`);
  }
}

/** Overlays `changes` on `base`, validating the result; throws InvalidArgumentError. */
export function mergeLinkConditions(
  base: LinkConditions,
  changes: Partial<LinkConditions>,
): LinkConditions {
  const merged: LinkConditions = { ...base, ...changes };
  checkedLatency(merged.latency);
  probability("lossProbability", merged.lossProbability);
  probability("duplicateProbability", merged.duplicateProbability);
  if (typeof merged.ordered !== "boolean") {
    throw new InvalidArgumentError(`ordered must be a boolean, got ${typeof merged.ordered}`);
  }
  return merged;
}

/** Draws one frame's latency in milliseconds. */
export function sampleLatency(distribution: LatencyDistribution, random: Prng): number {
  switch (distribution.kind) {
    case "fixed":
      return distribution.ms;
    case "uniform":
      return distribution.minMs + random.next() * (distribution.maxMs - distribution.minMs);
    case "exponential":
      // Inverse transform; 1 - u lies in (0, 1], so the logarithm is finite.
      return distribution.minMs - distribution.meanMs * Math.log(1 - random.next());
  }
}
