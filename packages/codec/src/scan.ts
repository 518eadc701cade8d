import { DecodeError, type DecodeLimits } from "@convergent/core";
import { isWellFormedUtf8 } from "./utf8.js";

/**
 * Walks one MessagePack value without materializing it, before anything is read from it: every
 * length prefix must fit in the frame, the value must end exactly at the end of the frame, only
 * the format's subset of MessagePack may appear, map keys must be strings, strings must be valid
 * UTF-8, and depth and collection sizes stay within the limits. Iterative, so hostile nesting
 * cannot overflow the stack; it allocates only two stacks of `maxDepth` slots, however large
 * the frame.
 */
export function scanMsgpack(bytes: Uint8Array, start: number, limits: DecodeLimits): void {
  const end = bytes.length;
  const { maxDepth, maxEntries } = limits;
  const maxStringBytes = 3 * limits.maxStringLength;
  // Items still to read in each open container (a map has two per entry, key first), and
  // whether it is a map. A count can exceed 2^32 for map 32, hence float 64 slots.
  const remaining = new Float64Array(maxDepth);
  const isMap = new Uint8Array(maxDepth);
  let depth = 0;
  let pos = start;

  do {
    if (pos >= end) throw new DecodeError("TRUNCATED", "frame ends before its value is complete");
    let isKey = false;
    if (depth > 0) {
      const left = remaining[depth - 1] as number;
      isKey = isMap[depth - 1] === 1 && left % 2 === 0;
      remaining[depth - 1] = left - 1;
    }
    const at = pos;
    const token = bytes[pos++] as number;
    let payload = 0; // bytes to skip for scalars and bin
    let strLength = -1;
    let count = -1;
    let map = false;

    if (token <= 0x7f || token >= 0xe0 || token === 0xc0 || token === 0xc2 || token === 0xc3) {
      // fixint, nil, booleans: the token is the whole value
    } else if (token <= 0x8f) {
      count = token & 0x0f;
      map = true;
    } else if (token <= 0x9f) {
      count = token & 0x0f;
    } else if (token <= 0xbf) {
      strLength = token & 0x1f;
    } else {
      // The length field of bin, str, array 16/32 and map 16/32: 1, 2 or 4 bytes.
      const size = LENGTH_FIELD[token - 0xc0] as number;
      let length = 0;
      if (size > 0) {
        if (size > end - pos) throw truncated(pos);
        length =
          size === 1
            ? (bytes[pos] as number)
            : size === 2
              ? ((bytes[pos] as number) << 8) | (bytes[pos + 1] as number)
              : (bytes[pos] as number) * 0x1000000 +
                (((bytes[pos + 1] as number) << 16) |
                  ((bytes[pos + 2] as number) << 8) |
                  (bytes[pos + 3] as number));
        pos += size;
      }
      switch (token) {
        case 0xc4:
        case 0xc5:
        case 0xc6:
          payload = length;
          break;
        case 0xcc:
        case 0xd0:
          payload = 1;
          break;
        case 0xcd:
        case 0xd1:
          payload = 2;
          break;
        case 0xce:
        case 0xd2:
          payload = 4;
          break;
        case 0xcb:
        case 0xcf:
        case 0xd3:
          payload = 8;
          break;
        case 0xd9:
        case 0xda:
        case 0xdb:
          strLength = length;
          break;
        case 0xdc:
        case 0xdd:
          count = length;
          break;
        case 0xde:
        case 0xdf:
          count = length;
          map = true;
          break;
        case 0xca:
          throw new DecodeError("MALFORMED", `float 32 at byte ${at}: the format writes float 64`);
        default:
          // 0xc1 and the extension family (0xc7-0xc9, 0xd4-0xd8) are not part of the format.
          throw new DecodeError(
            "MALFORMED",
            `MessagePack token 0x${token.toString(16)} at byte ${at} is not part of the format`,
          );
      }
    }

    if (isKey && strLength < 0) {
      throw new DecodeError("WRONG_TYPE", `map key at byte ${at} is not a string`);
    }
    if (strLength >= 0) {
      if (strLength > end - pos) throw truncated(pos);
      // A string's UTF-16 length is at least a third of its UTF-8 length; the exact check
      // follows decoding.
      if (strLength > maxStringBytes) {
        throw new DecodeError(
          "LIMIT_EXCEEDED",
          `string at byte ${at} is longer than the limit of ${limits.maxStringLength}`,
        );
      }
      if (!isWellFormedUtf8(bytes, pos, pos + strLength)) {
        throw new DecodeError("MALFORMED", `string at byte ${pos} is not valid UTF-8`);
      }
      pos += strLength;
    } else if (count >= 0) {
      const items = map ? count * 2 : count;
      if (items > end - pos) {
        throw new DecodeError(
          "TRUNCATED",
          `collection at byte ${at} declares ${count} entries, more than the frame can hold`,
        );
      }
      if (count > maxEntries) {
        throw new DecodeError(
          "LIMIT_EXCEEDED",
          `collection at byte ${at} has ${count} entries; the limit is ${maxEntries}`,
        );
      }
      if (depth + 1 > maxDepth) {
        throw new DecodeError(
          "LIMIT_EXCEEDED",
          `nesting at byte ${at} is deeper than the limit of ${maxDepth}`,
        );
      }
      if (items > 0) {
        remaining[depth] = items;
        isMap[depth] = map ? 1 : 0;
        depth++;
      }
    } else {
      if (payload > end - pos) throw truncated(pos);
      pos += payload;
    }

    while (depth > 0 && remaining[depth - 1] === 0) depth--;
  } while (depth > 0);

  if (pos !== end) {
    throw new DecodeError("TRAILING_BYTES", `${end - pos} bytes follow the end of the value`);
  }
}

/** Size of the length field after each token from 0xc0: bin, str, array and map 8/16/32. */
const LENGTH_FIELD = new Uint8Array(0x40);
for (const [token, size] of [
  [0xc4, 1],
  [0xc5, 2],
  [0xc6, 4],
  [0xd9, 1],
  [0xda, 2],
  [0xdb, 4],
  [0xdc, 2],
  [0xdd, 4],
  [0xde, 2],
  [0xdf, 4],
] as const) {
  LENGTH_FIELD[token - 0xc0] = size;
}

function truncated(pos: number): DecodeError {
  return new DecodeError("TRUNCATED", `a value at byte ${pos} runs past the end of the frame`);
}
