import { DEFAULT_DECODE_LIMITS, type DecodeLimits, InvalidArgumentError } from "@convergent/core";

/**
 * Highest nesting depth a codec may be configured with. Both msgpackr and the tree validation
 * recurse once per level, so this keeps a hostile frame far from the engine's stack limit.
 */
export const MAX_CONFIGURABLE_DEPTH = 1000;

/** Core's defaults with the caller's overrides, each checked to be a positive safe integer. */
export function resolveLimits(overrides: Partial<DecodeLimits> = {}): DecodeLimits {
  const limits: DecodeLimits = {
    maxFrameBytes: overrides.maxFrameBytes ?? DEFAULT_DECODE_LIMITS.maxFrameBytes,
    maxEntries: overrides.maxEntries ?? DEFAULT_DECODE_LIMITS.maxEntries,
    maxStringLength: overrides.maxStringLength ?? DEFAULT_DECODE_LIMITS.maxStringLength,
    maxReplicas: overrides.maxReplicas ?? DEFAULT_DECODE_LIMITS.maxReplicas,
    maxDepth: overrides.maxDepth ?? DEFAULT_DECODE_LIMITS.maxDepth,
  };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new InvalidArgumentError(`limit ${name} must be a positive safe integer, got ${value}`);
    }
  }
  if (limits.maxDepth > MAX_CONFIGURABLE_DEPTH) {
    throw new InvalidArgumentError(
      `limit maxDepth is ${limits.maxDepth}; the codec allows at most ${MAX_CONFIGURABLE_DEPTH}`,
    );
  }
  return Object.freeze(limits);
}
