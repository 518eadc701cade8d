import { compareReplicaIds, type ReplicaId } from "@convergent/clocks";
import { DecodeError, type WireForm, type WireReader } from "@convergent/core";
import type { PnCounterState } from "./pn-counter.js";

/**
 * `[replica, P, N, replica, P, N, ...]`, flat, in ascending replica-id order; `replica` is the
 * writer's table index, P and N non-negative safe integers, never both 0. The decoder accepts
 * only that canonical order, which also rules out duplicate replicas.
 */
export const pnCounterWire: WireForm<PnCounterState> = {
  version: 1,
  toWire(state, writer) {
    const replicas = [...state.keys()].sort(compareReplicaIds);
    const plain: number[] = new Array(replicas.length * 3);
    replicas.forEach((replica, i) => {
      const entry = state.get(replica) as readonly [number, number];
      plain[3 * i] = writer.replica(replica);
      plain[3 * i + 1] = entry[0];
      plain[3 * i + 2] = entry[1];
    });
    return plain;
  },
  fromWire: (plain, reader) => decoding(() => decode(plain, reader)),
};

function decode(plain: unknown, reader: WireReader): PnCounterState {
  if (!Array.isArray(plain)) throw new DecodeError("WRONG_TYPE", "pn-counter must be an array");
  if (plain.length % 3 !== 0) {
    throw new DecodeError("MALFORMED", "pn-counter must hold [replica, P, N] triples");
  }
  if (plain.length / 3 > reader.limits.maxEntries) {
    throw new DecodeError(
      "LIMIT_EXCEEDED",
      `pn-counter has ${plain.length / 3} entries; the limit is ${reader.limits.maxEntries}`,
    );
  }
  const state: PnCounterState = new Map();
  let previous: ReplicaId | undefined;
  for (let i = 0; i < plain.length; i += 3) {
    const replica = reader.replica(plain[i]);
    if (previous !== undefined && compareReplicaIds(previous, replica) >= 0) {
      throw new DecodeError("MALFORMED", "pn-counter replicas must be unique and ascending");
    }
    previous = replica;
    const p = count(plain[i + 1], replica);
    const n = count(plain[i + 2], replica);
    if (p === 0 && n === 0) {
      throw new DecodeError("INVALID_VALUE", `pn-counter entry for ${replica} is [0, 0]`);
    }
    state.set(replica, [p, n]);
  }
  return state;
}

function count(value: unknown, replica: ReplicaId): number {
  if (typeof value !== "number") {
    throw new DecodeError("WRONG_TYPE", `pn-counter count for ${replica} must be a number`);
  }
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new DecodeError(
      "INVALID_VALUE",
      `pn-counter count for ${replica} must be a non-negative safe integer`,
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
