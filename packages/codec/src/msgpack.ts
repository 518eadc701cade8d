import { DecodeError, type DecodeLimits, type WirePlain } from "@convergent/core";
import { Packr, Unpackr } from "msgpackr";
import { type FrameKind, HEADER_BYTES, writeHeader } from "./envelope.js";
import { EncodeError } from "./errors.js";
import { rewriteLargeIntegers } from "./int64.js";
import { toPackable } from "./packable.js";
import { scanMsgpack } from "./scan.js";
import { fromUnpacked } from "./unpacked.js";

// No records/structures (they make bytes depend on what was packed before), no float 32, no
// extensions: toPackable hands over only nil, booleans, numbers, strings, byte arrays,
// arrays and Maps, for which msgpackr writes the shortest standard form.
const packr = new Packr({ useRecords: false, useFloat32: 0, moreTypes: false });
// Maps decode as Map so keys are checked by us instead of assigned to an object by msgpackr.
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: false, int64AsType: "bigint" });

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
 * Reads the body of a frame whose header was checked: the scan validates structure and limits
 * on the raw bytes first, so msgpackr only ever sees well-formed input of bounded size and
 * depth; anything it still throws becomes a DecodeError.
 */
export function unpackBody(frame: Uint8Array, limits: DecodeLimits): WirePlain {
  const scan = scanMsgpack(frame, HEADER_BYTES, limits);
  let unpacked: unknown;
  try {
    // A fresh view: msgpackr caches a DataView on the object it is given.
    unpacked = unpackr.unpack(frame.subarray(HEADER_BYTES));
  } catch (error) {
    throw new DecodeError("MALFORMED", "msgpackr rejected the frame body", { cause: error });
  }
  return fromUnpacked(unpacked, scan, limits);
}
