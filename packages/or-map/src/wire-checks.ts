import { DecodeError, type DecodeLimits } from "@convergent/core";

/**
 * Runs a decoder and turns anything but a DecodeError (a throwing getter or a proxy in hostile
 * input) into one, so `fromWire` throws DecodeError and nothing else.
 */
export function decoding<T>(what: string, decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (error instanceof DecodeError) throw error;
    throw new DecodeError("MALFORMED", `${what} could not be read`, { cause: error });
  }
}

export function checkEntries(what: string, count: number, limits: DecodeLimits): void {
  if (count > limits.maxEntries) {
    throw new DecodeError(
      "LIMIT_EXCEEDED",
      `${what} has ${count} entries; the limit is ${limits.maxEntries}`,
    );
  }
}

/** A safe integer in `[min, max]`, or a DecodeError naming `what`. */
export function checkCount(what: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number") throw new DecodeError("WRONG_TYPE", `${what} must be a number`);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new DecodeError("INVALID_VALUE", `${what} must be an integer in [${min}, ${max}]`);
  }
  return value;
}

// A lone surrogate does not survive UTF-8, so two such names could arrive as one.
export function hasLoneSurrogate(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0xd800 || code > 0xdfff) continue;
    const next = text.charCodeAt(i + 1);
    if (code > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return true;
    i += 1;
  }
  return false;
}
