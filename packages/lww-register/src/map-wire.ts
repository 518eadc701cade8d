import { DecodeError, type WireForm, type WirePlain, type WireReader } from "@convergent/core";
import type { LwwMapEntry, LwwMapState } from "./lww-map.js";
import { keyProblem } from "./map-ops.js";
import { entryFromWire, entryToWire } from "./wire-entry.js";
import { checkEntries, checkStringLength, decoding } from "./wire-value.js";

/**
 * One array per key, in ascending key order (UTF-16 code units):
 * `[key, wallTime, logical, replica, value]` for a live key and
 * `[key, wallTime, logical, replica]` for a tombstone. The decoder accepts only that canonical
 * order, which also rules out duplicate keys.
 */
export const lwwMapWire: WireForm<LwwMapState> = {
  version: 1,
  toWire(state, writer) {
    const keys = [...state.keys()].sort();
    const plain: WirePlain[] = new Array(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      plain[i] = entryToWire(state.get(key) as LwwMapEntry, writer, key);
    }
    return plain;
  },
  fromWire: (plain, reader) => decoding("lww-map", () => decodeMap(plain, reader)),
};

function decodeMap(plain: unknown, reader: WireReader): LwwMapState {
  if (!Array.isArray(plain)) throw new DecodeError("WRONG_TYPE", "lww-map must be an array");
  checkEntries(plain.length, reader.limits);
  const state: LwwMapState = new Map();
  let previous: string | undefined;
  for (const item of plain as unknown[]) {
    if (!Array.isArray(item)) {
      throw new DecodeError("WRONG_TYPE", "each lww-map entry must be an array");
    }
    if (item.length !== 4 && item.length !== 5) {
      throw new DecodeError(
        "MALFORMED",
        "an lww-map entry must be [key, wallTime, logical, replica] or [..., value]",
      );
    }
    const key: unknown = item[0];
    if (typeof key !== "string") {
      throw new DecodeError("WRONG_TYPE", "lww-map key must be a string");
    }
    checkStringLength(key, reader.limits);
    const problem = keyProblem(key);
    if (problem !== undefined) throw new DecodeError("INVALID_VALUE", problem);
    if (previous !== undefined && previous >= key) {
      throw new DecodeError("MALFORMED", "lww-map keys must be unique and ascending");
    }
    previous = key;
    state.set(key, entryFromWire(item, 1, reader));
  }
  return state;
}
