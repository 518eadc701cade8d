/**
 * Byte-level primitives for sync frames, in the style of lib0's encoding/decoding: unsigned
 * LEB128 varints (up to 2^53 - 1, so every safe integer fits), zigzag for signed deltas, and
 * length-prefixed UTF-8 and byte strings. The reader bounds every read and throws DecodeError,
 * so a truncated or hostile frame never reads past its end or allocates more than it holds.
 */
import { DecodeError } from "@convergent/core";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export class ByteWriter {
  #buffer = new Uint8Array(256);
  #length = 0;

  get length(): number {
    return this.#length;
  }

  #reserve(extra: number): void {
    if (this.#length + extra <= this.#buffer.length) return;
    let size = this.#buffer.length * 2;
    while (size < this.#length + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buffer.subarray(0, this.#length));
    this.#buffer = next;
  }

  byte(value: number): void {
    this.#reserve(1);
    this.#buffer[this.#length++] = value & 0xff;
  }

  /** Unsigned varint; `value` must be a safe non-negative integer. */
  uint(value: number): void {
    this.#reserve(8);
    let v = value;
    while (v >= 0x80) {
      this.#buffer[this.#length++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.#buffer[this.#length++] = v;
  }

  /** Signed varint by zigzag; `value` must be within +-(2^52 - 1). */
  int(value: number): void {
    this.uint(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  /** Four bytes, big-endian: a 32-bit hash (uniform, so a varint would only grow it). */
  u32(value: number): void {
    this.#reserve(4);
    this.#buffer[this.#length++] = value >>> 24;
    this.#buffer[this.#length++] = (value >>> 16) & 0xff;
    this.#buffer[this.#length++] = (value >>> 8) & 0xff;
    this.#buffer[this.#length++] = value & 0xff;
  }

  float64(value: number): void {
    this.#reserve(8);
    new DataView(this.#buffer.buffer, this.#buffer.byteOffset + this.#length, 8).setFloat64(
      0,
      value,
    );
    this.#length += 8;
  }

  raw(bytes: Uint8Array): void {
    this.#reserve(bytes.length);
    this.#buffer.set(bytes, this.#length);
    this.#length += bytes.length;
  }

  bytes(bytes: Uint8Array): void {
    this.uint(bytes.length);
    this.raw(bytes);
  }

  /** `text.slice(from)` as raw bytes; every code unit must be ASCII. */
  asciiTail(text: string, from: number): void {
    this.#reserve(text.length - from);
    for (let i = from; i < text.length; i++) this.#buffer[this.#length++] = text.charCodeAt(i);
  }

  string(value: string): void {
    this.bytes(utf8Bytes(value));
  }

  /** Empties the writer for reuse, keeping its buffer. */
  reset(): void {
    this.#length = 0;
  }

  /** The bytes written so far, without copying: valid until the next write or reset. */
  view(): Uint8Array {
    return this.#buffer.subarray(0, this.#length);
  }

  finish(): Uint8Array {
    return this.#buffer.slice(0, this.#length);
  }
}

export const MAX_SIGNED = 2 ** 52 - 1;

export class ByteReader {
  readonly #bytes: Uint8Array;
  #offset = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  get offset(): number {
    return this.#offset;
  }

  get remaining(): number {
    return this.#bytes.length - this.#offset;
  }

  byte(): number {
    const value = this.#bytes[this.#offset];
    if (value === undefined) throw new DecodeError("TRUNCATED", "frame ended inside a value");
    this.#offset += 1;
    return value;
  }

  uint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.byte();
      value += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (!Number.isSafeInteger(value)) break;
        // A final zero byte after the first would give a second encoding of the same number.
        if (b === 0 && i > 0) throw new DecodeError("MALFORMED", "varint has a redundant byte");
        return value;
      }
      scale *= 0x80;
    }
    throw new DecodeError("INVALID_VALUE", "varint exceeds the safe integer range");
  }

  /** An unsigned varint that must not exceed `max` (a count, an index, a length). */
  uintAtMost(max: number, what: string): number {
    const value = this.uint();
    if (value > max) throw new DecodeError("LIMIT_EXCEEDED", `${what} ${value} exceeds ${max}`);
    return value;
  }

  int(): number {
    const z = this.uint();
    if (z > 2 * MAX_SIGNED + 1)
      throw new DecodeError("INVALID_VALUE", "signed varint out of range");
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  u32(): number {
    if (this.remaining < 4) throw new DecodeError("TRUNCATED", "frame ended inside a hash");
    const b = this.#bytes;
    const o = this.#offset;
    this.#offset += 4;
    return (
      (((b[o] as number) << 24) |
        ((b[o + 1] as number) << 16) |
        ((b[o + 2] as number) << 8) |
        (b[o + 3] as number)) >>>
      0
    );
  }

  float64(): number {
    if (this.remaining < 8) throw new DecodeError("TRUNCATED", "frame ended inside a float");
    const value = new DataView(
      this.#bytes.buffer,
      this.#bytes.byteOffset + this.#offset,
      8,
    ).getFloat64(0);
    this.#offset += 8;
    return value;
  }

  /** Moves past `length` bytes and returns where they start (for callers that read in place). */
  skip(length: number): number {
    if (length > this.remaining)
      throw new DecodeError("TRUNCATED", "frame ended inside a byte string");
    const start = this.#offset;
    this.#offset += length;
    return start;
  }

  /** The underlying bytes, for in-place reads after `skip`. */
  get buffer(): Uint8Array {
    return this.#bytes;
  }

  raw(length: number): Uint8Array {
    if (length > this.remaining)
      throw new DecodeError("TRUNCATED", "frame ended inside a byte string");
    const out = this.#bytes.slice(this.#offset, this.#offset + length);
    this.#offset += length;
    return out;
  }

  bytes(maxLength: number): Uint8Array {
    return this.raw(this.uintAtMost(maxLength, "byte string length"));
  }

  /** A UTF-8 string of at most `maxLength` UTF-16 code units. */
  string(maxLength: number): string {
    // A UTF-16 code unit takes at most 3 UTF-8 bytes.
    const raw = this.bytes(maxLength * 3);
    return utf8(raw, maxLength);
  }

  end(): void {
    if (this.remaining !== 0)
      throw new DecodeError("TRAILING_BYTES", `${this.remaining} bytes after the message`);
  }
}

export function utf8Bytes(value: string): Uint8Array {
  // Keys are mostly short ASCII; TextEncoder's call overhead dominates for those.
  if (value.length <= 64) {
    const out = new Uint8Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const code = value.charCodeAt(i);
      if (code >= 0x80) return encoder.encode(value);
      out[i] = code;
    }
    return out;
  }
  return encoder.encode(value);
}

/** Decodes UTF-8 strictly (invalid sequences are an error, not U+FFFD). */
export function utf8(raw: Uint8Array, maxLength: number): string {
  if (raw.length <= 64) {
    const ascii = asciiString(raw, 0, raw.length);
    if (ascii !== undefined) {
      if (ascii.length > maxLength) {
        throw new DecodeError(
          "LIMIT_EXCEEDED",
          `string of ${ascii.length} characters exceeds ${maxLength}`,
        );
      }
      return ascii;
    }
  }
  let text: string;
  try {
    text = decoder.decode(raw);
  } catch (cause) {
    throw new DecodeError("INVALID_VALUE", "string is not valid UTF-8", { cause });
  }
  if (text.length > maxLength) {
    throw new DecodeError(
      "LIMIT_EXCEEDED",
      `string of ${text.length} characters exceeds ${maxLength}`,
    );
  }
  return text;
}

/** `bytes[start..end)` as a string when every byte is ASCII, else undefined. */
export function asciiString(bytes: Uint8Array, start: number, end: number): string | undefined {
  let text = "";
  for (let i = start; i < end; i++) {
    const b = bytes[i] as number;
    if (b >= 0x80) return undefined;
    text += String.fromCharCode(b);
  }
  return text;
}

/** Whether every code unit of `text` is ASCII. */
export function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return false;
  return true;
}
