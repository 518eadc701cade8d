import type { DecodeLimits, WirePlain } from "@convergent/core";
import { Packr } from "msgpackr/pack";
import { type FrameKind, HEADER_BYTES, writeHeader } from "./envelope.js";
import { EncodeError } from "./errors.js";
import { rewriteLargeIntegers } from "./int64.js";
import { toPackable } from "./packable.js";
import { readValue } from "./read-value.js";
import { scanMsgpack } from "./scan.js";

// No records/structures (they make bytes depend on what was packed before), no float 32, no
// extensions: toPackable hands over only nil, booleans, numbers, strings, byte arrays,
// arrays and Maps, for which msgpackr writes the shortest standard form.
const packr = new Packr({ useRecords: false, useFloat32: 0, moreTypes: false });

/** Writes header and body into one fresh frame, refusing frames a reader would reject. */
export function packFrame(kind: FrameKind, body: unknown, limits: DecodeLimits): Uint8Array {
  const packable = toPackable(body, limits);
  let packed: Uint8Array;
  try {
    packed = packr.pack(packable.value);
  } catch (error) {
    throw new EncodeError("UNSUPPORTED_VALUE", "msgpackr could not write the frame", {
      cause: error,
    });
  }
  const length = HEADER_BYTES + packed.length;
  if (length > limits.maxFrameBytes) {
    throw new EncodeError(
      "LIMIT_EXCEEDED",
      `the frame would be ${length} bytes; the limit is ${limits.maxFrameBytes}`,
    );
  }
  const frame = new Uint8Array(length);
  writeHeader(frame, kind);
  frame.set(packed, HEADER_BYTES);
  if (packable.largeIntegers) rewriteLargeIntegers(frame.subarray(HEADER_BYTES));
  return frame;
}

/**
 * Reads the body of a frame whose header was checked, in two passes: the scan validates
 * structure and limits on the raw bytes first, so the reader materializes only well-formed input
 * of bounded size and depth, and reports the value-level problems (string lengths, keys, number
 * ranges) after every structural one, in the order docs/format.md gives.
 */
export function unpackBody(frame: Uint8Array, limits: DecodeLimits): WirePlain {
  scanMsgpack(frame, HEADER_BYTES, limits);
  return readValue(frame, HEADER_BYTES, limits);
}
