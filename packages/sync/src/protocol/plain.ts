/**
 * A canonical, self-describing binary form of the plain data wire forms produce (`WirePlain`),
 * in the style of CBOR's initial byte: the top 3 bits give the kind, the low 5 bits an argument
 * (a small integer, a length, or a special value) held inline when below 31 and otherwise as a
 * varint after the byte (which must then be at least 31, so each value has one encoding). Equal
 * plain data gives equal bytes (object keys are written sorted), which is what the Merkle tree
 * hashes. Decoding enforces `DecodeLimits`.
 */
import { DecodeError, type DecodeLimits, FORBIDDEN_KEYS, type WirePlain } from "@convergent/core";
import { type ByteReader, type ByteWriter, utf8, utf8Bytes } from "./bytes.js";

const SPECIAL = 0;
const UINT = 1;
const NEGINT = 2;
const STRING = 3;
const BYTES = 4;
const ARRAY = 5;
const OBJECT = 6;

const NULL = 0;
const FALSE = 1;
const TRUE = 2;
const FLOAT = 3;

const INLINE_LIMIT = 31;

function head(writer: ByteWriter, kind: number, argument: number): void {
  if (argument < INLINE_LIMIT) writer.byte((kind << 5) | argument);
  else {
    writer.byte((kind << 5) | INLINE_LIMIT);
    writer.uint(argument);
  }
}

export function writePlain(writer: ByteWriter, value: WirePlain): void {
  if (value === null) head(writer, SPECIAL, NULL);
  else if (value === false) head(writer, SPECIAL, FALSE);
  else if (value === true) head(writer, SPECIAL, TRUE);
  else if (typeof value === "number") {
    if (Number.isSafeInteger(value)) {
      if (value >= 0) head(writer, UINT, value);
      else head(writer, NEGINT, -value - 1);
    } else {
      head(writer, SPECIAL, FLOAT);
      writer.float64(value);
    }
  } else if (typeof value === "string") {
    const bytes = utf8Bytes(value);
    head(writer, STRING, bytes.length);
    writer.raw(bytes);
  } else if (value instanceof Uint8Array) {
    head(writer, BYTES, value.length);
    writer.raw(value);
  } else if (Array.isArray(value)) {
    head(writer, ARRAY, value.length);
    for (const item of value as readonly WirePlain[]) writePlain(writer, item);
  } else {
    const record = value as { readonly [key: string]: WirePlain };
    const keys = Object.keys(record).sort();
    head(writer, OBJECT, keys.length);
    for (const key of keys) {
      writer.string(key);
      writePlain(writer, record[key] as WirePlain);
    }
  }
}

function argumentOf(reader: ByteReader, inline: number): number {
  if (inline < INLINE_LIMIT) return inline;
  const value = reader.uint();
  if (value < INLINE_LIMIT) throw new DecodeError("MALFORMED", "plain value argument not minimal");
  return value;
}

export function readPlain(reader: ByteReader, limits: DecodeLimits, depth = 0): WirePlain {
  if (depth > limits.maxDepth)
    throw new DecodeError("LIMIT_EXCEEDED", "plain value nested too deeply");
  const initial = reader.byte();
  const kind = initial >> 5;
  const inline = initial & 0x1f;
  switch (kind) {
    case SPECIAL:
      if (inline === NULL) return null;
      if (inline === FALSE) return false;
      if (inline === TRUE) return true;
      if (inline === FLOAT) {
        const value = reader.float64();
        if (!Number.isFinite(value)) throw new DecodeError("INVALID_VALUE", "non-finite number");
        // An integral float has an integer encoding; two forms of one value are not canonical.
        if (Number.isSafeInteger(value))
          throw new DecodeError("MALFORMED", "integer written as a float");
        return value;
      }
      throw new DecodeError("MALFORMED", `unknown special plain value ${inline}`);
    case UINT:
      return argumentOf(reader, inline);
    case NEGINT:
      return -argumentOf(reader, inline) - 1;
    case STRING: {
      const length = argumentOf(reader, inline);
      if (length > limits.maxStringLength * 3)
        throw new DecodeError("LIMIT_EXCEEDED", `string of ${length} bytes is too long`);
      return utf8String(reader, length, limits.maxStringLength);
    }
    case BYTES: {
      const length = argumentOf(reader, inline);
      if (length > limits.maxFrameBytes)
        throw new DecodeError("LIMIT_EXCEEDED", `byte string of ${length} bytes is too long`);
      return reader.raw(length);
    }
    case ARRAY: {
      const length = collectionLength(reader, inline, limits);
      const items: WirePlain[] = [];
      for (let i = 0; i < length; i++) items.push(readPlain(reader, limits, depth + 1));
      return items;
    }
    case OBJECT: {
      const length = collectionLength(reader, inline, limits);
      const record: { [key: string]: WirePlain } = {};
      let previous: string | undefined;
      for (let i = 0; i < length; i++) {
        const key = reader.string(limits.maxStringLength);
        if (FORBIDDEN_KEYS.has(key)) throw new DecodeError("FORBIDDEN_KEY", `forbidden key ${key}`);
        if (previous !== undefined && key <= previous) {
          throw new DecodeError("MALFORMED", "object keys must be unique and sorted");
        }
        previous = key;
        record[key] = readPlain(reader, limits, depth + 1);
      }
      return record;
    }
    default:
      throw new DecodeError("MALFORMED", `unknown plain value kind ${kind}`);
  }
}

function utf8String(reader: ByteReader, length: number, maxLength: number): string {
  return utf8(reader.raw(length), maxLength);
}

function collectionLength(reader: ByteReader, inline: number, limits: DecodeLimits): number {
  const length = argumentOf(reader, inline);
  const max = Math.min(limits.maxEntries, reader.remaining);
  if (length > max)
    throw new DecodeError("LIMIT_EXCEEDED", `collection length ${length} exceeds ${max}`);
  return length;
}

/** A collection length: within the entry limit and no more than the bytes left to hold it. */
export function countAtMost(reader: ByteReader, limits: DecodeLimits): number {
  return reader.uintAtMost(Math.min(limits.maxEntries, reader.remaining), "collection length");
}
