import { ClockOverflowError, InvalidClockValueError } from "./errors.js";
import { compareReplicaIds, type ReplicaId, replicaId } from "./replica-id.js";

/** A Lamport timestamp (Lamport 1978); `replica` breaks ties so the order is total. */
export interface LamportTimestamp {
  readonly time: number;
  readonly replica: ReplicaId;
}

export function compareLamport(a: LamportTimestamp, b: LamportTimestamp): -1 | 0 | 1 {
  if (a.time !== b.time) return a.time < b.time ? -1 : 1;
  return compareReplicaIds(a.replica, b.replica);
}

// Remote times arrive from other processes, so the check cannot trust the static type.
function checkTime(time: unknown): asserts time is number {
  if (typeof time !== "number" || !Number.isSafeInteger(time) || time < 0) {
    throw new InvalidClockValueError(
      `Lamport time must be a non-negative safe integer, got ${String(time)}`,
    );
  }
}

/** A Lamport clock owned by one replica. */
export class LamportClock {
  readonly replica: ReplicaId;
  #time: number;

  constructor(replica: ReplicaId, time = 0) {
    checkTime(time);
    this.replica = replicaId(replica);
    this.#time = time;
  }

  get time(): number {
    return this.#time;
  }

  /** A local or send event: advances the clock and returns the event's timestamp. */
  tick(): LamportTimestamp {
    return this.#advanceTo(this.#time + 1);
  }

  /** A receive event: the clock becomes max(local, remote) + 1. */
  observe(remote: number | LamportTimestamp): LamportTimestamp {
    const remoteTime: unknown =
      typeof remote === "object" && remote !== null ? remote.time : remote;
    checkTime(remoteTime);
    return this.#advanceTo(Math.max(this.#time, remoteTime) + 1);
  }

  #advanceTo(next: number): LamportTimestamp {
    if (next > Number.MAX_SAFE_INTEGER) {
      throw new ClockOverflowError("Lamport clock reached Number.MAX_SAFE_INTEGER");
    }
    this.#time = next;
    return { time: next, replica: this.replica };
  }
}
