import { ClockOverflowError, InvalidClockValueError } from "./errors.js";
import { compareReplicaIds, type ReplicaId } from "./replica-id.js";

/** A Lamport timestamp (Lamport 1978); `replica` breaks ties so the order is total. */
export interface LamportTimestamp {
  readonly time: number;
  readonly replica: ReplicaId;
}

export function compareLamport(a: LamportTimestamp, b: LamportTimestamp): -1 | 0 | 1 {
  if (a.time !== b.time) return a.time < b.time ? -1 : 1;
  return compareReplicaIds(a.replica, b.replica);
}

function checkTime(time: number): void {
  if (!Number.isSafeInteger(time) || time < 0) {
    throw new InvalidClockValueError(
      `Lamport time must be a non-negative safe integer, got ${time}`,
    );
  }
}

/** A Lamport clock owned by one replica. */
export class LamportClock {
  readonly replica: ReplicaId;
  #time: number;

  constructor(replica: ReplicaId, time = 0) {
    checkTime(time);
    this.replica = replica;
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
    const remoteTime = typeof remote === "number" ? remote : remote.time;
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
