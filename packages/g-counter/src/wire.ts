import { compareReplicaIds, type ReplicaId } from "@convergent/clocks";
import { DecodeError, type WireForm, type WireReader } from "@convergent/core";
import type { GCounterState } from "./g-counter.js";

/**
 * `[replica, count, replica, count, ...]`, flat, in ascending replica-id order; `replica` is the
 * writer's table index and `count` a positive safe integer. The decoder accepts only that
 * canonical order, which also rules out duplicate replicas.
 */
export const gCounterWire: WireForm<GCounterState> = {
  version: 1,
  toWire(state, writer) {
    const replicas = [...state.keys()].sort(compareReplicaIds);
    const plain: number[] = new Array(replicas.length * 2);
    replicas.forEach((replica, i) => {
      plain[2 * i] = writer.replica(replica);
      plain[2 * i + 1] = state.get(replica) as number;
    });
    return plain;
  },
  fromWire: (plain, reader) => decoding(() => decode(plain, reader)),
};

function decode(plain: unknown, reader: WireReader): GCounterState {
  if (!Array.isArray(plain)) throw new DecodeError("WRONG_TYPE", "g-counter must be an array");
  if (plain.length % 2 !== 0) {
    throw new DecodeError("MALFORMED", "g-counter must hold [replica, count] pairs");
  }
  if (plain.length / 2 > reader.limits.maxEntries) {
    throw new DecodeError(
      "LIMIT_EXCEEDED",
      `g-counter has ${plain.length / 2} entries; the limit is ${reader.limits.maxEntries}`,
    );
  }
  const state: GCounterState = new Map();
  let previous: ReplicaId | undefined;
  for (let i = 0; i < plain.length; i += 2) {
    const replica = reader.replica(plain[i]);
    if (previous !== undefined && compareReplicaIds(previous, replica) >= 0) {
      throw new DecodeError("MALFORMED", "g-counter replicas must be unique and ascending");
    }
    previous = replica;
    const count: unknown = plain[i + 1];
    if (typeof count !== "number") {
      throw new DecodeError("WRONG_TYPE", `g-counter count for ${replica} must be a number`);
    }
    if (!Number.isSafeInteger(count) || count < 1) {
      throw new DecodeError(
        "INVALID_VALUE",
        `g-counter count for ${replica} must be a positive safe integer`,
      );
    }
    state.set(replica, count);
  }
  return state;
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
