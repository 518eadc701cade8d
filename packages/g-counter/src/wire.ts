import { compareReplicaIds, type ReplicaId } from "@convergent/clocks";
import {
  DecodeError,
  InvalidArgumentError,
  type WireForm,
  type WirePlain,
  type WireReader,
  type WireWriter,
} from "@convergent/core";
import type { GCounterState } from "./g-counter.js";

/**
 * Version 2: `[replica, count, replica, count, ..., floors?]`, flat pairs in ascending
 * replica-id order, then, only when the counter holds floors, one array of `[replica, floor,
 * ...]` pairs in the same order. `replica` is the writer's table index; counts and floors are
 * positive safe integers. The decoder accepts only that canonical order, which also rules out
 * duplicate replicas. A counter without floors is written exactly as version 1 wrote it, so a
 * version-1 payload also reads as version 2 (the sync protocol, which carries no wire version,
 * relies on that) and a version-1 reader rejects floors as an odd length instead of dropping
 * them.
 */
export const gCounterWire: WireForm<GCounterState> = {
  version: 2,
  toWire(state, writer) {
    const plain: WirePlain[] = pairs(state, writer);
    if (state.floors !== undefined && state.floors.size > 0) {
      plain.push(pairs(state.floors, writer));
    }
    return plain;
  },
  fromWire: (plain, reader) => decoding(() => decode(plain, reader, true)),
};

/**
 * Version 1, `[replica, count, ...]` without floors: register it as a legacy wire form
 * (`createCodec({ types: [{ type: gCounter, legacy: [gCounterWireV1] }] })`) to read frames
 * written before version 2. It writes only counters that have no floors.
 */
export const gCounterWireV1: WireForm<GCounterState> = {
  version: 1,
  toWire(state, writer) {
    if (state.floors !== undefined && state.floors.size > 0) {
      throw new InvalidArgumentError(
        "a g-counter with reset floors has no version-1 wire form; write version 2",
      );
    }
    return pairs(state, writer);
  },
  fromWire: (plain, reader) => decoding(() => decode(plain, reader, false)),
};

function pairs(map: ReadonlyMap<ReplicaId, number>, writer: WireWriter): number[] {
  const replicas = [...map.keys()].sort(compareReplicaIds);
  const plain: number[] = new Array(replicas.length * 2);
  replicas.forEach((replica, i) => {
    plain[2 * i] = writer.replica(replica);
    plain[2 * i + 1] = map.get(replica) as number;
  });
  return plain;
}

function decode(plain: unknown, reader: WireReader, withFloors: boolean): GCounterState {
  if (!Array.isArray(plain)) throw new DecodeError("WRONG_TYPE", "g-counter must be an array");
  let end = plain.length;
  let floorsPlain: unknown[] | undefined;
  if (withFloors && end % 2 === 1 && Array.isArray(plain[end - 1])) {
    end -= 1;
    floorsPlain = plain[end] as unknown[];
  }
  const state: GCounterState = readPairs(plain, end, reader, "count");
  if (floorsPlain !== undefined) {
    const floors = readPairs(floorsPlain, floorsPlain.length, reader, "floor");
    if (floors.size === 0) {
      throw new DecodeError("MALFORMED", "g-counter floors are written only when there are some");
    }
    state.floors = floors;
  }
  return state;
}

/** `plain[0..end)` as ascending `[replica, positive safe integer]` pairs. */
function readPairs(
  plain: readonly unknown[],
  end: number,
  reader: WireReader,
  what: "count" | "floor",
): Map<ReplicaId, number> {
  if (end % 2 !== 0) {
    throw new DecodeError("MALFORMED", `g-counter must hold [replica, ${what}] pairs`);
  }
  if (end / 2 > reader.limits.maxEntries) {
    throw new DecodeError(
      "LIMIT_EXCEEDED",
      `g-counter has ${end / 2} ${what}s; the limit is ${reader.limits.maxEntries}`,
    );
  }
  const map = new Map<ReplicaId, number>();
  let previous: ReplicaId | undefined;
  for (let i = 0; i < end; i += 2) {
    const replica = reader.replica(plain[i]);
    if (previous !== undefined && compareReplicaIds(previous, replica) >= 0) {
      throw new DecodeError("MALFORMED", `g-counter ${what} replicas must be unique and ascending`);
    }
    previous = replica;
    const count: unknown = plain[i + 1];
    if (typeof count !== "number") {
      throw new DecodeError("WRONG_TYPE", `g-counter ${what} for ${replica} must be a number`);
    }
    if (!Number.isSafeInteger(count) || count < 1) {
      throw new DecodeError(
        "INVALID_VALUE",
        `g-counter ${what} for ${replica} must be a positive safe integer`,
      );
    }
    map.set(replica, count);
  }
  return map;
}

/**
 * Turns anything but a DecodeError (a throwing getter or a proxy in hostile input) into one, so
 * `fromWire` throws DecodeError and nothing else.
 */
function decoding<T>(decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (error instanceof DecodeError) throw error;
    throw new DecodeError("MALFORMED", "g-counter could not be read", { cause: error });
  }
}
