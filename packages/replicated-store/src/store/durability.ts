/**
 * Makes every keyspace change durable. Changes made in one turn of the event loop share one
 * storage write (one commit, and group commit in the adapter merges further): each key's deltas
 * of the turn are joined into one delta row, or the key's whole state is written when it is small
 * or when the change joined whole states (a sync response). Each write carries the keyspace
 * context, the HLC and, once per block of own dots, the dot reservation mark. Keys whose delta
 * rows outgrew their state are folded afterwards by a write of their whole state (`DeltaLog`).
 *
 * The output gate gets the write's ticket when its first change happens, not when it is issued:
 * a frame sent in between (a sync answer) would otherwise show a dot no write holds yet. A failed
 * commit blocks the gate until a rewrite of the whole keyspace, issued after every earlier write
 * settled, has committed (retried every second).
 */
import type { HybridLogicalClock, ReplicaId } from "@convergent/clocks";
import { maxCounter } from "@convergent/clocks";
import type { AnyCrdtType, Keyspace, KeyspaceChange, Scheduler } from "@convergent/sync";
import type { StorageAdapter } from "../storage/storage.js";
import type { DeltaLog } from "./delta-log.js";
import type { OutputGate } from "./output-gate.js";
import { DOT_BLOCK, encodeEntry, metaRows } from "./persistence.js";

export const RETRY_MS = 1000;

/** One key's deltas of the open turn, joined. */
interface DeltaRow {
  readonly type: AnyCrdtType;
  state: unknown;
  /** Whether `state` is a copy this batch may join into (the first delta is shared). */
  owned: boolean;
  readonly dots: Map<ReplicaId, number>;
}

interface OpenBatch {
  readonly ticket: number;
  readonly whole: Set<string>;
  readonly deltas: Map<string, DeltaRow>;
  local: boolean;
  readonly done: Promise<void>;
  readonly settle: { resolve: () => void; reject: (error: unknown) => void };
}

export class Durability {
  readonly #storage: StorageAdapter;
  readonly #gate: OutputGate;
  readonly #scheduler: Scheduler;
  readonly #keyspace: Keyspace;
  readonly #clock: HybridLogicalClock;
  readonly #self: ReplicaId;
  readonly #log: DeltaLog;
  #dotMark: number;
  #open: OpenBatch | undefined;
  #last: Promise<void> = Promise.resolve();
  #repairing = false;
  #closed = false;
  #folding: Set<string> | undefined;

  constructor(options: {
    storage: StorageAdapter;
    gate: OutputGate;
    scheduler: Scheduler;
    keyspace: Keyspace;
    clock: HybridLogicalClock;
    dotMark: number;
    log: DeltaLog;
  }) {
    this.#storage = options.storage;
    this.#gate = options.gate;
    this.#scheduler = options.scheduler;
    this.#keyspace = options.keyspace;
    this.#clock = options.clock;
    this.#self = options.keyspace.replica;
    this.#dotMark = options.dotMark;
    this.#log = options.log;
  }

  /**
   * Resolves once every change made so far is durable (rejects if its write failed); storage
   * resolves in issue order, so this awaits every earlier write too.
   */
  get last(): Promise<void> {
    return this.#open?.done ?? this.#last;
  }

  persist(change: KeyspaceChange): void {
    const batch = this.#batch();
    if (change.origin === "local") batch.local = true;
    if (change.deltas === undefined) {
      for (const key of change.touched) {
        batch.whole.add(key);
        batch.deltas.delete(key);
      }
      return;
    }
    for (const delta of change.deltas) {
      if (batch.whole.has(delta.key)) continue;
      const last = delta.counters[delta.counters.length - 1] as number;
      const row = batch.deltas.get(delta.key);
      if (row === undefined) {
        const type = this.#keyspace.registry.get(delta.tag) as AnyCrdtType;
        const dots = new Map([[delta.origin, last]]);
        batch.deltas.set(delta.key, { type, state: delta.state, owned: false, dots });
        continue;
      }
      if (!row.owned) {
        row.state = row.type.clone(row.state);
        row.owned = true;
      }
      row.state = row.type.joinInto(row.state, delta.state);
      if (last > (row.dots.get(delta.origin) ?? 0)) row.dots.set(delta.origin, last);
    }
  }

  /** Stops retrying; pending writes still settle. */
  close(): void {
    this.#closed = true;
  }

  #batch(): OpenBatch {
    if (this.#open !== undefined) return this.#open;
    let settle: OpenBatch["settle"] = { resolve: () => {}, reject: () => {} };
    const done = new Promise<void>((resolve, reject) => {
      settle = { resolve, reject };
    });
    done.catch(() => {});
    const batch: OpenBatch = {
      ticket: this.#gate.beginWrite(),
      whole: new Set(),
      deltas: new Map(),
      local: false,
      done,
      settle,
    };
    this.#open = batch;
    queueMicrotask(() => this.#flush(batch));
    return batch;
  }

  #flush(batch: OpenBatch): void {
    this.#open = undefined;
    this.#last = batch.done;
    let mark: number | undefined;
    if (batch.local) {
      const issued = maxCounter(this.#keyspace.context, this.#self);
      if (issued > this.#dotMark) {
        this.#dotMark = issued + DOT_BLOCK - 1;
        mark = this.#dotMark;
      }
    }
    const entries: [string, Uint8Array][] = [];
    const deltas: [string, Uint8Array][] = [];
    const folds: string[] = [];
    // A fold still waiting for its turn rides along with this write.
    if (this.#folding !== undefined) {
      for (const key of this.#folding) batch.whole.add(key);
      this.#folding.clear();
    }
    for (const key of batch.whole) this.#wholeRow(key, entries);
    for (const [key, row] of batch.deltas) {
      if (batch.whole.has(key)) continue;
      if (!this.#log.appends(key)) {
        this.#wholeRow(key, entries);
        continue;
      }
      const dots = [...row.dots].map(([replica, counter]) => ({ replica, counter }));
      const bytes = encodeEntry(this.#keyspace.registry, {
        key,
        tag: row.type.name,
        state: row.state,
        dots,
      });
      deltas.push([key, bytes]);
      if (this.#log.deltaAppended(key, bytes.length)) folds.push(key);
    }
    const meta = metaRows(this.#keyspace, this.#clock.peek(), this.#self, mark);
    this.#storage.write({ entries, deltas, meta }).then(
      () => {
        this.#gate.durable(batch.ticket);
        batch.settle.resolve();
      },
      (error: unknown) => {
        this.#gate.block();
        this.#repair();
        batch.settle.reject(error);
      },
    );
    if (folds.length > 0) this.#scheduleFold(folds);
  }

  #wholeRow(key: string, entries: [string, Uint8Array][]): void {
    const entry = this.#keyspace.get(key);
    if (entry === undefined) return;
    const bytes = encodeEntry(this.#keyspace.registry, {
      ...entry,
      dots: this.#keyspace.dotsOf(key),
    });
    entries.push([key, bytes]);
    this.#log.stateWritten(key, bytes.length);
  }

  /**
   * Folds keys in a later turn, as a write of their whole state: the writes that made the
   * deltas do not wait for it, and several keys outgrowing their state in a burst fold together.
   * The next write folds them if it comes first (or if the scheduler's time stands still).
   */
  #scheduleFold(keys: readonly string[]): void {
    if (this.#folding !== undefined) {
      for (const key of keys) this.#folding.add(key);
      return;
    }
    this.#folding = new Set(keys);
    this.#scheduler.setTimeout(() => {
      const folding = this.#folding ?? new Set<string>();
      this.#folding = undefined;
      if (this.#closed || folding.size === 0) return;
      this.persist({ origin: "remote", keys: [], touched: [...folding] });
    }, 0);
  }

  #repair(): void {
    if (this.#repairing || this.#closed) return;
    this.#repairing = true;
    this.#scheduler.setTimeout(async () => {
      if (this.#closed) return;
      try {
        await this.#storage.write({}); // every earlier write has settled
        const ticket = this.#gate.beginWrite();
        const entries: [string, Uint8Array][] = [];
        for (const key of this.#keyspace.keys()) this.#wholeRow(key, entries);
        const meta = metaRows(this.#keyspace, this.#clock.peek(), this.#self, this.#dotMark);
        await this.#storage.write({ entries, meta });
        this.#repairing = false;
        this.#gate.unblock(ticket);
      } catch {
        this.#repairing = false;
        this.#repair();
      }
    }, RETRY_MS);
  }
}
