/**
 * Check 3, session guarantees: a client runs one operation at a time in its session, on any
 * replica. Its reads must show every write it made (read-your-writes) and everything it read
 * before (monotonic reads): for the grow-only session keys by value, for every key by version.
 */
import type { ReplicaId } from "@convergent/clocks";
import { Session } from "@convergent/replicated-store";
import type { WriteRecord } from "./history.js";
import type { ReadOutcome } from "./read-value.js";
import { COUNTER, SESSION_COUNTER, SESSION_SET, SET, storeKey } from "./schedule.js";

const COUNTER_KEY = storeKey(SESSION_COUNTER, COUNTER);
const SET_KEY = storeKey(SESSION_SET, SET);

export class ClientSession {
  readonly session = new Session();
  #ticket = 0;
  #busyOn: number | undefined;
  readonly #ownAdds = new Set<string>();
  readonly #seenAdds = new Set<string>();
  #ownIncrements = 0;
  #lastCount = 0;
  /** Per key, the highest keyspace dot counter seen per origin. */
  readonly #versions = new Map<string, Map<ReplicaId, number>>();

  get busy(): boolean {
    return this.#busyOn !== undefined;
  }

  begin(incarnation: number): number {
    this.#busyOn = incarnation;
    return ++this.#ticket;
  }

  /** False when the client gave up on this operation (its replica crashed). */
  end(ticket: number): boolean {
    if (ticket !== this.#ticket || this.#busyOn === undefined) return false;
    this.#busyOn = undefined;
    return true;
  }

  abandon(incarnation: number): void {
    if (this.#busyOn === incarnation) {
      this.#busyOn = undefined;
      this.#ticket++;
    }
  }

  wrote(record: WriteRecord): void {
    if (record.key === SET_KEY) this.#ownAdds.add(record.element);
    if (record.key === COUNTER_KEY) this.#ownIncrements += record.amount;
    if (record.dot !== undefined) this.#see(record.key, [record.dot]);
  }

  /** `key` is the keyspace key (name and tag) of a session key. */
  checkRead(key: string, read: ReadOutcome): string | undefined {
    const known = this.#versions.get(key);
    for (const [origin, counter] of known ?? []) {
      const seen = read.version.find((d) => d.replica === origin)?.counter ?? 0;
      if (seen < counter)
        return `${key.replace("\u0000", ":")} went back to ${origin}:${seen} after ${origin}:${counter}`;
    }
    this.#see(key, read.version);
    if (key === SET_KEY && read.elements !== undefined) {
      for (const e of this.#ownAdds) if (!read.elements.has(e)) return `own add ${e} not read`;
      for (const e of this.#seenAdds) if (!read.elements.has(e)) return `${e}, read before, gone`;
      for (const e of read.elements) this.#seenAdds.add(e);
    }
    if (key === COUNTER_KEY && read.count !== undefined) {
      if (read.count < this.#ownIncrements) {
        return `counter read ${read.count} below own increments ${this.#ownIncrements}`;
      }
      if (read.count < this.#lastCount)
        return `counter went back from ${this.#lastCount} to ${read.count}`;
      this.#lastCount = read.count;
    }
    return undefined;
  }

  #see(key: string, dots: Iterable<{ replica: ReplicaId; counter: number }>): void {
    let known = this.#versions.get(key);
    if (known === undefined) {
      known = new Map();
      this.#versions.set(key, known);
    }
    for (const d of dots)
      if ((known.get(d.replica) ?? 0) < d.counter) known.set(d.replica, d.counter);
  }
}
