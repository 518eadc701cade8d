import { MAX_HLC_LOGICAL, MAX_HLC_WALL_TIME } from "@convergent/clocks";
import {
  DecodeError,
  type PlainValue,
  type WirePlain,
  type WireReader,
  type WireWriter,
} from "@convergent/core";
import type { LwwEntry } from "./entry.js";
import { decodePlainValue } from "./wire-value.js";

/** `[key, ]wallTime, logical, replica[, value]`: the layout both types share (the key only in maps). */
export function entryToWire(
  entry: LwwEntry<PlainValue | undefined>,
  writer: WireWriter,
  key?: string,
): WirePlain[] {
  // Array literals of their final length: pushing onto a prefix array doubled encode time.
  const { wallTime, logical, value } = entry;
  const replica = writer.replica(entry.replica);
  if (key === undefined) {
    return value === undefined ? [wallTime, logical, replica] : [wallTime, logical, replica, value];
  }
  return value === undefined
    ? [key, wallTime, logical, replica]
    : [key, wallTime, logical, replica, value];
}

/** Reads the entry that starts at `offset`; a missing value means a tombstone. */
export function entryFromWire(
  plain: readonly unknown[],
  offset: number,
  reader: WireReader,
): LwwEntry<PlainValue | undefined> {
  const wallTime = integer(plain[offset], MAX_HLC_WALL_TIME, "wall time");
  const logical = integer(plain[offset + 1], MAX_HLC_LOGICAL, "logical counter");
  const replica = reader.replica(plain[offset + 2]);
  const value =
    plain.length > offset + 3 ? decodePlainValue(plain[offset + 3], reader.limits) : undefined;
  return { value, wallTime, logical, replica };
}

function integer(value: unknown, max: number, what: string): number {
  if (typeof value !== "number") throw new DecodeError("WRONG_TYPE", `${what} must be a number`);
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new DecodeError("INVALID_VALUE", `${what} must be an integer from 0 to ${max}`);
  }
  return value === 0 ? 0 : value;
}
