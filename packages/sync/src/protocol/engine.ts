/**
 * One replica's sync engine: runs the fast path, the Merkle repair path and live pushes of local
 * updates over any `Transport`, with timers from a `Scheduler` (virtual in tests). Every frame
 * is decoded under `DecodeLimits` and applied whole or not at all; the sender is the peer of the
 * connection it came on, never a field of the frame. A rejected frame raises a typed event and a
 * counter and is otherwise ignored.
 */
import { causalContextIncludes, emptyCausalContext, type ReplicaId } from "@convergent/clocks";
import { ConvergentError, DEFAULT_DECODE_LIMITS, type DecodeLimits } from "@convergent/core";
import type { DottedEntry, Keyspace } from "../keyspace/keyspace.js";
import { answerMerkle, merkleStart } from "../merkle/repair.js";
import { DEFAULT_MERKLE_DEPTH, MerkleTree } from "../merkle/tree.js";
import { Emitter } from "../transports/emitter.js";
import type { Scheduler, TimerHandle } from "../transports/scheduler.js";
import type { Transport, Unsubscribe } from "../transports/transport.js";
import { answerSyncRequest, applySyncResponse, syncRequest } from "./fast-path.js";
import { decodeMessage, encodeMessage, type SyncMessage } from "./messages.js";

export interface SyncEngineOptions {
  readonly keyspace: Keyspace;
  readonly transport: Transport;
  readonly scheduler: Scheduler;
  readonly limits?: DecodeLimits;
  /** Uniform numbers in [0, 1) for peer choice and jitter; defaults to Math.random. */
  readonly random?: () => number;
  /** Fast-path gossip; `false` turns it off (sync still runs on every new connection). */
  readonly gossip?: Partial<GossipOptions> | false;
  /** Live pushes of local updates; `false` turns them off. */
  readonly push?: Partial<PushOptions> | false;
  /**
   * Most entries in one frame (default 10,000). A longer response goes out in several frames
   * without the sender's context: joining a context is only sound once every entry it covers
   * has arrived, and any of the frames may be lost. The gaps this leaves close at the next
   * exchange that fits in one frame.
   */
  readonly maxEntriesPerFrame?: number;
  /** Run the fast path whenever a connection opens (default true). */
  readonly syncOnConnect?: boolean;
  /** Merkle repair; `false` turns it off. `intervalMs: 0` keeps it manual (`repairWith`). */
  readonly merkle?: Partial<MerkleOptions> | false;
}

export interface GossipOptions {
  readonly intervalMs: number;
  /** Each interval is drawn uniformly from intervalMs * (1 +- jitter). */
  readonly jitter: number;
  /** A request unanswered for this long counts as a failure. */
  readonly timeoutMs: number;
  /** Failures double the interval up to this bound; a success resets it. */
  readonly maxBackoffMs: number;
}

export interface PushOptions {
  /** Local updates within this window travel in one frame per peer. */
  readonly batchMs: number;
  /** Unacknowledged pushes are resent after this long... */
  readonly retransmitMs: number;
  /** ...at most this many times; the fast path covers anything still missing. */
  readonly maxRetransmits: number;
  /** Unacknowledged pushes kept per peer; the oldest is forgotten beyond this. */
  readonly maxInFlight: number;
}

export interface MerkleOptions {
  readonly depth: number;
  readonly intervalMs: number;
}

export const DEFAULT_GOSSIP: GossipOptions = {
  intervalMs: 1000,
  jitter: 0.25,
  timeoutMs: 3000,
  maxBackoffMs: 30_000,
};
export const DEFAULT_PUSH: PushOptions = {
  batchMs: 5,
  retransmitMs: 500,
  maxRetransmits: 5,
  maxInFlight: 64,
};
export const DEFAULT_MERKLE: MerkleOptions = { depth: DEFAULT_MERKLE_DEPTH, intervalMs: 0 };

/** Why a received frame was dropped. `error` is a DecodeError or the keyspace's refusal. */
export interface RejectedFrame {
  readonly peer: ReplicaId;
  readonly kind: SyncMessage["kind"] | "undecodable";
  readonly error: ConvergentError;
}

export interface SyncEngineStats {
  readonly framesRejected: number;
  readonly syncRequestsSent: number;
  readonly syncResponsesApplied: number;
  readonly pushesSent: number;
  readonly pushesRetransmitted: number;
  readonly pushesReceived: number;
  readonly acksReceived: number;
  readonly repairMessagesSent: number;
  readonly gossipFailures: number;
}

interface InFlightPush {
  readonly frame: Uint8Array;
  retransmits: number;
}

interface PeerState {
  nextPushSeq: number;
  readonly inFlight: Map<number, InFlightPush>;
  requestTimer: TimerHandle | undefined;
}

type Counters = { -readonly [K in keyof SyncEngineStats]: number };

export class SyncEngine {
  readonly keyspace: Keyspace;
  readonly merkle: MerkleTree | undefined;
  readonly #transport: Transport;
  readonly #scheduler: Scheduler;
  readonly #limits: DecodeLimits;
  readonly #random: () => number;
  readonly #gossip: GossipOptions | undefined;
  readonly #push: PushOptions | undefined;
  readonly #merkleOptions: MerkleOptions | undefined;
  readonly #peers = new Map<ReplicaId, PeerState>();
  readonly #events = new Emitter<{ rejected: [RejectedFrame] }>();
  readonly #counters: Counters = {
    framesRejected: 0,
    syncRequestsSent: 0,
    syncResponsesApplied: 0,
    pushesSent: 0,
    pushesRetransmitted: 0,
    pushesReceived: 0,
    acksReceived: 0,
    repairMessagesSent: 0,
    gossipFailures: 0,
  };
  readonly #pending = new Set<string>();
  readonly #maxEntries: number;
  readonly #subscriptions: Unsubscribe[] = [];
  readonly #timers = new Set<TimerHandle>();
  #flushTimer: TimerHandle | undefined;
  #gossipDelay = 0;
  #stopped = false;

  constructor(options: SyncEngineOptions) {
    this.keyspace = options.keyspace;
    this.#transport = options.transport;
    this.#scheduler = options.scheduler;
    this.#limits = options.limits ?? DEFAULT_DECODE_LIMITS;
    this.#maxEntries = Math.max(1, options.maxEntriesPerFrame ?? 10_000);
    this.#random = options.random ?? Math.random;
    this.#gossip = options.gossip === false ? undefined : { ...DEFAULT_GOSSIP, ...options.gossip };
    this.#push = options.push === false ? undefined : { ...DEFAULT_PUSH, ...options.push };
    this.#merkleOptions =
      options.merkle === false ? undefined : { ...DEFAULT_MERKLE, ...options.merkle };
    this.merkle =
      this.#merkleOptions === undefined
        ? undefined
        : new MerkleTree(this.keyspace, this.#merkleOptions.depth);
    const t = this.#transport;
    const syncOnConnect = options.syncOnConnect ?? true;
    this.#subscriptions.push(
      t.onFrame((peer, frame) => this.#receive(peer, frame)),
      t.onPeerConnected((peer) => {
        if (syncOnConnect) this.syncWith(peer);
      }),
      t.onPeerDisconnected((peer) => this.#forget(peer)),
      this.keyspace.subscribe((change) => {
        if (change.origin === "local" && this.#push !== undefined) this.#queuePush(change.keys);
      }),
    );
    if (syncOnConnect) for (const peer of t.peers()) this.syncWith(peer);
    if (this.#gossip !== undefined) {
      this.#gossipDelay = this.#gossip.intervalMs;
      this.#scheduleGossip();
    }
    if (this.#merkleOptions !== undefined && this.#merkleOptions.intervalMs > 0)
      this.#scheduleRepair();
  }

  /** Called for every dropped frame. */
  onRejected(handler: (event: RejectedFrame) => void): Unsubscribe {
    return this.#events.on("rejected", handler);
  }

  stats(): SyncEngineStats {
    return { ...this.#counters };
  }

  /** Runs the fast path with `peer`: sends our context; its answer brings what we lack. */
  syncWith(peer: ReplicaId): void {
    if (this.#stopped) return;
    const state = this.#peer(peer);
    if (state.requestTimer !== undefined) this.#clear(state.requestTimer);
    this.#counters.syncRequestsSent += 1;
    const sent = this.#send(peer, syncRequest(this.keyspace));
    if (!sent) {
      state.requestTimer = undefined;
      this.#gossipFailed();
      return;
    }
    const timeout = this.#gossip?.timeoutMs ?? DEFAULT_GOSSIP.timeoutMs;
    state.requestTimer = this.#after(timeout, () => {
      state.requestTimer = undefined;
      this.#gossipFailed();
    });
  }

  /** Starts a Merkle repair walk with `peer`. */
  repairWith(peer: ReplicaId): void {
    if (this.merkle === undefined || this.#stopped) return;
    this.#counters.repairMessagesSent += 1;
    this.#send(peer, merkleStart(this.merkle));
  }

  /** Pushes the current state of `keys` to `peer` now (read repair, or an eager hand-off). */
  push(peer: ReplicaId, keys: Iterable<string>): void {
    let entries: DottedEntry[] = [];
    for (const key of keys) {
      const entry = this.keyspace.get(key);
      if (entry === undefined) continue;
      entries.push({ ...entry, dots: this.keyspace.dotsOf(key) });
      if (entries.length === this.#maxEntries) {
        this.#pushEntries(peer, entries);
        entries = [];
      }
    }
    if (entries.length > 0) this.#pushEntries(peer, entries);
  }

  #pushEntries(peer: ReplicaId, entries: readonly DottedEntry[]): void {
    const state = this.#peer(peer);
    const seq = state.nextPushSeq++;
    const frame = this.#encode(peer, { kind: "delta-push", seq, entries });
    if (this.#transport.send(peer, frame) !== "queued") return;
    this.#counters.pushesSent += 1;
    if (this.#push === undefined) return;
    state.inFlight.set(seq, { frame, retransmits: 0 });
    if (state.inFlight.size > this.#push.maxInFlight) {
      state.inFlight.delete(state.inFlight.keys().next().value as number);
    }
    this.#scheduleRetransmit(peer, seq);
  }

  /** Detaches from the transport and the keyspace and cancels every timer. */
  stop(): void {
    this.#stopped = true;
    for (const unsubscribe of this.#subscriptions) unsubscribe();
    for (const timer of this.#timers) this.#scheduler.clearTimeout(timer);
    this.#timers.clear();
    this.merkle?.detach();
    this.#events.clear();
  }

  #receive(peer: ReplicaId, frame: Uint8Array): void {
    if (this.#stopped) return;
    let message: SyncMessage;
    try {
      message = decodeMessage(
        frame,
        this.keyspace.registry,
        { sender: peer, receiver: this.#transport.localId },
        this.#limits,
      );
    } catch (error) {
      this.#reject(peer, "undecodable", error);
      return;
    }
    try {
      this.#handle(peer, message);
    } catch (error) {
      this.#reject(peer, message.kind, error);
    }
  }

  #handle(peer: ReplicaId, message: SyncMessage): void {
    switch (message.kind) {
      case "sync-request": {
        const response = answerSyncRequest(this.keyspace, message);
        if (response.entries.length <= this.#maxEntries) this.#send(peer, response);
        else {
          for (let i = 0; i < response.entries.length; i += this.#maxEntries) {
            const entries = response.entries.slice(i, i + this.#maxEntries);
            this.#send(peer, { kind: "sync-response", context: emptyCausalContext(), entries });
          }
        }
        // Pull as well when the peer has seen something we have not and we are not already asking.
        const state = this.#peer(peer);
        if (
          state.requestTimer === undefined &&
          !causalContextIncludes(this.keyspace.context, message.context)
        ) {
          this.syncWith(peer);
        }
        return;
      }
      case "sync-response": {
        applySyncResponse(this.keyspace, message);
        this.#counters.syncResponsesApplied += 1;
        const state = this.#peer(peer);
        if (state.requestTimer !== undefined) {
          this.#clear(state.requestTimer);
          state.requestTimer = undefined;
        }
        if (this.#gossip !== undefined) this.#gossipDelay = this.#gossip.intervalMs;
        return;
      }
      case "merkle-digest":
      case "merkle-entries": {
        if (this.merkle === undefined) return;
        const reply = answerMerkle(this.keyspace, this.merkle, message);
        if (reply !== undefined) {
          this.#counters.repairMessagesSent += 1;
          this.#send(peer, reply);
        }
        return;
      }
      case "delta-push":
        this.keyspace.applyRemote(message.entries);
        this.#counters.pushesReceived += 1;
        this.#send(peer, { kind: "delta-ack", seq: message.seq });
        return;
      case "delta-ack":
        if (this.#peer(peer).inFlight.delete(message.seq)) this.#counters.acksReceived += 1;
        return;
    }
  }

  #reject(peer: ReplicaId, kind: RejectedFrame["kind"], error: unknown): void {
    if (!(error instanceof ConvergentError)) throw error;
    this.#counters.framesRejected += 1;
    this.#events.emit("rejected", { peer, kind, error });
  }

  #send(peer: ReplicaId, message: SyncMessage): boolean {
    return this.#transport.send(peer, this.#encode(peer, message)) === "queued";
  }

  #encode(peer: ReplicaId, message: SyncMessage): Uint8Array {
    return encodeMessage(message, this.keyspace.registry, {
      sender: this.#transport.localId,
      receiver: peer,
    });
  }

  #peer(peer: ReplicaId): PeerState {
    let state = this.#peers.get(peer);
    if (state === undefined) {
      state = { nextPushSeq: 1, inFlight: new Map(), requestTimer: undefined };
      this.#peers.set(peer, state);
    }
    return state;
  }

  #forget(peer: ReplicaId): void {
    const state = this.#peers.get(peer);
    if (state === undefined) return;
    if (state.requestTimer !== undefined) this.#clear(state.requestTimer);
    // Pushes in flight died with the connection; the sync on reconnect covers them.
    state.inFlight.clear();
    state.requestTimer = undefined;
  }

  #queuePush(keys: readonly string[]): void {
    for (const key of keys) this.#pending.add(key);
    if (this.#flushTimer !== undefined || this.#push === undefined) return;
    this.#flushTimer = this.#after(this.#push.batchMs, () => {
      this.#flushTimer = undefined;
      const keys = [...this.#pending];
      this.#pending.clear();
      for (const peer of this.#transport.peers()) this.push(peer, keys);
    });
  }

  #scheduleRetransmit(peer: ReplicaId, seq: number): void {
    const options = this.#push as PushOptions;
    this.#after(options.retransmitMs, () => {
      const state = this.#peers.get(peer);
      const push = state?.inFlight.get(seq);
      if (state === undefined || push === undefined) return;
      if (push.retransmits >= options.maxRetransmits) {
        state.inFlight.delete(seq);
        return;
      }
      push.retransmits += 1;
      this.#counters.pushesRetransmitted += 1;
      if (this.#transport.send(peer, push.frame) === "queued") this.#scheduleRetransmit(peer, seq);
      else state.inFlight.delete(seq);
    });
  }

  #scheduleGossip(): void {
    const options = this.#gossip as GossipOptions;
    const delay = this.#gossipDelay * (1 + options.jitter * (2 * this.#random() - 1));
    this.#after(delay, () => {
      const peers = this.#transport.peers();
      if (peers.length > 0) {
        const peer = peers[Math.floor(this.#random() * peers.length)] as ReplicaId;
        this.syncWith(peer);
      }
      this.#scheduleGossip();
    });
  }

  #gossipFailed(): void {
    this.#counters.gossipFailures += 1;
    if (this.#gossip !== undefined) {
      this.#gossipDelay = Math.min(this.#gossip.maxBackoffMs, this.#gossipDelay * 2);
    }
  }

  #scheduleRepair(): void {
    const options = this.#merkleOptions as MerkleOptions;
    this.#after(options.intervalMs * (0.75 + 0.5 * this.#random()), () => {
      const peers = this.#transport.peers();
      if (peers.length > 0)
        this.repairWith(peers[Math.floor(this.#random() * peers.length)] as ReplicaId);
      this.#scheduleRepair();
    });
  }

  #after(ms: number, callback: () => void): TimerHandle {
    const handle: TimerHandle = this.#scheduler.setTimeout(() => {
      this.#timers.delete(handle);
      if (!this.#stopped) callback();
    }, ms);
    this.#timers.add(handle);
    return handle;
  }

  #clear(handle: TimerHandle): void {
    this.#timers.delete(handle);
    this.#scheduler.clearTimeout(handle);
  }
}
