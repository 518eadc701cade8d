/**
 * One replica's sync engine: runs the fast path, the Merkle repair path and live pushes of local
 * updates over any `Transport`, with timers from a `Scheduler` (virtual in tests). Every frame
 * is decoded under `DecodeLimits` and applied whole or not at all; the sender is the peer of the
 * connection it came on, never a field of the frame. A rejected frame raises a typed event and a
 * counter and is otherwise ignored.
 */
import {
  addDotInPlace,
  type CausalContext,
  causalContextIncludes,
  cloneCausalContext,
  type Dot,
  emptyCausalContext,
  joinCausalContextInto,
  type ReplicaId,
} from "@convergent/clocks";
import { ConvergentError, DEFAULT_DECODE_LIMITS, type DecodeLimits } from "@convergent/core";
import type { DottedEntry, Keyspace } from "../keyspace/keyspace.js";
import { answerMerkle, merkleStart } from "../merkle/repair.js";
import { DEFAULT_MERKLE_DEPTH, MerkleTree } from "../merkle/tree.js";
import { Emitter } from "../transports/emitter.js";
import type { Scheduler, TimerHandle } from "../transports/scheduler.js";
import type { Transport, Unsubscribe } from "../transports/transport.js";
import { answerSyncRequest, applySyncResponse, syncRequest } from "./fast-path.js";
import { decodeMessage, encodeMessage, type SyncMessage, type SyncResponse } from "./messages.js";
import {
  DEFAULT_SPLIT_RESPONSE_LIMITS,
  ResponseAssembler,
  type SplitResponseLimits,
} from "./split-responses.js";

/** A `fetch` that got no answer in time, or whose connection broke first. */
export class FetchFailedError extends ConvergentError {
  readonly peer: ReplicaId;

  constructor(peer: ReplicaId, reason: "timeout" | "disconnected" | "unreachable" | "stopped") {
    super("FETCH_FAILED", `read request to ${peer} failed: ${reason}`);
    this.peer = peer;
  }
}

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
   * Most entries in one frame (default 10,000). A longer response goes out as numbered parts,
   * each with the sender's context, which is only joined once every part has arrived (any of
   * them may be lost). Without causal delivery each part is applied as it arrives and the
   * context is not joined: the gaps this leaves close at the next exchange that fits in one
   * frame. With causal delivery the parts are applied together, see `splitResponses`.
   */
  readonly maxEntriesPerFrame?: number;
  /**
   * Causal delivery (default false): pushes carry the sender's context as their dependencies,
   * and a received push is buffered until this keyspace has seen them, so no key ever shows an
   * update before the updates it depends on. A sync response is applied whole: one split across
   * frames is buffered until its last part arrives. Costs a context per push, may delay a push
   * until a sync fills the gap, and holds a split response until it is complete.
   */
  readonly causal?: boolean;
  /** Causal pushes buffered at most (default 1024); beyond, the oldest is dropped (the fast path covers it). */
  readonly maxBufferedPushes?: number;
  /**
   * With causal delivery, the parts of one split response held per connection (defaults in
   * `DEFAULT_SPLIT_RESPONSE_LIMITS`). A response beyond these bounds is dropped whole and counted
   * in `splitResponsesDropped`, so the bounds must exceed the largest difference a peer may have
   * to catch up on through the fast path.
   */
  readonly splitResponses?: Partial<SplitResponseLimits>;
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
  /** Split responses given up before their last part: superseded, too large, or cut off. */
  readonly splitResponsesDropped: number;
}

interface InFlightPush {
  readonly frame: Uint8Array;
  /** The keys the push carried with their dots: the peer holds them once it acknowledges. */
  readonly keys: readonly AcknowledgedKey[];
  retransmits: number;
}

/** A key a peer acknowledged, with the keyspace dots it had when it was pushed. */
export interface AcknowledgedKey {
  readonly key: string;
  readonly dots: readonly Dot[];
}

/** What a peer answered to `fetch`. */
export interface FetchResult {
  readonly entries: readonly DottedEntry[];
  /** The peer's whole context when it answered. */
  readonly context: CausalContext;
}

interface BufferedPush {
  readonly peer: ReplicaId;
  readonly seq: number;
  readonly deps: CausalContext;
  readonly covered: CausalContext;
  readonly entries: readonly DottedEntry[];
}

interface PendingFetch {
  readonly peer: ReplicaId;
  readonly resolve: (result: FetchResult) => void;
  readonly reject: (error: FetchFailedError) => void;
  readonly timer: TimerHandle;
}

interface PeerState {
  nextPushSeq: number;
  /** Ids of split responses sent on this connection, ascending in the order of answering. */
  nextResponseId: number;
  readonly inFlight: Map<number, InFlightPush>;
  requestTimer: TimerHandle | undefined;
  /** Parts of a split response from the peer (causal delivery only); dropped on disconnect. */
  assembler: ResponseAssembler | undefined;
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
  readonly #events = new Emitter<{
    rejected: [RejectedFrame];
    acknowledged: [ReplicaId, readonly AcknowledgedKey[]];
    peerContext: [ReplicaId, CausalContext];
    synced: [ReplicaId];
  }>();
  readonly #fetches = new Map<number, PendingFetch>();
  readonly #buffered: BufferedPush[] = [];
  readonly #causal: boolean;
  readonly #maxBuffered: number;
  #delivering = false;
  /** Own dots of local changes since the last flush, per key (see CausalPush.covered). */
  #covered = new Map<string, Dot[]>();
  #nextFetchId = 1;
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
    splitResponsesDropped: 0,
  };
  readonly #pending = new Set<string>();
  readonly #maxEntries: number;
  readonly #splitLimits: SplitResponseLimits;
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
    this.#causal = options.causal ?? false;
    this.#maxBuffered = Math.max(1, options.maxBufferedPushes ?? 1024);
    this.#splitLimits = { ...DEFAULT_SPLIT_RESPONSE_LIMITS, ...options.splitResponses };
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
        if (change.origin === "local" && this.#push !== undefined) {
          if (this.#causal) this.#cover(change.keys);
          this.#queuePush(change.keys);
        }
        if (change.origin === "remote" && this.#buffered.length > 0) this.#deliverBuffered();
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

  /**
   * Called when `peer` acknowledged a push: it applied the pushed keys, each with the keyspace
   * dots it had when pushed (a key's state includes every update up to those dots). A peer that
   * only sends acknowledgements once its storage committed, as the replicated store does, makes
   * this a durability acknowledgement.
   */
  onAcknowledged(
    handler: (peer: ReplicaId, keys: readonly AcknowledgedKey[]) => void,
  ): Unsubscribe {
    return this.#events.on("acknowledged", handler);
  }

  /** Called with the keyspace context a peer announced in its sync request: what it has seen. */
  onPeerContext(handler: (peer: ReplicaId, context: CausalContext) => void): Unsubscribe {
    return this.#events.on("peerContext", handler);
  }

  /** Called after a sync response from `peer` was applied: we hold everything it had then. */
  onSynced(handler: (peer: ReplicaId) => void): Unsubscribe {
    return this.#events.on("synced", handler);
  }

  /**
   * Asks `peer` for its current state of `keys` (a read-request); resolves with the keys it
   * holds, with all their dots, or rejects with FetchFailedError after `timeoutMs`, when the
   * connection breaks or the frame cannot be sent. The entries are not applied here.
   */
  fetch(peer: ReplicaId, keys: readonly string[], timeoutMs: number): Promise<FetchResult> {
    return new Promise((resolve, reject) => {
      if (this.#stopped) {
        reject(new FetchFailedError(peer, "stopped"));
        return;
      }
      const id = this.#nextFetchId++;
      const timer = this.#after(timeoutMs, () => {
        this.#fetches.delete(id);
        reject(new FetchFailedError(peer, "timeout"));
      });
      this.#fetches.set(id, { peer, resolve, reject, timer });
      if (!this.#send(peer, { kind: "read-request", id, keys })) {
        this.#fetches.delete(id);
        this.#clear(timer);
        reject(new FetchFailedError(peer, "unreachable"));
      }
    });
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
    this.#send(peer, merkleStart(this.merkle, Math.floor(this.#random() * 2 ** 32)));
  }

  /** Pushes the current state of `keys` to `peer` now (read repair, or an eager hand-off). */
  push(peer: ReplicaId, keys: Iterable<string>): void {
    this.#pushKeys(peer, keys, new Map());
  }

  #pushKeys(
    peer: ReplicaId,
    keys: Iterable<string>,
    covered: ReadonlyMap<string, readonly Dot[]>,
  ): void {
    let entries: DottedEntry[] = [];
    // Each frame claims only the covered dots of its own keys: a frame applied alone must not
    // put dots into the receiver's context whose updates travel in another frame.
    let claimed = emptyCausalContext();
    for (const key of keys) {
      const entry = this.keyspace.get(key);
      if (entry === undefined) continue;
      entries.push({ ...entry, dots: this.keyspace.dotsOf(key) });
      for (const d of covered.get(key) ?? []) addDotInPlace(claimed, d);
      if (entries.length === this.#maxEntries) {
        this.#pushEntries(peer, entries, claimed);
        entries = [];
        claimed = emptyCausalContext();
      }
    }
    if (entries.length > 0) this.#pushEntries(peer, entries, claimed);
  }

  #pushEntries(
    peer: ReplicaId,
    entries: readonly DottedEntry[],
    covered: CausalContext = emptyCausalContext(),
  ): void {
    const state = this.#peer(peer);
    const seq = state.nextPushSeq++;
    const deps = this.#causal ? cloneCausalContext(this.keyspace.context) : undefined;
    const frame = this.#encode(
      peer,
      deps !== undefined
        ? { kind: "causal-push", seq, deps, covered, entries }
        : { kind: "delta-push", seq, entries },
    );
    if (this.#transport.send(peer, frame) !== "queued") return;
    this.#counters.pushesSent += 1;
    if (this.#push === undefined) return;
    const keys = entries.map(({ key, dots }) => ({ key, dots }));
    state.inFlight.set(seq, { frame, keys, retransmits: 0 });
    if (state.inFlight.size > this.#push.maxInFlight) {
      state.inFlight.delete(state.inFlight.keys().next().value as number);
    }
    this.#scheduleRetransmit(peer, seq);
  }

  /** Detaches from the transport and the keyspace and cancels every timer. */
  stop(): void {
    this.#stopped = true;
    for (const [id, fetch] of this.#fetches) {
      this.#fetches.delete(id);
      fetch.reject(new FetchFailedError(fetch.peer, "stopped"));
    }
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
      this.#handle(peer, message, frame.length);
    } catch (error) {
      this.#reject(peer, message.kind, error);
    }
  }

  #handle(peer: ReplicaId, message: SyncMessage, frameBytes: number): void {
    switch (message.kind) {
      case "sync-request": {
        this.#events.emit("peerContext", peer, message.context);
        const response = answerSyncRequest(this.keyspace, message);
        const state = this.#peer(peer);
        const total = response.entries.length;
        if (total <= this.#maxEntries) this.#send(peer, response);
        else {
          const id = state.nextResponseId++;
          const count = Math.ceil(total / this.#maxEntries);
          for (let index = 0; index < count; index++) {
            const start = index * this.#maxEntries;
            const entries = response.entries.slice(start, start + this.#maxEntries);
            const { context } = response;
            this.#send(peer, { kind: "sync-response-part", id, index, count, context, entries });
          }
        }
        // Pull as well when the peer has seen something we have not and we are not already asking.
        if (
          state.requestTimer === undefined &&
          !causalContextIncludes(this.keyspace.context, message.context)
        ) {
          this.syncWith(peer);
        }
        return;
      }
      case "sync-response":
        // A whole response also ends the wait for a split one, so an incomplete one is not
        // held beyond the next exchange; the next round answers anything it would have brought.
        this.#peers.get(peer)?.assembler?.clear();
        this.#applyResponse(peer, message);
        return;
      case "sync-response-part": {
        if (!this.#causal) {
          // Applied as it arrives; its context covers other parts too, so it is not joined.
          this.#applyResponse(peer, {
            kind: "sync-response",
            context: emptyCausalContext(),
            entries: message.entries,
          });
          return;
        }
        const state = this.#peer(peer);
        state.assembler ??= new ResponseAssembler(this.#splitLimits, () => {
          this.#counters.splitResponsesDropped += 1;
        });
        const response = state.assembler.add(message, frameBytes);
        if (response !== undefined) this.#applyResponse(peer, response);
        return;
      }
      case "merkle-digest":
      case "merkle-keys":
      case "merkle-entries": {
        if (this.merkle === undefined) return;
        const reply = answerMerkle(this.keyspace, this.merkle, message);
        if (reply !== undefined) {
          this.#counters.repairMessagesSent += 1;
          this.#send(peer, reply);
        }
        return;
      }
      case "causal-push":
        this.#counters.pushesReceived += 1;
        this.#buffered.push({
          peer,
          seq: message.seq,
          deps: message.deps,
          covered: message.covered,
          entries: message.entries,
        });
        if (this.#buffered.length > this.#maxBuffered) this.#buffered.shift();
        this.#deliverBuffered();
        return;
      case "delta-push":
        this.keyspace.applyRemote(message.entries);
        this.#counters.pushesReceived += 1;
        this.#send(peer, { kind: "delta-ack", seq: message.seq });
        return;
      case "delta-ack": {
        const inFlight = this.#peer(peer).inFlight;
        const push = inFlight.get(message.seq);
        if (push === undefined) return;
        inFlight.delete(message.seq);
        this.#counters.acksReceived += 1;
        this.#events.emit("acknowledged", peer, push.keys);
        return;
      }
      case "read-request": {
        const entries: DottedEntry[] = [];
        for (const key of message.keys) {
          const entry = this.keyspace.get(key);
          if (entry !== undefined) entries.push({ ...entry, dots: this.keyspace.dotsOf(key) });
        }
        const context = cloneCausalContext(this.keyspace.context);
        this.#send(peer, { kind: "read-response", id: message.id, context, entries });
        return;
      }
      case "read-response": {
        const fetch = this.#fetches.get(message.id);
        // Only the peer asked may answer: ids are per engine, not secrets.
        if (fetch === undefined || fetch.peer !== peer) return;
        this.#fetches.delete(message.id);
        this.#clear(fetch.timer);
        fetch.resolve({ entries: message.entries, context: message.context });
        return;
      }
    }
  }

  #applyResponse(peer: ReplicaId, response: SyncResponse): void {
    applySyncResponse(this.keyspace, response);
    this.#counters.syncResponsesApplied += 1;
    const state = this.#peer(peer);
    if (state.requestTimer !== undefined) {
      this.#clear(state.requestTimer);
      state.requestTimer = undefined;
    }
    if (this.#gossip !== undefined) this.#gossipDelay = this.#gossip.intervalMs;
    // A response may only fill context gaps (no state change, so no keyspace event).
    if (this.#buffered.length > 0) this.#deliverBuffered();
    this.#events.emit("synced", peer);
  }

  /** Applies every buffered causal push whose dependencies are now met, until none is. */
  #deliverBuffered(): void {
    if (this.#delivering) return;
    this.#delivering = true;
    try {
      let progress = true;
      while (progress) {
        progress = false;
        for (let i = 0; i < this.#buffered.length; i++) {
          const push = this.#buffered[i] as BufferedPush;
          const seen = cloneCausalContext(this.keyspace.context);
          for (const entry of push.entries) for (const d of entry.dots) addDotInPlace(seen, d);
          joinCausalContextInto(seen, push.covered);
          if (!causalContextIncludes(seen, push.deps)) continue;
          this.#buffered.splice(i, 1);
          try {
            this.keyspace.applyRemote(push.entries, push.covered);
            this.#send(push.peer, { kind: "delta-ack", seq: push.seq });
          } catch (error) {
            this.#reject(push.peer, "causal-push", error);
          }
          progress = true;
          break;
        }
        if (!progress && this.#buffered.length > 1) progress = this.#deliverTogether();
      }
    } finally {
      this.#delivering = false;
    }
  }

  /**
   * The frames of one batch too long for one frame depend on each other (each carries the
   * sender's whole context), so none applies alone. Finds, per peer, the largest set of its
   * buffered pushes whose dependencies this keyspace meets with the dots of the whole set, and
   * applies that set at once: what it shows is then as closed as one unsplit push.
   */
  #deliverTogether(): boolean {
    const peers = new Set(this.#buffered.map((push) => push.peer));
    for (const peer of peers) {
      let group = this.#buffered.filter((push) => push.peer === peer);
      while (group.length > 1) {
        const seen = cloneCausalContext(this.keyspace.context);
        for (const push of group) {
          for (const entry of push.entries) for (const d of entry.dots) addDotInPlace(seen, d);
          joinCausalContextInto(seen, push.covered);
        }
        const met = group.filter((push) => causalContextIncludes(seen, push.deps));
        if (met.length === group.length) break;
        group = met;
      }
      if (group.length < 2) continue;
      const members = new Set(group);
      const rest = this.#buffered.filter((push) => !members.has(push));
      this.#buffered.length = 0;
      this.#buffered.push(...rest);
      const entries = group.flatMap((push) => push.entries);
      const covered = emptyCausalContext();
      for (const push of group) joinCausalContextInto(covered, push.covered);
      try {
        this.keyspace.applyRemote(entries, covered);
        for (const push of group) this.#send(peer, { kind: "delta-ack", seq: push.seq });
      } catch (error) {
        this.#reject(peer, "causal-push", error);
      }
      return true;
    }
    return false;
  }

  /** Causal pushes waiting for their dependencies. */
  get bufferedPushes(): number {
    return this.#buffered.length;
  }

  /** Parts of split responses held until their response is complete, over all connections. */
  get bufferedResponseParts(): number {
    let parts = 0;
    for (const state of this.#peers.values()) parts += state.assembler?.parts ?? 0;
    return parts;
  }

  /** Frame bytes of the parts counted by `bufferedResponseParts`. */
  get bufferedResponseBytes(): number {
    let bytes = 0;
    for (const state of this.#peers.values()) bytes += state.assembler?.bytes ?? 0;
    return bytes;
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
      state = {
        nextPushSeq: 1,
        nextResponseId: 1,
        inFlight: new Map(),
        requestTimer: undefined,
        assembler: undefined,
      };
      this.#peers.set(peer, state);
    }
    return state;
  }

  #forget(peer: ReplicaId): void {
    for (const [id, fetch] of this.#fetches) {
      if (fetch.peer !== peer) continue;
      this.#fetches.delete(id);
      this.#clear(fetch.timer);
      fetch.reject(new FetchFailedError(peer, "disconnected"));
    }
    const state = this.#peers.get(peer);
    if (state === undefined) return;
    if (state.requestTimer !== undefined) this.#clear(state.requestTimer);
    // Pushes in flight died with the connection; the sync on reconnect covers them. So did
    // the missing parts of a split response.
    state.inFlight.clear();
    state.requestTimer = undefined;
    state.assembler?.clear();
    state.assembler = undefined;
  }

  /** Records the own dots of a local change, which a later update of the key would hide. */
  #cover(keys: readonly string[]): void {
    for (const key of keys) {
      for (const d of this.keyspace.dotsOf(key)) {
        if (d.replica !== this.keyspace.replica) continue;
        const dots = this.#covered.get(key);
        if (dots === undefined) this.#covered.set(key, [d]);
        else dots.push(d);
      }
    }
  }

  #queuePush(keys: readonly string[]): void {
    for (const key of keys) this.#pending.add(key);
    if (this.#flushTimer !== undefined || this.#push === undefined) return;
    this.#flushTimer = this.#after(this.#push.batchMs, () => {
      this.#flushTimer = undefined;
      const keys = [...this.#pending];
      this.#pending.clear();
      const covered = this.#covered;
      this.#covered = new Map();
      for (const peer of this.#transport.peers()) this.#pushKeys(peer, keys, covered);
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
