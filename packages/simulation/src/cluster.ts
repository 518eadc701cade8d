/**
 * The simulated machines: one slot per machine, each with a disk, a physical clock (virtual
 * time plus a skew that steps can move, backwards included) and at most one live replica (an
 * incarnation). A crash drops the replica without closing it; a restart opens a new
 * incarnation on the same disk and id; a wipe loses the disk and comes back as a new id.
 */
import { type ReplicaId, replicaId } from "@convergent/clocks";
import { createReplica, MemoryDisk, type Replica } from "@convergent/replicated-store";
import { SimulatedNetwork, type Transport } from "@convergent/sync";
import { type CrashableStorage, crashableStorage } from "./crash-storage.js";

/** Physical time starts here (ms since the epoch), so skews never go below zero. */
const EPOCH_MS = 1_700_000_000_000;

/** Lets storage commits and promise continuations run (they are all microtasks). */
export const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export interface Incarnation {
  /** Counts incarnations across the run, so history can tell them apart. */
  readonly serial: number;
  readonly id: ReplicaId;
  readonly replica: Replica;
  readonly storage: CrashableStorage;
  readonly transport: Transport;
}

export interface Slot {
  readonly index: number;
  id: ReplicaId;
  generation: number;
  disk: MemoryDisk;
  offsetMs: number;
  live: Incarnation | undefined;
}

/** Deliberate defects, to show the checks catch them (harness self-tests only). */
export interface Sabotage {
  /** Storage acknowledges writes without keeping them. */
  readonly lyingDisk?: boolean;
  /** Replicas run without causal delivery. */
  readonly noCausalDelivery?: boolean;
  /** The history records every delete as having observed nothing (the store is unchanged). */
  readonly blindDeletes?: boolean;
}

export class SimCluster {
  readonly network: SimulatedNetwork;
  readonly slots: Slot[];
  #serial = 0;
  readonly #timeoutMs: number;

  readonly #sabotage: Sabotage;
  readonly #deltaRowsOnly: boolean;
  readonly #maxEntriesPerFrame: number | undefined;

  constructor(
    seed: number,
    replicas: number,
    timeoutMs: number,
    sabotage: Sabotage = {},
    maxEntriesPerFrame?: number,
  ) {
    this.network = new SimulatedNetwork({ seed });
    this.#deltaRowsOnly = seed % 2 === 0;
    this.#timeoutMs = timeoutMs;
    this.#sabotage = sabotage;
    this.#maxEntriesPerFrame = maxEntriesPerFrame;
    this.slots = Array.from({ length: replicas }, (_, index) => ({
      index,
      id: replicaId(String.fromCharCode(97 + index)),
      generation: 0,
      disk: new MemoryDisk(),
      offsetMs: 0,
      live: undefined,
    }));
  }

  async open(slot: Slot): Promise<Incarnation> {
    const transport = this.network.transport(slot.id);
    const storage = crashableStorage(this.#sabotage.lyingDisk ? new MemoryDisk() : slot.disk);
    const replica = await createReplica({
      id: slot.id,
      transport,
      storage,
      peers: this.slots.filter((s) => s !== slot).map((s) => s.id),
      scheduler: this.network.scheduler,
      now: () => EPOCH_MS + this.network.now() + slot.offsetMs,
      timeoutMs: this.#timeoutMs,
      // Half the schedules keep every key as delta rows, so folds and recovery from deltas
      // meet crashes; the other half use the default (small keys rewritten whole).
      ...(this.#deltaRowsOnly ? { wholeStateBytes: 0 } : {}),
      ...(this.#sabotage.noCausalDelivery ? { causal: false } : {}),
      sync: {
        gossip: { intervalMs: 200 },
        random: this.network.randomStream().source(),
        ...(this.#maxEntriesPerFrame === undefined
          ? {}
          : { maxEntriesPerFrame: this.#maxEntriesPerFrame }),
      },
    });
    const incarnation = { serial: ++this.#serial, id: slot.id, replica, storage, transport };
    slot.live = incarnation;
    return incarnation;
  }

  /** Kills the process: storage stops, timers stop, connections drop; nothing is flushed. */
  async crash(slot: Slot): Promise<Incarnation | undefined> {
    const dead = slot.live;
    if (dead === undefined) return undefined;
    dead.storage.crash();
    dead.replica.engine.stop();
    slot.live = undefined;
    // The transport belongs to the dead process; closing it is the connection dropping.
    await dead.transport.close();
    return dead;
  }

  /** The disk is lost: the machine comes back empty, under a new replica id. */
  wipe(slot: Slot): void {
    slot.generation += 1;
    slot.id = replicaId(`${String.fromCharCode(97 + slot.index)}${slot.generation}`);
    slot.disk = new MemoryDisk();
  }

  live(): Incarnation[] {
    return this.slots.flatMap((s) => (s.live === undefined ? [] : [s.live]));
  }

  /**
   * Advances virtual time by `ms`, jumping from one due timer to the next and letting
   * microtasks (storage commits, continuations) run after each.
   */
  async advance(ms: number): Promise<void> {
    const scheduler = this.network.scheduler;
    const end = scheduler.now() + ms;
    await flush();
    for (;;) {
      const next = scheduler.nextDue();
      if (next === undefined || next > end) break;
      scheduler.advance(Math.max(0, next - scheduler.now()));
      await flush();
    }
    scheduler.advance(end - scheduler.now());
    await flush();
  }
}
