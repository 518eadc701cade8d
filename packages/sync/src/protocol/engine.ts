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
  type MutableCausalContext,
  maxCounter,
  type ReplicaId,
} from "@convergent/clocks";
import { ConvergentError, DEFAULT_DECODE_LIMITS } from "@convergent/core";
import {
  type DeltaEntry,
  type DottedEntry,
  type Keyspace,
  wholeStateDeltas,
} from "../keyspace/keyspace.js";
import { answerMerkle, merkleStart } from "../merkle/repair.js";
import { DEFAULT_MERKLE_DEPTH, MerkleTree } from "../merkle/tree.js";
import { Emitter } from "../transports/emitter.js";
import type { Scheduler, TimerHandle } from "../transports/scheduler.js";
import type { Transport, Unsubscribe } from "../transports/transport.js";
import { FrameHandlingError, ProtocolViolationError } from "./errors.js";
import { answerSyncRequest, applySyncResponse, syncRequest } from "./fast-path.js";
import {
  decodeMessage,
  encodeMessage,
  type SyncDecodeLimits,
  type SyncMessage,
  type SyncRequest,
  type SyncResponse,
} from "./messages.js";
import { PendingDeltas } from "./pending-deltas.js";
import {
  DEFAULT_SPLIT_RESPONSE_LIMITS,
  ResponseAssembler,
  type SplitResponseLimits,
} from "./split-responses.js";

export { FrameHandlingError, ProtocolViolationError } from "./errors.js";

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
  /** Per-frame decode limits, the context bounds included (`SyncDecodeLimits`). */
  readonly limits?: SyncDecodeLimits;
  /** Uniform numbers in [0, 1) for peer choice and jitter; defaults to Math.random. */
  readonly random?: () => number;
  /** Fast-path gossip; `false` turns it off (sync still runs on every new connection). */
  readonly gossip?: Partial<GossipOptions> | false;
  /** Live pushes of local updates; `false` turns them off. */
  readonly push?: Partial<PushOptions> | false;
  /**
   * Relay (default true): deltas received in a push are forwarded at once to every other
   * connected peer, so a write crosses a hub in one hop. Each replica forwards a delta only the
   * first time it applies it, so a mesh carries each delta at most once per link and direction.
   */
  readonly relay?: boolean;
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
  /**
   * Causal pushes buffered at most over all connections (default 1024); beyond, the oldest push
   * of the connection holding the most bytes is dropped (the fast path covers it).
   */
  readonly maxBufferedPushes?: number;
  /** Byte and per-connection caps of the causal-push buffer (`DEFAULT_PUSH_BUFFER`). */
  readonly pushBuffer?: Partial<PushBufferLimits>;
  /** Rate limit of answered sync requests per connection (`DEFAULT_REQUEST_LIMITS`). */
  readonly requests?: Partial<RequestLimits>;
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
  /**
   * Local updates within this window travel in one frame per peer; 0 (the default) gathers the
   * updates of one turn of the event loop.
   */
  readonly batchMs: number;
  /** Unacknowledged pushes are resent after this long... */
  readonly retransmitMs: number;
  /** ...at most this many times; the fast path covers anything still missing. */
  readonly maxRetransmits: number;
  /** Unacknowledged pushes kept per peer; the oldest is forgotten beyond this. */
  readonly maxInFlight: number;
}

/**
 * The causal-push buffer holds pushes whose dependencies have not arrived. A peer can send
 * pushes whose dependencies never arrive, so the buffer is capped per connection and overall,
 * in pushes and in frame bytes, and a connection's pushes are dropped when it closes. A dropped
 * push is never acknowledged: its sender retransmits, and the fast path brings it anyway.
 */
export interface PushBufferLimits {
  /** Pushes buffered per connection (default 256). */
  readonly maxPerPeer: number;
  /** Frame bytes buffered per connection (default 16 MiB); a larger push is not buffered. */
  readonly maxBytesPerPeer: number;
  /** Frame bytes buffered over all connections (default 64 MiB). */
  readonly maxBytes: number;
}

export const DEFAULT_PUSH_BUFFER: PushBufferLimits = Object.freeze({
  maxPerPeer: 256,
  maxBytesPerPeer: 16 * 1024 * 1024,
  maxBytes: 64 * 1024 * 1024,
});

/**
 * Sync requests answered per connection: a token bucket of `burst` tokens refilled at
 * `perSecond`. A request that finds the bucket empty is not answered at once: it is kept (a
 * newer one replaces it, since a later context asks for less) and answered when a token is
 * back. Every request is eventually answered with the latest context asked for, and a flood of
 * tiny requests (600 bytes once made a node send 403 MB) costs at most `perSecond` responses.
 * Gossip (one request a second to a random peer) and the store's catch-up pulls (every 250 ms)
 * stay within the defaults.
 */
export interface RequestLimits {
  readonly perSecond: number;
  readonly burst: number;
}

export const DEFAULT_REQUEST_LIMITS: RequestLimits = Object.freeze({ perSecond: 8, burst: 16 });

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
  batchMs: 0,
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
  /** Causal pushes dropped from the buffer by its caps or because their connection closed. */
  readonly bufferedPushesDropped: number;
  /** Deltas forwarded to other peers after applying them. */
  readonly deltasRelayed: number;
  /** Pushed deltas refused because an earlier update of their key had not arrived. */
  readonly deltaGaps: number;
  /** Sync requests held back by the rate limit (answered later, or replaced by a newer one). */
  readonly syncRequestsDeferred: number;
  /** Deferred sync requests replaced by a newer one from the same peer before an answer. */
  readonly syncRequestsCoalesced: number;
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
  readonly bytes: number;
  readonly seq: number;
  readonly deps: CausalContext;
  readonly entries: readonly DeltaEntry[];
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
  /** Rate limit of the peer's sync requests: tokens left and when they were last refilled. */
  tokens: number;
  refilledAt: number;
  /** The peer's latest request held back by the rate limit, and the timer that answers it. */
  deferred: SyncRequest | undefined;
  deferTimer: TimerHandle | undefined;
  /** Causal pushes from the peer in the buffer, and their frame bytes. */
  bufferedCount: number;
  bufferedBytes: number;
}

type Counters = { -readonly [K in keyof SyncEngineStats]: number };

export class SyncEngine {
  readonly keyspace: Keyspace;
  readonly merkle: MerkleTree | undefined;
  readonly #transport: Transport;
  readonly #scheduler: Scheduler;
  readonly #limits: SyncDecodeLimits;
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
  readonly #pushBuffer: PushBufferLimits;
  readonly #requestLimits: RequestLimits;
  #bufferedBytes = 0;
  #delivering = false;
  readonly #relay: boolean;
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
    bufferedPushesDropped: 0,
    deltasRelayed: 0,
    deltaGaps: 0,
    syncRequestsDeferred: 0,
    syncRequestsCoalesced: 0,
  };
  readonly #pending: PendingDeltas;
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
    this.#relay = options.relay ?? true;
    this.#pending = new PendingDeltas(options.keyspace.registry);
    this.#maxBuffered = Math.max(1, options.maxBufferedPushes ?? 1024);
    this.#pushBuffer = { ...DEFAULT_PUSH_BUFFER, ...options.pushBuffer };
    this.#requestLimits = { ...DEFAULT_REQUEST_LIMITS, ...options.requests };
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
        if (change.origin === "local" && change.deltas !== undefined) {
          this.#queuePush(change.deltas);
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

  /**
   * Called with the keyspace context a peer announced in its sync request (what it has seen),
   * cut to what this keyspace can back (no origin beyond the highest dot known here, no own dot
   * beyond what this replica issued), and with an empty context when the peer's connection
   * closes: what a peer announced counts only while it is connected.
   */
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

  /**
   * Pushes the current state of `keys` to `peer` now (read repair, or an eager hand-off): a
   * whole state is a delta too, holding every update of each origin up to its latest dot.
   */
  push(peer: ReplicaId, keys: Iterable<string>): void {
    const entries: DottedEntry[] = [];
    for (const key of keys) {
      const entry = this.keyspace.get(key);
      if (entry !== undefined) entries.push({ ...entry, dots: this.keyspace.dotsOf(key) });
    }
    this.#pushEntries(peer, wholeStateDeltas(entries), this.#depsNow());
  }

  /** Sends `entries` to `peer` as numbered pushes of at most `maxEntriesPerFrame` entries. */
  #pushEntries(
    peer: ReplicaId,
    entries: readonly DeltaEntry[],
    deps: CausalContext | undefined,
  ): void {
    for (let start = 0; start < entries.length; start += this.#maxEntries) {
      this.#pushFrame(peer, entries.slice(start, start + this.#maxEntries), deps);
    }
  }

  #pushFrame(peer: ReplicaId, entries: readonly DeltaEntry[], deps: CausalContext | undefined) {
    const state = this.#peer(peer);
    const seq = state.nextPushSeq++;
    const frame = this.#encode(peer, { kind: "delta-push", seq, deps, entries });
    if (this.#transport.send(peer, frame) !== "queued") return;
    this.#counters.pushesSent += 1;
    if (this.#push === undefined) return;
    const keys = entries.map(({ key, origin, counters }) => ({
      key,
      dots: [{ replica: origin, counter: counters[counters.length - 1] as number }],
    }));
    state.inFlight.set(seq, { frame, keys, retransmits: 0 });
    if (state.inFlight.size > this.#push.maxInFlight) {
      state.inFlight.delete(state.inFlight.keys().next().value as number);
    }
    this.#scheduleRetransmit(peer, seq);
  }

  /** What a push made now depends on, with causal delivery. */
  #depsNow(): CausalContext | undefined {
    return this.#causal ? cloneCausalContext(this.keyspace.context) : undefined;
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
    // Nothing from one frame may reach the transport's event loop (where it would end the
    // process): whatever escapes, listeners included, counts as a rejected frame.
    try {
      this.#receiveFrame(peer, frame);
    } catch (error) {
      this.#rejectQuietly(peer, "undecodable", error);
    }
  }

  #receiveFrame(peer: ReplicaId, frame: Uint8Array): void {
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
        this.#events.emit("peerContext", peer, this.keyspace.bounded(message.context));
        const state = this.#peer(peer);
        if (this.#takeToken(state)) this.#answerRequest(peer, state, message);
        else this.#defer(peer, state, message);
        // Pull as well when the peer has seen something we have not and we are not already
        // asking (one request in flight per peer, so this cannot be used to flood us).
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
        if (this.bufferedResponseBytes + frameBytes > this.#splitLimits.maxTotalBytes) {
          state.assembler.clear();
          return;
        }
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
      case "delta-push": {
        this.#counters.pushesReceived += 1;
        if (message.deps === undefined) {
          this.#applyPush(peer, message.seq, undefined, message.entries);
          return;
        }
        // Dependencies on own dots this replica never issued can never be met: such a push
        // would sit in the buffer for good.
        if (maxCounter(message.deps, this.keyspace.replica) > this.keyspace.issued) {
          throw new ProtocolViolationError(
            "a causal push depends on dots of the receiver that it never issued",
          );
        }
        const state = this.#peer(peer);
        if (frameBytes > this.#pushBuffer.maxBytesPerPeer) {
          this.#counters.bufferedPushesDropped += 1;
          return;
        }
        this.#buffered.push({
          peer,
          bytes: frameBytes,
          seq: message.seq,
          deps: message.deps,
          entries: message.entries,
        });
        state.bufferedCount += 1;
        state.bufferedBytes += frameBytes;
        this.#bufferedBytes += frameBytes;
        this.#deliverBuffered();
        this.#enforcePushBuffer(peer);
        return;
      }
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
        // Own dots beyond what this replica issued can never be caught up with.
        fetch.resolve({
          entries: message.entries,
          context: this.#withoutFutureOwn(message.context),
        });
        return;
      }
    }
  }

  #answerRequest(peer: ReplicaId, state: PeerState, message: SyncRequest): void {
    const response = answerSyncRequest(this.keyspace, message);
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
  }

  /** Refills the peer's bucket for the time passed and takes a token if there is one. */
  #takeToken(state: PeerState): boolean {
    const { perSecond, burst } = this.#requestLimits;
    const now = this.#scheduler.now();
    state.tokens = Math.min(burst, state.tokens + ((now - state.refilledAt) * perSecond) / 1000);
    state.refilledAt = now;
    if (state.deferred !== undefined || state.tokens < 1) return false;
    state.tokens -= 1;
    return true;
  }

  /** Keeps the peer's latest request until a token is back (one per peer; newer replaces). */
  #defer(peer: ReplicaId, state: PeerState, message: SyncRequest): void {
    this.#counters.syncRequestsDeferred += 1;
    if (state.deferred !== undefined) this.#counters.syncRequestsCoalesced += 1;
    state.deferred = message;
    if (state.deferTimer !== undefined) return;
    const wait = (Math.max(0, 1 - state.tokens) * 1000) / this.#requestLimits.perSecond;
    state.deferTimer = this.#after(Math.ceil(wait), () => {
      state.deferTimer = undefined;
      const request = state.deferred;
      state.deferred = undefined;
      if (request === undefined || this.#peers.get(peer) !== state) return;
      if (this.#takeToken(state)) {
        try {
          this.#answerRequest(peer, state, request);
        } catch (error) {
          this.#rejectQuietly(peer, "sync-request", error);
        }
      } else this.#defer(peer, state, request);
    });
  }

  #applyResponse(peer: ReplicaId, response: SyncResponse): void {
    applySyncResponse(this.keyspace, response, peer);
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

  /** Applies a push (its dependencies met) and acknowledges it unless a delta found a gap. */
  #applyPush(
    peer: ReplicaId,
    seq: number,
    deps: CausalContext | undefined,
    entries: readonly DeltaEntry[],
  ): void {
    if (this.#applyDeltas(peer, entries, deps)) this.#send(peer, { kind: "delta-ack", seq });
  }

  /**
   * Applies deltas from `peer` and relays what was new to every other peer. Returns false when a
   * delta found a gap (an earlier update of its key missing here): the push is then not
   * acknowledged, so its sender retransmits it, and a sync with the peer brings the keys whole.
   */
  #applyDeltas(
    peer: ReplicaId,
    entries: readonly DeltaEntry[],
    deps: CausalContext | undefined,
  ): boolean {
    const { applied, gaps } = this.keyspace.applyDeltas(entries);
    if (this.#relay && applied.length > 0) {
      for (const other of this.#transport.peers()) {
        if (other === peer) continue;
        this.#counters.deltasRelayed += applied.length;
        this.#pushEntries(other, applied, deps);
      }
    }
    if (gaps.length === 0) return true;
    this.#counters.deltaGaps += gaps.length;
    if (this.#peer(peer).requestTimer === undefined) this.syncWith(peer);
    return false;
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
          addDeltaDots(seen, push.entries);
          if (!causalContextIncludes(seen, push.deps)) continue;
          this.#buffered.splice(i, 1);
          this.#unbuffer(push);
          try {
            this.#applyPush(push.peer, push.seq, push.deps, push.entries);
          } catch (error) {
            this.#reject(push.peer, "delta-push", error);
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
        for (const push of group) addDeltaDots(seen, push.entries);
        const met = group.filter((push) => causalContextIncludes(seen, push.deps));
        if (met.length === group.length) break;
        group = met;
      }
      if (group.length < 2) continue;
      const members = new Set(group);
      const rest = this.#buffered.filter((push) => !members.has(push));
      this.#buffered.length = 0;
      this.#buffered.push(...rest);
      for (const push of group) this.#unbuffer(push);
      const entries = group.flatMap((push) => push.entries);
      const deps = emptyCausalContext();
      for (const push of group) joinCausalContextInto(deps, push.deps);
      try {
        const applied = this.#applyDeltas(peer, entries, deps);
        if (applied)
          for (const push of group) this.#send(peer, { kind: "delta-ack", seq: push.seq });
      } catch (error) {
        this.#reject(peer, "delta-push", error);
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
    const typed = error instanceof ConvergentError ? error : new FrameHandlingError(error);
    this.#counters.framesRejected += 1;
    this.#events.emit("rejected", { peer, kind, error: typed });
  }

  /** `#reject` for the last line of defence: a throwing `rejected` listener is ignored too. */
  #rejectQuietly(peer: ReplicaId, kind: RejectedFrame["kind"], error: unknown): void {
    try {
      this.#reject(peer, kind, error);
    } catch {
      // A listener's own failure; the frame is already counted.
    }
  }

  /** `context` without own dots above what this replica issued. */
  #withoutFutureOwn(context: CausalContext): CausalContext {
    const self = this.keyspace.replica;
    const issued = this.keyspace.issued;
    if (maxCounter(context, self) <= issued) return context;
    const result: MutableCausalContext = cloneCausalContext(context);
    const vector = result.versionVector.get(self);
    if (vector !== undefined) result.versionVector.set(self, Math.min(vector, issued));
    const cloud = result.cloud.get(self);
    if (cloud !== undefined) {
      for (const counter of [...cloud]) if (counter > issued) cloud.delete(counter);
      if (cloud.size === 0) result.cloud.delete(self);
    }
    return result;
  }

  #unbuffer(push: BufferedPush): void {
    this.#bufferedBytes -= push.bytes;
    const state = this.#peers.get(push.peer);
    if (state === undefined) return;
    state.bufferedCount -= 1;
    state.bufferedBytes -= push.bytes;
  }

  /** Drops buffered pushes until the caps hold: `peer`'s oldest first, then the largest holder's. */
  #enforcePushBuffer(peer: ReplicaId): void {
    const state = this.#peers.get(peer);
    const limits = this.#pushBuffer;
    while (
      state !== undefined &&
      (state.bufferedCount > limits.maxPerPeer || state.bufferedBytes > limits.maxBytesPerPeer)
    ) {
      if (!this.#dropOldest(peer)) break;
    }
    while (this.#buffered.length > this.#maxBuffered || this.#bufferedBytes > limits.maxBytes) {
      let largest: ReplicaId | undefined;
      let most = -1;
      for (const [id, s] of this.#peers) {
        if (s.bufferedCount > 0 && s.bufferedBytes > most) {
          most = s.bufferedBytes;
          largest = id;
        }
      }
      if (largest === undefined || !this.#dropOldest(largest)) break;
    }
  }

  #dropOldest(peer: ReplicaId): boolean {
    const i = this.#buffered.findIndex((push) => push.peer === peer);
    if (i < 0) return false;
    const [push] = this.#buffered.splice(i, 1);
    this.#unbuffer(push as BufferedPush);
    this.#counters.bufferedPushesDropped += 1;
    return true;
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
        tokens: this.#requestLimits.burst,
        refilledAt: this.#scheduler.now(),
        deferred: undefined,
        deferTimer: undefined,
        bufferedCount: 0,
        bufferedBytes: 0,
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
    if (state.deferTimer !== undefined) this.#clear(state.deferTimer);
    // Everything learned from the connection goes with it: buffered pushes, the held request,
    // the rate limit's state, and what the peer announced (listeners get an empty context).
    if (state.bufferedCount > 0) {
      const kept = this.#buffered.filter((push) => push.peer !== peer);
      this.#counters.bufferedPushesDropped += this.#buffered.length - kept.length;
      for (const push of this.#buffered) if (push.peer === peer) this.#bufferedBytes -= push.bytes;
      this.#buffered.length = 0;
      this.#buffered.push(...kept);
    }
    this.#peers.delete(peer);
    this.#events.emit("peerContext", peer, emptyCausalContext());
  }

  #queuePush(deltas: readonly DeltaEntry[]): void {
    if (this.#push === undefined) return;
    for (const delta of deltas) this.#pending.add(delta);
    if (this.#flushTimer !== undefined) return;
    this.#flushTimer = this.#after(this.#push.batchMs, () => {
      this.#flushTimer = undefined;
      const entries = this.#pending.take();
      const deps = this.#depsNow();
      for (const peer of this.#transport.peers()) this.#pushEntries(peer, entries, deps);
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

/** Adds the keyspace dots that `entries` carry to `context`. */
function addDeltaDots(context: MutableCausalContext, entries: readonly DeltaEntry[]): void {
  for (const entry of entries) {
    for (const counter of entry.counters)
      addDotInPlace(context, { replica: entry.origin, counter });
  }
}
