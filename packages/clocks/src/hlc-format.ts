import { InvalidClockValueError } from "./errors.js";
import { assertHlcTimestamp, type HlcTimestamp } from "./hlc.js";
import type { ReplicaId } from "./replica-id.js";

// 12 hex digits of wall time, 8 of logical counter: fixed width, so string order = timestamp order.
const WALL_DIGITS = 12;
const LOGICAL_DIGITS = 8;
const REPLICA_OFFSET = WALL_DIGITS + 1 + LOGICAL_DIGITS + 1;
const HEX = /^[0-9a-f]+$/;

/**
 * `wwwwwwwwwwww.llllllll.replica`: sorts lexicographically in the same order as compareHlc,
 * because the numeric parts are fixed-width lowercase hex and the replica id comes last.
 */
export function hlcToString(ts: HlcTimestamp): string {
  // An out-of-range part would be wider than its fixed field and silently break the sort order.
  assertHlcTimestamp(ts);
  return (
    ts.wallTime.toString(16).padStart(WALL_DIGITS, "0") +
    "." +
    ts.logical.toString(16).padStart(LOGICAL_DIGITS, "0") +
    "." +
    ts.replica
  );
}

export function hlcFromString(text: string): HlcTimestamp {
  if (typeof text !== "string") {
    throw new InvalidClockValueError(`HLC timestamp string must be a string, got ${typeof text}`);
  }
  const wallHex = text.slice(0, WALL_DIGITS);
  const logicalHex = text.slice(WALL_DIGITS + 1, REPLICA_OFFSET - 1);
  if (
    text.length <= REPLICA_OFFSET ||
    text[WALL_DIGITS] !== "." ||
    text[REPLICA_OFFSET - 1] !== "." ||
    !HEX.test(wallHex) ||
    !HEX.test(logicalHex)
  ) {
    throw new InvalidClockValueError(`not an HLC timestamp string: ${JSON.stringify(text)}`);
  }
  const ts = {
    wallTime: Number.parseInt(wallHex, 16),
    logical: Number.parseInt(logicalHex, 16),
    replica: text.slice(REPLICA_OFFSET) as ReplicaId,
  };
  assertHlcTimestamp(ts);
  return ts;
}

const encoder = new TextEncoder();
// ignoreBOM keeps a leading U+FEFF in the replica id instead of silently dropping it.
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const FIXED_BYTES = 10;

/** 6 bytes wall time and 4 bytes logical (both big-endian), then the replica id in UTF-8. */
export function hlcToBytes(ts: HlcTimestamp): Uint8Array {
  // DataView setters truncate out-of-range numbers without complaint; refuse them instead.
  assertHlcTimestamp(ts);
  const replica = encoder.encode(ts.replica);
  const bytes = new Uint8Array(FIXED_BYTES + replica.length);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, Math.floor(ts.wallTime / 2 ** 32));
  view.setUint32(2, ts.wallTime >>> 0);
  view.setUint32(6, ts.logical);
  bytes.set(replica, FIXED_BYTES);
  return bytes;
}

export function hlcFromBytes(bytes: Uint8Array): HlcTimestamp {
  if (!(bytes instanceof Uint8Array))
    throw new InvalidClockValueError("HLC bytes must be a Uint8Array");
  if (bytes.length <= FIXED_BYTES) {
    throw new InvalidClockValueError("HLC bytes too short");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let replica: string;
  try {
    replica = decoder.decode(bytes.subarray(FIXED_BYTES));
  } catch {
    throw new InvalidClockValueError("HLC replica id is not valid UTF-8");
  }
  const ts = {
    wallTime: view.getUint16(0) * 2 ** 32 + view.getUint32(2),
    logical: view.getUint32(6),
    replica: replica as ReplicaId,
  };
  assertHlcTimestamp(ts);
  return ts;
}
