import { DecodeError, type DecodeLimits, FORBIDDEN_KEYS, type WirePlain } from "@convergent/core";
import { decodeUtf8 } from "./utf8.js";

// The value being read. Module state rather than a closure or an object: this is the hot loop
// of every decode, and reading never calls out to code that could start another read.
const EMPTY: Uint8Array = new Uint8Array(0);
let src = EMPTY;
let view = new DataView(EMPTY.buffer);
let pos = 0;
let maxStringLength = 0;

/**
 * Materializes the MessagePack value at `start`, which `scanMsgpack` has already checked for
 * structure, tokens, UTF-8, depth and sizes, into plain data: maps become plain objects once
 * their keys are checked (no `__proto__`, `constructor` or `prototype`, no repeats), 64-bit
 * integers become numbers when they are safe integers, floats must be finite, byte arrays are
 * copied out of the frame, and string lengths are checked exactly. Recursive: the scan has
 * bounded the depth by `maxDepth`, at most MAX_CONFIGURABLE_DEPTH.
 */
export function readValue(bytes: Uint8Array, start: number, limits: DecodeLimits): WirePlain {
  src = bytes;
  view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  pos = start;
  maxStringLength = limits.maxStringLength;
  try {
    return read();
  } finally {
    // Do not keep the frame alive.
    src = EMPTY;
    view = new DataView(EMPTY.buffer);
  }
}

function read(): WirePlain {
  const token = src[pos++] as number;
  if (token <= 0x7f) return token;
  if (token >= 0xe0) return token - 0x100;
  if (token <= 0x8f) return readMap(token & 0x0f);
  if (token <= 0x9f) return readArray(token & 0x0f);
  if (token <= 0xbf) return readString(token & 0x1f);
  switch (token) {
    case 0xc0:
      return null;
    case 0xc2:
      return false;
    case 0xc3:
      return true;
    case 0xc4:
      return readBytes(uint8());
    case 0xc5:
      return readBytes(uint16());
    case 0xc6:
      return readBytes(uint32());
    case 0xcb:
      return float64();
    case 0xcc:
      return uint8();
    case 0xcd:
      return uint16();
    case 0xce:
      return uint32();
    case 0xcf:
      return int64(false);
    case 0xd0:
      pos += 1;
      return view.getInt8(pos - 1);
    case 0xd1:
      pos += 2;
      return view.getInt16(pos - 2);
    case 0xd2:
      pos += 4;
      return view.getInt32(pos - 4);
    case 0xd3:
      return int64(true);
    case 0xd9:
      return readString(uint8());
    case 0xda:
      return readString(uint16());
    case 0xdb:
      return readString(uint32());
    case 0xdc:
      return readArray(uint16());
    case 0xdd:
      return readArray(uint32());
    case 0xde:
      return readMap(uint16());
    case 0xdf:
      return readMap(uint32());
    default:
      // Unreachable after the scan; kept so a gap between the two is an error, not a guess.
      throw new DecodeError("MALFORMED", "the frame holds a value outside the format");
  }
}

function uint8(): number {
  return src[pos++] as number;
}

function uint16(): number {
  pos += 2;
  return view.getUint16(pos - 2);
}

function uint32(): number {
  pos += 4;
  return view.getUint32(pos - 4);
}

function float64(): number {
  const value = view.getFloat64(pos);
  pos += 8;
  if (!Number.isFinite(value)) {
    throw new DecodeError("INVALID_VALUE", `the number ${value} is not finite`);
  }
  return value;
}

/** int 64 (`signed`) or uint 64, as a number when within ±(2^53 - 1). */
function int64(signed: boolean): number {
  const high = signed ? view.getInt32(pos) : view.getUint32(pos);
  const low = view.getUint32(pos + 4);
  pos += 8;
  // |high| below 2^21 keeps the value within ±2^53; only -2^53 itself is then unsafe.
  if (high >= -0x200000 && high < 0x200000 && (high !== -0x200000 || low !== 0)) {
    return high * 0x1_0000_0000 + low;
  }
  const exact = signed ? view.getBigInt64(pos - 8) : view.getBigUint64(pos - 8);
  throw new DecodeError("INVALID_VALUE", `the integer ${exact} is beyond ±(2^53 - 1)`);
}

function readString(length: number): string {
  const from = pos;
  pos += length;
  // UTF-16 length equals UTF-8 length for ASCII and is never more, so most strings are checked
  // here without decoding.
  if (length > maxStringLength) {
    const text = decodeUtf8(src, from, length);
    if (text.length > maxStringLength) {
      throw new DecodeError(
        "LIMIT_EXCEEDED",
        `a string of ${text.length} UTF-16 code units is longer than the limit of ${maxStringLength}`,
      );
    }
    return text;
  }
  return decodeUtf8(src, from, length);
}

function readBytes(length: number): Uint8Array {
  const copy = new Uint8Array(length);
  copy.set(src.subarray(pos, pos + length));
  pos += length;
  return copy;
}

function readArray(count: number): WirePlain[] {
  // The scan bounded count by the bytes left, so this allocation is bounded by the frame.
  const array = new Array<WirePlain>(count);
  for (let i = 0; i < count; i++) array[i] = read();
  return array;
}

function readMap(count: number): Record<string, WirePlain> {
  const object: Record<string, WirePlain> = {};
  for (let i = 0; i < count; i++) {
    // The scan checked every key is a string.
    const key = read() as string;
    if (FORBIDDEN_KEYS.has(key)) {
      throw new DecodeError("FORBIDDEN_KEY", `the map key "${key}" is not allowed`);
    }
    if (Object.hasOwn(object, key)) throw new DecodeError("MALFORMED", "a map repeats a key");
    object[key] = read();
  }
  return object;
}
