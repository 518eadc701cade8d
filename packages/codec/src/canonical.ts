import { DecodeError } from "@convergent/core";

/**
 * Rejects a frame unless it is exactly what this codec writes for the value decoded from it:
 * one encoding per value is what lets peers hash and compare frames.
 */
export function requireCanonical(bytes: Uint8Array, reencode: () => Uint8Array): void {
  let canonical: Uint8Array;
  try {
    canonical = reencode();
  } catch (error) {
    throw new DecodeError("MALFORMED", "the decoded value cannot be encoded again", {
      cause: error,
    });
  }
  if (!sameBytes(bytes, canonical)) {
    throw new DecodeError(
      "MALFORMED",
      "the frame is not in canonical form (unsorted or repeated entries, or non-shortest encodings)",
    );
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
