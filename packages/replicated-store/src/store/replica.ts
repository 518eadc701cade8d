/**
 * A replica of the store: a keyspace of typed CRDT values (from `@convergent/sync`) made
 * durable in a StorageAdapter and kept in sync by a SyncEngine, with consistency levels per
 * operation, session tokens, exact deletes and subscriptions. A key is a (name, type) pair;
 * its value is held embedded beside an add-wins presence (`@convergent/or-map`). Every local change is
 * committed to storage before it is acknowledged at `one` and before any frame can show it to a
 * peer (the output gate), so a restarted replica never reuses a dot a peer has seen.
 */
import {
  cloneCausalContext,
  type Dot,
  HybridLogicalClock,
  type ReplicaId,
  replicaId,
} from "@convergent/clocks";
import type { CrdtType } from "@convergent/core";
import { InvalidArgumentError } from "@convergent/core";
import { type Embedded, embeddedUpdate, isPresent } from "@convergent/or-map";
import {
  type AnyCrdtType,
  Keyspace,
  realTimeScheduler,
  type Scheduler,
  SyncEngine,
  type SyncEngineOptions,
  type Transport,
  type Unsubscribe,
} from "@convergent/sync";
import { type MetricsHooks, noMetrics } from "../metrics-hooks.js";
import type { StorageAdapter } from "../storage/storage.js";
import { AckTracker } from "./acks.js";
import { type CatchUpDeps, catchUp } from "./catch-up.js";
import { type ChangeEvent, ChangeObserver } from "./changes.js";
import { DeltaLog, WHOLE_STATE_BYTES } from "./delta-log.js";
import { Durability } from "./durability.js";
import { ConsistencyTimeoutError, ReplicaClosedError, SessionTimeoutError } from "./errors.js";
import {
  CounterHandle,
  GCounterHandle,
  MapHandle,
  MvRegisterHandle,
  OrMapHandle,
  RegisterHandle,
  SetHandle,
} from "./handles.js";
import { assertUserKey, parseStoreKey, storeKey, storeKeyProblem } from "./keys.js";
import { type ConsistencyLevel, levelName, replicasFor } from "./levels.js";
import { OutputGate } from "./output-gate.js";
import { recover } from "./persistence.js";
import { readFromPeers } from "./quorum-read.js";
import { EMPTY_TOKEN, joinTokens, Session, type SessionToken, tokenWith } from "./session.js";
import { type EmbeddedType, type MutatorContext, type ResetFn, StoreTypes } from "./types.js";

export interface ReplicaOptions {
  readonly id: ReplicaId | string;
  readonly transport: Transport;
  readonly storage: StorageAdapter;
  /**
   * The other replicas of the cluster. N = peers.length + 1 sizes `quorum` and `all`; without
   * it N is 1 + the peers connected when the operation starts (weaker: see the README).
   */
  readonly peers?: readonly (ReplicaId | string)[];
  /** Timers (defaults to the wall clock); pass a SimulatedNetwork's scheduler in tests. */
  readonly scheduler?: Scheduler;
  /** The HLC for LWW writes; by default one restored from storage, on `now`. */
  readonly clock?: HybridLogicalClock;
  /** Wall-clock milliseconds for the HLC and replication lag (default Date.now). */
  readonly now?: () => number;
  /** User types besides the five built-in ones. */
  readonly types?: readonly AnyCrdtType[];
  /**
   * Exact resets (used by `delete`) for user types that do not define `CrdtType.reset`, by type
   * tag. Every registered type needs one or the other.
   */
  readonly resets?: Readonly<Record<string, ResetFn>>;
  readonly metrics?: MetricsHooks;
  /**
   * Whether `close()` also closes `transport` (default true), so a script whose replica is
   * closed can exit. Pass false when the transport is shared and closed by its owner.
   */
  readonly closeTransport?: boolean;
  /** Default timeout of operations at levels above `one` and of session waits (5000 ms). */
  readonly timeoutMs?: number;
  /**
   * Causal delivery (default true): remote updates are applied only after the updates they
   * depend on, and reads above `one` catch up with the replicas they read from rather than
   * taking single keys out of their context. `false` trades that for lower latency.
   */
  readonly causal?: boolean;
  /**
   * Keys whose stored state is at most this many bytes (default 512) are rewritten whole on
   * every write; larger ones append a delta row per write and fold in the background once their
   * deltas outgrow the state. 0 writes every key that exists as delta rows.
   */
  readonly wholeStateBytes?: number;
  /** Passed to the SyncEngine (gossip, push, merkle, limits). */
  readonly sync?: Omit<SyncEngineOptions, "keyspace" | "transport" | "scheduler">;
}

export interface WriteOptions {
  readonly level?: ConsistencyLevel;
  readonly timeoutMs?: number;
  readonly session?: Session;
}

export interface ReadOptions {
  readonly level?: ConsistencyLevel;
  readonly timeoutMs?: number;
  readonly session?: Session;
}

export interface WriteResult {
  /** The keyspace dot of this write. */
  readonly dot: Dot;
  /** The key's keyspace dots after the write (latest per origin replica). */
  readonly version: readonly Dot[];
  /** A session token that includes this write. */
  readonly token: SessionToken;
}

/**
 * A delete writes one update per type held under the name; one that observed nothing (a key
 * never written, or already deleted here) writes nothing: `dot` is then undefined.
 */
export interface DeleteResult extends Omit<WriteResult, "dot"> {
  readonly dot: Dot | undefined;
}

export interface DeleteOptions extends WriteOptions {
  /** Delete only the key holding this type; by default every type held under the name. */
  readonly type?: AnyCrdtType;
}

/** A key as listed: its name and the tag of the type held under it. */
export interface KeyListing {
  readonly key: string;
  readonly type: string;
}

export interface ReadResult<V> {
  readonly value: V;
  /** False for a key never written or deleted (value is then the type's empty value). */
  readonly exists: boolean;
  /** The key's keyspace dots (latest per origin): the version this read saw. */
  readonly version: readonly Dot[];
  /** True when the value holds concurrent siblings (an MV-Register with several values). */
  readonly siblings: boolean;
  /** A session token that includes what this read saw. */
  readonly token: SessionToken;
}

const DEFAULT_TIMEOUT_MS = 5000;

/**
 * A write's result; without a session its token is made when first read, since most writers
 * never read it and a token copies a causal context.
 */
function writeResult(dot: Dot, version: readonly Dot[], token?: SessionToken): WriteResult {
  let made = token;
  return {
    dot,
    version,
    get token(): SessionToken {
      made ??= tokenWith(EMPTY_TOKEN, [dot, ...version]);
      return made;
    },
  };
}

/** Opens storage, recovers the keyspace, and starts syncing. */
export async function createReplica(options: ReplicaOptions): Promise<Replica> {
  const id = replicaId(options.id);
  const types = new StoreTypes(options.types ?? [], options.resets);
  const keyspace = new Keyspace({
    replica: id,
    registry: types.registry,
    checkKey: storeKeyProblem,
  });
  const log = new DeltaLog(options.wholeStateBytes ?? WHOLE_STATE_BYTES);
  const recovered = await recover(options.storage, keyspace, id, types, log);
  const now = options.now ?? Date.now;
  let clock = options.clock;
  if (clock === undefined) {
    clock = new HybridLogicalClock(id, {
      physicalTime: now,
      ...(recovered.hlc === undefined ? {} : { last: { ...recovered.hlc, replica: id } }),
    });
  } else if (recovered.hlc !== undefined) {
    clock.receive(recovered.hlc);
  }
  return new Replica(options, { keyspace, types, log }, clock, recovered.dotMark, now);
}

export class Replica {
  readonly id: ReplicaId;
  readonly keyspace: Keyspace;
  readonly engine: SyncEngine;
  readonly clock: HybridLogicalClock;
  readonly #storage: StorageAdapter;
  readonly #transport: Transport | undefined;
  readonly #scheduler: Scheduler;
  readonly #metrics: MetricsHooks;
  readonly #gate: OutputGate;
  readonly #acks: AckTracker;
  readonly #changes: ChangeObserver;
  readonly #types: StoreTypes;
  readonly #peers: readonly ReplicaId[] | undefined;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  readonly #causal: boolean;
  readonly #subscriptions: Unsubscribe[] = [];
  readonly #durability: Durability;
  readonly #catchUpDeps: CatchUpDeps;
  #closed = false;

  constructor(
    options: ReplicaOptions,
    {
      keyspace,
      types,
      log,
    }: { readonly keyspace: Keyspace; readonly types: StoreTypes; readonly log: DeltaLog },
    clock: HybridLogicalClock,
    dotMark: number,
    now: () => number,
  ) {
    this.id = keyspace.replica;
    this.keyspace = keyspace;
    this.clock = clock;
    this.#now = now;
    this.#causal = options.causal ?? true;
    this.#storage = options.storage;
    this.#transport = options.closeTransport === false ? undefined : options.transport;
    this.#scheduler = options.scheduler ?? realTimeScheduler;
    this.#metrics = options.metrics ?? noMetrics;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#peers = options.peers?.map((p) => replicaId(p));
    this.#types = types;
    this.#gate = new OutputGate(options.transport, this.#metrics);
    this.#durability = new Durability({
      storage: options.storage,
      gate: this.#gate,
      scheduler: this.#scheduler,
      keyspace,
      clock,
      dotMark,
      log,
    });
    this.#acks = new AckTracker(this.#scheduler);
    this.#changes = new ChangeObserver(keyspace, this.#metrics, now);
    // Persist first, so every later listener (and the engine) runs after the write was issued.
    this.#subscriptions.push(keyspace.subscribe((change) => this.#durability.persist(change)));
    this.engine = new SyncEngine({
      causal: this.#causal,
      ...options.sync,
      keyspace,
      transport: this.#gate,
      scheduler: this.#scheduler,
    });
    this.#catchUpDeps = {
      keyspace,
      engine: this.engine,
      scheduler: this.#scheduler,
      peers: () => this.#gate.peers(),
    };
    this.#subscriptions.push(
      keyspace.subscribe((change) => this.#changes.changed(change)),
      this.engine.onAcknowledged((peer, keys) => this.#acks.acknowledged(peer, keys)),
      this.engine.onPeerContext((peer, context) => this.#acks.peerContext(peer, context)),
      this.engine.onSynced((peer) => this.#metrics.synced({ peer, atMs: this.#now() })),
      this.engine.onRejected(({ peer, kind }) => this.#metrics.rejected?.({ peer, kind })),
    );
  }

  /** The replica's whole keyspace context as a session token (everything it has seen). */
  token(): SessionToken {
    return Object.freeze({ context: cloneCausalContext(this.keyspace.context) });
  }

  /**
   * Applies `mutator(state, { replica, clock })`'s delta to `key` as a local update, durably,
   * then waits for the level's replicas. The mutator must return a delta and not change state.
   */
  update<S, V>(
    key: string,
    type: CrdtType<S, V>,
    mutator: (state: S, context: MutatorContext) => S,
    options: WriteOptions = {},
  ): Promise<WriteResult> {
    // Not an async function: the returned promise is the commit's own, one fewer per write
    // (100,000 writes in flight at once are 100,000 promise chains).
    try {
      this.#assertOpen();
      assertUserKey(key);
      const required = this.#required(options.level ?? "one");
      const wrapped = this.#types.embeddedOf(type);
      const internal = storeKey(key, type.name);
      const current = this.#entryOf(internal, wrapped);
      const delta = mutator(current.state, { replica: this.id, clock: this.clock });
      const update = embeddedUpdate(current, this.id, delta);
      return this.#commit(internal, wrapped, update, options, required, key);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Reads `key` as `type` at the given level (default `one`). */
  async read<S, V>(
    key: string,
    type: CrdtType<S, V>,
    options: ReadOptions = {},
  ): Promise<ReadResult<V>> {
    this.#assertOpen();
    assertUserKey(key);
    const started = this.#scheduler.now();
    const level = options.level ?? "one";
    const required = this.#required(level);
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    if (options.session !== undefined) {
      await catchUp(
        this.#catchUpDeps,
        options.session.token.context,
        timeoutMs,
        () => new SessionTimeoutError(timeoutMs),
      );
    }
    const wrapped = this.#types.embeddedOf(type); // type check before any network work
    const internal = storeKey(key, type.name);
    let stale: boolean;
    if (required > 1) {
      const read = {
        key: internal,
        name: key,
        level: levelName(level),
        required,
        timeoutMs,
        causal: this.#causal,
      };
      stale = await readFromPeers({ ...this.#catchUpDeps, self: this.id }, wrapped, read);
    } else stale = this.#acks.behindSomePeer(this.keyspace.context);
    const result = this.#snapshot(internal, type, wrapped);
    options.session?.observe(result.token);
    this.#metrics.read({ key, stale, latencyMs: this.#scheduler.now() - started });
    return result;
  }

  /**
   * Deletes `key`: every type held under the name, or only `type`'s key when given. A delete is
   * the join of what this replica observed (the type's exact reset and the key's presence), so
   * two deletes that saw the same thing are the same delete, and an update this replica had not
   * seen survives with exactly its own effect and makes the key exist again.
   */
  async delete(key: string, options: DeleteOptions = {}): Promise<DeleteResult> {
    this.#assertOpen();
    assertUserKey(key);
    const required = this.#required(options.level ?? "one");
    let tags: string[];
    if (options.type === undefined) {
      tags = this.#types.tags().filter((tag) => this.keyspace.has(storeKey(key, tag)));
    } else {
      this.#types.embeddedOf(options.type); // registered, or a typed error
      tags = [options.type.name];
    }
    const writes: Promise<WriteResult>[] = [];
    let version: Dot[] = [];
    for (const tag of tags) {
      const internal = storeKey(key, tag);
      const wrapped = this.keyspace.registry.get(tag) as EmbeddedType;
      const entry = this.keyspace.get(internal);
      if (entry === undefined) continue;
      const state = entry.state as Embedded<unknown>;
      const reset = wrapped.reset?.(state) as Embedded<unknown>;
      if (wrapped.leq(reset, state)) {
        version = version.concat(this.keyspace.dotsOf(internal)); // nothing left to delete here
        continue;
      }
      writes.push(this.#commit(internal, wrapped, reset, options, required, key));
    }
    const results = await Promise.all(writes);
    let token = tokenWith(options.session?.token ?? EMPTY_TOKEN, version);
    for (const result of results) {
      token = joinTokens(token, result.token);
      version = version.concat(result.version);
    }
    options.session?.observe(token);
    return { dot: results.at(-1)?.dot, version, token };
  }

  /**
   * The type's own state of `key` here, or undefined when the key does not exist: for what a
   * value hides (the winning LWW write's timestamp and replica, the dots of a set). Live and
   * read-only: do not mutate it.
   */
  stateOf<S, V>(key: string, type: CrdtType<S, V>): S | undefined {
    assertUserKey(key);
    const entry = this.#entryOf(storeKey(key, type.name), this.#types.embeddedOf(type));
    return isPresent(entry) ? entry.state : undefined;
  }

  /** The keys that exist here (a name held as two types is listed twice), sorted by name. */
  list(prefix = ""): KeyListing[] {
    const listing: KeyListing[] = [];
    for (const internal of this.keyspace.keys()) {
      const parsed = parseStoreKey(internal);
      if (parsed === undefined || !parsed.name.startsWith(prefix)) continue;
      const state = this.keyspace.get(internal)?.state as Embedded<unknown> | undefined;
      if (state !== undefined && isPresent(state)) {
        listing.push({ key: parsed.name, type: parsed.tag });
      }
    }
    return listing.sort((a, b) =>
      a.key < b.key ? -1 : a.key > b.key ? 1 : a.type < b.type ? -1 : a.type > b.type ? 1 : 0,
    );
  }

  counter(key: string): CounterHandle {
    assertUserKey(key);
    return new CounterHandle(this, key);
  }

  gCounter(key: string): GCounterHandle {
    assertUserKey(key);
    return new GCounterHandle(this, key);
  }

  set(key: string): SetHandle {
    assertUserKey(key);
    return new SetHandle(this, key);
  }

  register(key: string): RegisterHandle {
    assertUserKey(key);
    return new RegisterHandle(this, key);
  }

  mvRegister(key: string): MvRegisterHandle {
    assertUserKey(key);
    return new MvRegisterHandle(this, key);
  }

  map(key: string): MapHandle {
    assertUserKey(key);
    return new MapHandle(this, key);
  }

  /** An OR-Map: a document of named, typed fields (nested maps included). */
  orMap(key: string): OrMapHandle {
    assertUserKey(key);
    return new OrMapHandle(this, key);
  }

  /** A new session, optionally continuing from a token (from another replica or a client). */
  session(token: SessionToken = EMPTY_TOKEN): Session {
    return new Session(token);
  }

  /** Calls `listener` for every change of a user key, local or remote (deletes included). */
  subscribe(listener: (event: ChangeEvent) => void): Unsubscribe {
    return this.#changes.subscribe(undefined, listener);
  }

  /** Calls `listener` for every change of `key`. */
  subscribeKey(key: string, listener: (event: ChangeEvent) => void): Unsubscribe {
    assertUserKey(key);
    return this.#changes.subscribe(key, listener);
  }

  /** Connected peers, ascending. */
  connectedPeers(): readonly ReplicaId[] {
    return this.#gate.peers();
  }

  /**
   * Stops syncing, waits for every issued write to be durable, closes the storage and (unless
   * `closeTransport: false`) the transport. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.engine.stop();
    this.#acks.clear();
    for (const unsubscribe of this.#subscriptions) unsubscribe();
    this.#durability.close();
    await this.#durability.last.catch(() => {});
    await this.#gate.close();
    await this.#storage.close();
    await this.#transport?.close();
  }

  /**
   * Applies the delta now and returns the wait for its level. The delta is not kept by the wait:
   * many writes in flight at once would otherwise each hold theirs until their commit.
   */
  #commit(
    key: string,
    type: AnyCrdtType,
    delta: unknown,
    options: WriteOptions,
    required: number,
    reportedKey: string,
  ): Promise<WriteResult> {
    const started = this.#scheduler.now();
    const dot = this.keyspace.applyDelta(key, type, delta);
    if (required === 1 && options.session === undefined) {
      // The common write: durable here and nothing else to wait for.
      return this.#durability.last.then(() => {
        this.#metrics.write({
          key: reportedKey,
          latencyMs: this.#scheduler.now() - started,
          level: levelName(options.level ?? "one"),
        });
        return writeResult(dot, this.keyspace.dotsOf(key));
      });
    }
    return this.#settle(key, dot, started, options, required, reportedKey);
  }

  async #settle(
    key: string,
    dot: Dot,
    started: number,
    options: WriteOptions,
    required: number,
    reportedKey: string,
  ): Promise<WriteResult> {
    const level = options.level ?? "one";
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    const durable = this.#durability.last;
    const waiter = required > 1 ? this.#acks.wait(key, dot, required, timeoutMs) : undefined;
    await durable;
    const version = this.keyspace.dotsOf(key);
    const session = options.session;
    const result =
      session === undefined
        ? writeResult(dot, version)
        : writeResult(dot, version, tokenWith(session.token, [dot, ...version]));
    session?.observe(result.token);
    if (waiter !== undefined) {
      waiter.confirm(this.id);
      const outcome = await waiter.promise;
      if (!outcome.ok) {
        throw new ConsistencyTimeoutError({
          operation: "write",
          key: reportedKey,
          level: levelName(level),
          required,
          confirmed: [this.id, ...outcome.confirmed.filter((r) => r !== this.id)],
          timeoutMs,
        });
      }
    }
    this.#metrics.write({
      key: reportedKey,
      latencyMs: this.#scheduler.now() - started,
      level: levelName(level),
    });
    return result;
  }

  #snapshot<S, V>(internal: string, type: CrdtType<S, V>, wrapped: EmbeddedType<S>): ReadResult<V> {
    const entry = this.#entryOf(internal, wrapped);
    const version = this.keyspace.dotsOf(internal);
    const token = tokenWith(EMPTY_TOKEN, version);
    if (!isPresent(entry)) {
      return { value: type.value(type.empty()), exists: false, version, siblings: false, token };
    }
    const value = type.value(entry.state);
    const siblings = type.name === "mv-register" && Array.isArray(value) && value.length > 1;
    return { value, exists: true, version, siblings, token };
  }

  #entryOf<S>(internal: string, wrapped: EmbeddedType<S>): Embedded<S> {
    return (this.keyspace.get(internal)?.state as Embedded<S> | undefined) ?? wrapped.empty();
  }

  #required(level: ConsistencyLevel): number {
    const n = this.#peers === undefined ? this.#gate.peers().length + 1 : this.#peers.length + 1;
    const required = replicasFor(level, n);
    if (this.#peers !== undefined && required > n) {
      throw new InvalidArgumentError(
        `level ${levelName(level)} needs ${required} replicas; the cluster has ${n}`,
      );
    }
    return required;
  }

  #assertOpen(): void {
    if (this.#closed) throw new ReplicaClosedError();
  }
}
