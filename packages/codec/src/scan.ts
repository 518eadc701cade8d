import { DecodeError, type DecodeLimits } from "@convergent/core";

/** What the structural scan learned that msgpackr's decoded tree no longer shows. */
export interface ScanResult {
  /** Declared entry count of every map, in document order: a decoded Map merges duplicate keys. */
  readonly mapSizes: readonly number[];
  /**
   * Strings whose bytes start with a byte order mark, keyed by their ordinal among all strings in
   * document order and decoded with the mark kept: msgpackr's pure-JS path (the browser path)
   * decodes long strings with a TextDecoder that strips a leading U+FEFF.
   */
  readonly bomStrings: ReadonlyMap<number, string>;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Walks one MessagePack value without materializing it, before msgpackr sees the bytes: every
 * length prefix must fit in the frame, the value must end exactly at the end of the frame, only
 * the format's subset of MessagePack may appear, map keys must be strings, strings must be valid
 * UTF-8, and depth and collection sizes stay within the limits. Iterative, so hostile nesting
 * cannot overflow the stack, and allocation-free apart from its small bookkeeping.
 */
export function scanMsgpack(bytes: Uint8Array, start: number, limits: DecodeLimits): ScanResult {
  const end = bytes.length;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const remaining: number[] = []; // items still to read in each open container
  const isMap: boolean[] = [];
  const mapSizes: number[] = [];
  const bomStrings = new Map<number, string>();
  let strings = 0;
  let pos = start;

  const need = (n: number): void => {
    if (n > end - pos) {
      throw new DecodeError("TRUNCATED", `a value at byte ${pos} runs past the end of the frame`);
    }
  };
  const lengthField = (size: 1 | 2 | 4): number => {
    need(size);
    const value =
      size === 1 ? (bytes[pos] as number) : size === 2 ? view.getUint16(pos) : view.getUint32(pos);
    pos += size;
    return value;
  };

  do {
    if (pos >= end) throw new DecodeError("TRUNCATED", "frame ends before its value is complete");
    const top = remaining.length - 1;
    const isKey = top >= 0 && isMap[top] === true && (remaining[top] as number) % 2 === 0;
    if (top >= 0) remaining[top] = (remaining[top] as number) - 1;
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
      switch (token) {
        case 0xc4:
          payload = lengthField(1);
          break;
        case 0xc5:
          payload = lengthField(2);
          break;
        case 0xc6:
          payload = lengthField(4);
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
          strLength = lengthField(1);
          break;
        case 0xda:
          strLength = lengthField(2);
          break;
        case 0xdb:
          strLength = lengthField(4);
          break;
        case 0xdc:
          count = lengthField(2);
          break;
        case 0xdd:
          count = lengthField(4);
          break;
        case 0xde:
          count = lengthField(2);
          map = true;
          break;
        case 0xdf:
          count = lengthField(4);
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
      need(strLength);
      // A string's UTF-16 length is at least a third of its UTF-8 length; the exact check
      // follows decoding.
      if (strLength > 3 * limits.maxStringLength) {
        throw new DecodeError(
          "LIMIT_EXCEEDED",
          `string at byte ${at} is longer than the limit of ${limits.maxStringLength}`,
        );
      }
      checkUtf8(bytes, pos, pos + strLength, strings, bomStrings);
      strings++;
      pos += strLength;
    } else if (count >= 0) {
      const items = map ? count * 2 : count;
      if (items > end - pos) {
        throw new DecodeError(
          "TRUNCATED",
          `collection at byte ${at} declares ${count} entries, more than the frame can hold`,
        );
      }
      if (count > limits.maxEntries) {
        throw new DecodeError(
          "LIMIT_EXCEEDED",
          `collection at byte ${at} has ${count} entries; the limit is ${limits.maxEntries}`,
        );
      }
      if (remaining.length + 1 > limits.maxDepth) {
        throw new DecodeError(
          "LIMIT_EXCEEDED",
          `nesting at byte ${at} is deeper than the limit of ${limits.maxDepth}`,
        );
      }
      if (map) mapSizes.push(count);
      if (items > 0) {
        remaining.push(items);
        isMap.push(map);
      }
    } else {
      need(payload);
      pos += payload;
    }

    while (remaining.length > 0 && remaining[remaining.length - 1] === 0) {
      remaining.pop();
      isMap.pop();
    }
  } while (remaining.length > 0);

  if (pos !== end) {
    throw new DecodeError("TRAILING_BYTES", `${end - pos} bytes follow the end of the value`);
  }
  return { mapSizes, bomStrings };
}

function checkUtf8(
  bytes: Uint8Array,
  from: number,
  to: number,
  ordinal: number,
  bomStrings: Map<number, string>,
): void {
  let i = from;
  while (i < to && (bytes[i] as number) < 0x80) i++;
  if (i === to) return;
  let decoded: string;
  try {
    decoded = utf8.decode(bytes.subarray(from, to));
  } catch (error) {
    throw new DecodeError("MALFORMED", `string at byte ${from} is not valid UTF-8`, {
      cause: error,
    });
  }
  if (decoded.charCodeAt(0) === 0xfeff) bomStrings.set(ordinal, decoded);
}
