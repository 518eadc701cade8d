/**
 * A canonical, self-describing binary form of the plain data wire forms produce (`WirePlain`):
 * one tag byte, then a varint, a length-prefixed string or bytes, or the items of an array or
 * object. Equal plain data gives equal bytes (object keys are written sorted, integers in their
 * shortest varint), which is what the Merkle tree hashes. Decoding enforces `DecodeLimits`.
 */
import { DecodeError, type DecodeLimits, FORBIDDEN_KEYS, type WirePlain } from "@convergent/core";
import type { ByteReader, ByteWriter } from "./bytes.js";

const NULL = 0;
const FALSE = 1;
const TRUE = 2;
const UINT = 3;
const NEGINT = 4;
const FLOAT = 5;
const STRING = 6;
const BYTES = 7;
const ARRAY = 8;
const OBJECT = 9;

export function writePlain(writer: ByteWriter, value: WirePlain): void {
  if (value === null) writer.byte(NULL);
  else if (value === false) writer.byte(FALSE);
  else if (value === true) writer.byte(TRUE);
  else if (typeof value === "number") {
    if (Number.isSafeInteger(value)) {
      writer.byte(value >= 0 ? UINT : NEGINT);
      writer.uint(value >= 0 ? value : -value - 1);
    } else {
      writer.byte(FLOAT);
      writer.float64(value);
    }
  } else if (typeof value === "string") {
    writer.byte(STRING);
    writer.string(value);
  } else if (value instanceof Uint8Array) {
    writer.byte(BYTES);
    writer.bytes(value);
  } else if (Array.isArray(value)) {
    writer.byte(ARRAY);
    writer.uint(value.length);
    for (const item of value as readonly WirePlain[]) writePlain(writer, item);
  } else {
    const record = value as { readonly [key: string]: WirePlain };
    const keys = Object.keys(record).sort();
    writer.byte(OBJECT);
    writer.uint(keys.length);
    for (const key of keys) {
      writer.string(key);
      writePlain(writer, record[key] as WirePlain);
    }
  }
}

export function readPlain(reader: ByteReader, limits: DecodeLimits, depth = 0): WirePlain {
  if (depth > limits.maxDepth)
    throw new DecodeError("LIMIT_EXCEEDED", "plain value nested too deeply");
  const tag = reader.byte();
  switch (tag) {
    case NULL:
      return null;
    case FALSE:
      return false;
    case TRUE:
      return true;
    case UINT:
      return reader.uint();
    case NEGINT:
      return -reader.uint() - 1;
    case FLOAT: {
      const value = reader.float64();
      if (!Number.isFinite(value)) throw new DecodeError("INVALID_VALUE", "non-finite number");
      return value;
    }
    case STRING:
      return reader.string(limits.maxStringLength);
    case BYTES:
      return reader.bytes(limits.maxFrameBytes);
    case ARRAY: {
      const length = countAtMost(reader, limits);
      const items: WirePlain[] = [];
      for (let i = 0; i < length; i++) items.push(readPlain(reader, limits, depth + 1));
      return items;
    }
    case OBJECT: {
      const length = countAtMost(reader, limits);
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
      throw new DecodeError("MALFORMED", `unknown plain value tag ${tag}`);
  }
}

/** A collection length: within the entry limit and no more than the bytes left to hold it. */
export function countAtMost(reader: ByteReader, limits: DecodeLimits): number {
  return reader.uintAtMost(Math.min(limits.maxEntries, reader.remaining), "collection length");
}
