import { compareReplicaIds, type ReplicaId } from "@convergent/clocks";
import {
  DecodeError,
  InvalidArgumentError,
  type WireForm,
  type WirePlain,
  type WireReader,
  type WireWriter,
} from "@convergent/core";
import type { PnCounterState, PnEntry } from "./pn-counter.js";

/**
 * Version 2: `[replica, P, N, replica, P, N, ..., floors?]`, flat triples in ascending
 * replica-id order, then, only when the counter holds floors, one array of `[replica, PF, NF,
 * ...]` triples in the same order. `replica` is the writer's table index; counts and floors are
 * non-negative safe integers, never both 0 in one triple. The decoder accepts only that
 * canonical order, which also rules out duplicate replicas. A counter without floors is written
 * exactly as version 1 wrote it, so a version-1 payload also reads as version 2 (the sync
 * protocol, which carries no wire version, relies on that) and a version-1 reader rejects
 * floors as a bad length instead of dropping them.
 */
export const pnCounterWire: WireForm<PnCounterState> = {
  version: 2,
  toWire(state, writer) {
    const plain: WirePlain[] = triples(state, writer);
    if (state.floors !== undefined && state.floors.size > 0) {
      plain.push(triples(state.floors, writer));
    }
    return plain;
  },
  fromWire: (plain, reader) => decoding(() => decode(plain, reader, true)),
};

/**
 * Version 1, `[replica, P, N, ...]` without floors: register it as a legacy wire form
 * (`createCodec({ types: [{ type: pnCounter, legacy: [pnCounterWireV1] }] })`) to read frames
 * written before version 2. It writes only counters that have no floors.
 */
export const pnCounterWireV1: WireForm<PnCounterState> = {
  version: 1,
  toWire(state, writer) {
    if (state.floors !== undefined && state.floors.size > 0) {
      throw new InvalidArgumentError(
        "a pn-counter with reset floors has no version-1 wire form; write version 2",
      );
    }
    return triples(state, writer);
  },
  fromWire: (plain, reader) => decoding(() => decode(plain, reader, false)),
};

function triples(map: ReadonlyMap<ReplicaId, PnEntry>, writer: WireWriter): number[] {
  const replicas = [...map.keys()].sort(compareReplicaIds);
  const plain: number[] = new Array(replicas.length * 3);
  replicas.forEach((replica, i) => {
    const entry = map.get(replica) as PnEntry;
    plain[3 * i] = writer.replica(replica);
    plain[3 * i + 1] = entry[0];
    plain[3 * i + 2] = entry[1];
  });
  return plain;
}

function decode(plain: unknown, reader: WireReader, withFloors: boolean): PnCounterState {
  if (!Array.isArray(plain)) throw new DecodeError("WRONG_TYPE", "pn-counter must be an array");
  let end = plain.length;
  let floorsPlain: unknown[] | undefined;
  if (withFloors && end % 3 === 1 && Array.isArray(plain[end - 1])) {
    end -= 1;
    floorsPlain = plain[end] as unknown[];
  }
  const state: PnCounterState = readTriples(plain, end, reader, "count");
  if (floorsPlain !== undefined) {
    const floors = readTriples(floorsPlain, floorsPlain.length, reader, "floor");
    if (floors.size === 0) {
      throw new DecodeError("MALFORMED", "pn-counter floors are written only when there are some");
    }
    state.floors = floors;
  }
  return state;
}

/** `plain[0..end)` as ascending `[replica, P, N]` triples of safe integers, never `[0, 0]`. */
function readTriples(
  plain: readonly unknown[],
  end: number,
  reader: WireReader,
  what: "count" | "floor",
): Map<ReplicaId, PnEntry> {
  if (end % 3 !== 0) {
    throw new DecodeError("MALFORMED", `pn-counter must hold [replica, P, N] ${what} triples`);
  }
  if (end / 3 > reader.limits.maxEntries) {
    throw new DecodeError(
      "LIMIT_EXCEEDED",
      `pn-counter has ${end / 3} ${what} entries; the limit is ${reader.limits.maxEntries}`,
    );
  }
  const map = new Map<ReplicaId, PnEntry>();
  let previous: ReplicaId | undefined;
  for (let i = 0; i < end; i += 3) {
    const replica = reader.replica(plain[i]);
    if (previous !== undefined && compareReplicaIds(previous, replica) >= 0) {
      throw new DecodeError(
        "MALFORMED",
        `pn-counter ${what} replicas must be unique and ascending`,
      );
    }
    previous = replica;
    const p = count(plain[i + 1], replica, what);
    const n = count(plain[i + 2], replica, what);
    if (p === 0 && n === 0) {
      throw new DecodeError("INVALID_VALUE", `pn-counter ${what} entry for ${replica} is [0, 0]`);
    }
    map.set(replica, [p, n]);
  }
  return map;
}

function count(value: unknown, replica: ReplicaId, what: string): number {
  if (typeof value !== "number") {
    throw new DecodeError("WRONG_TYPE", `pn-counter ${what} for ${replica} must be a number`);
  }
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new DecodeError(
      "INVALID_VALUE",
      `pn-counter ${what} for ${replica} must be a non-negative safe integer`,
    );
  }
  return value === 0 ? 0 : value; // -0 would survive a round trip as a distinct number
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
    throw new DecodeError("MALFORMED", "pn-counter could not be read", { cause: error });
  }
}
