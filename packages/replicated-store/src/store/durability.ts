/**
 * Makes every keyspace change durable: one storage write per change (group-committed by the
 * adapter), with the keyspace context, the HLC and, once per block of own dots, the dot
 * reservation mark. It hands each write a ticket from the output gate, which releases frames
 * only behind committed tickets. A failed commit blocks the gate until a rewrite of the whole
 * keyspace, issued after every earlier write settled, has committed (retried every second).
 */
import type { HybridLogicalClock, ReplicaId } from "@convergent/clocks";
import { maxCounter } from "@convergent/clocks";
import type { Keyspace, Scheduler } from "@convergent/sync";
import type { StorageAdapter } from "../storage/storage.js";
import type { OutputGate } from "./output-gate.js";
import { DOT_BLOCK, persistBatch } from "./persistence.js";

export const RETRY_MS = 1000;

export class Durability {
  readonly #storage: StorageAdapter;
  readonly #gate: OutputGate;
  readonly #scheduler: Scheduler;
  readonly #keyspace: Keyspace;
  readonly #clock: HybridLogicalClock;
  readonly #self: ReplicaId;
  #dotMark: number;
  #last: Promise<void> = Promise.resolve();
  #repairing = false;
  #closed = false;

  constructor(options: {
    storage: StorageAdapter;
    gate: OutputGate;
    scheduler: Scheduler;
    keyspace: Keyspace;
    clock: HybridLogicalClock;
    dotMark: number;
  }) {
    this.#storage = options.storage;
    this.#gate = options.gate;
    this.#scheduler = options.scheduler;
    this.#keyspace = options.keyspace;
    this.#clock = options.clock;
    this.#self = options.keyspace.replica;
    this.#dotMark = options.dotMark;
  }

  /** The most recent write; storage resolves in issue order, so awaiting it awaits them all. */
  get last(): Promise<void> {
    return this.#last;
  }

  persist(keys: Iterable<string>, origin: "local" | "remote"): void {
    let mark: number | undefined;
    if (origin === "local") {
      const issued = maxCounter(this.#keyspace.context, this.#self);
      if (issued > this.#dotMark) {
        this.#dotMark = issued + DOT_BLOCK - 1;
        mark = this.#dotMark;
      }
    }
    const written = this.#write(keys, mark);
    this.#last = written.then(
      (ticket) => this.#gate.durable(ticket),
      (error: unknown) => {
        this.#gate.block();
        this.#repair();
        throw error;
      },
    );
    this.#last.catch(() => {});
  }

  /** Stops retrying; pending writes still settle. */
  close(): void {
    this.#closed = true;
  }

  async #write(keys: Iterable<string>, dotMark: number | undefined): Promise<number> {
    const ticket = this.#gate.beginWrite();
    const batch = persistBatch({
      keyspace: this.#keyspace,
      keys,
      hlc: this.#clock.peek(),
      dotMark,
      self: this.#self,
    });
    await this.#storage.write(batch);
    return ticket;
  }

  #repair(): void {
    if (this.#repairing || this.#closed) return;
    this.#repairing = true;
    this.#scheduler.setTimeout(async () => {
      if (this.#closed) return;
      try {
        await this.#storage.write({}); // every earlier write has settled
        const ticket = await this.#write(this.#keyspace.keys(), this.#dotMark);
        this.#repairing = false;
        this.#gate.unblock(ticket);
      } catch {
        this.#repairing = false;
        this.#repair();
      }
    }, RETRY_MS);
  }
}
