import { compareReplicaIds, type ReplicaId } from "@convergent/clocks";
import { DecodeError, type WireForm, type WireReader } from "@convergent/core";
import type { PresenceCount, PresenceState } from "./presence.js";
import { checkCount, checkEntries, decoding } from "./wire-checks.js";

/**
 * `[replica, count, floor, replica, count, floor, ...]`, flat, in ascending replica-id order;
 * `replica` is the writer's table index, `count` a positive safe integer and `floor` a safe
 * integer in `[0, count]`. Only that canonical order is accepted, which rules out duplicates.
 */
export const presenceWire: WireForm<PresenceState> = {
  version: 1,
  toWire(state, writer) {
    const replicas = [...state.keys()].sort(compareReplicaIds);
    const plain: number[] = new Array(replicas.length * 3);
    replicas.forEach((replica, i) => {
      const entry = state.get(replica) as PresenceCount;
      plain[3 * i] = writer.replica(replica);
      plain[3 * i + 1] = entry[0];
      plain[3 * i + 2] = entry[1];
    });
    return plain;
  },
  fromWire: (plain, reader) => decoding("presence", () => decodePresence(plain, reader)),
};

export function decodePresence(plain: unknown, reader: WireReader): PresenceState {
  if (!Array.isArray(plain)) throw new DecodeError("WRONG_TYPE", "presence must be an array");
  if (plain.length % 3 !== 0) {
    throw new DecodeError("MALFORMED", "presence must hold [replica, count, floor] triples");
  }
  checkEntries("presence", plain.length / 3, reader.limits);
  const state: PresenceState = new Map();
  let previous: ReplicaId | undefined;
  for (let i = 0; i < plain.length; i += 3) {
    const replica = reader.replica(plain[i]);
    if (previous !== undefined && compareReplicaIds(previous, replica) >= 0) {
      throw new DecodeError("MALFORMED", "presence replicas must be unique and ascending");
    }
    previous = replica;
    const count = checkCount(
      `presence count of ${replica}`,
      plain[i + 1],
      1,
      Number.MAX_SAFE_INTEGER,
    );
    const floor = checkCount(`presence floor of ${replica}`, plain[i + 2], 0, count);
    state.set(replica, [count, floor]);
  }
  return state;
}
