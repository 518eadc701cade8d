/**
 * A keyspace maps keys to typed CRDT values (type tag + state), independent of any store. Every
 * local update of a key is stamped with a replica-wide keyspace dot (replica, seq), distinct from
 * the per-object dots inside the states; the keyspace causal context records every keyspace dot
 * seen, and a per-origin index seq -> key keeps only the latest dot of each origin per key. Given
 * a peer's context, the keys it has not seen are therefore found in O(d) without a scan (the
 * delta-state anti-entropy of Almeida, Shoker, Baquero 2018, section 6, lifted to a map of objects).
 */
import {
  addDotInPlace,
  type CausalContext,
  cloneCausalContext,
  containsDot,
  type Dot,
  emptyCausalContext,
  joinCausalContextInto,
  type MutableCausalContext,
  maxCounter,
  nextDot,
  type ReplicaId,
} from "@convergent/clocks";
import { type CrdtType, InvalidArgumentError } from "@convergent/core";
import {
  boundedContext,
  cloudSize,
  DEFAULT_KEYSPACE_LIMITS,
  type KeyspaceLimits,
  originCount,
} from "./bounds.js";
import { ContextLimitError, KeyTypeConflictError } from "./errors.js";

export {
  boundedContext,
  cloudSize,
  DEFAULT_KEYSPACE_LIMITS,
  type KeyspaceLimits,
  originCount,
} from "./bounds.js";

import { assertKey } from "./key.js";
import { OriginIndex } from "./origin-index.js";
import type { AnyCrdtType, TypeRegistry } from "./registry.js";

/** One key as the keyspace holds it. `state` is live: treat it as read-only. */
export interface KeyEntry {
  readonly key: string;
  readonly tag: string;
  readonly state: unknown;
}

/** A key with the keyspace dots that explain its state (the latest per origin replica). */
export interface DottedEntry extends KeyEntry {
  readonly dots: readonly Dot[];
}

/**
 * One origin's update (or several of its updates merged) of one key, as the delta it made: what a
 * push carries. `counters` are the origin's keyspace dots the delta holds, ascending (usually
 * one); `prev` is the origin's latest dot on the key before the first of them, 0 when none. A
 * receiver applies the delta only while it holds `prev`'s update of the key, so a replica that
 * holds an origin's dot on a key holds every earlier update of that origin to the key: what lets
 * the fast path answer any gap a lost push leaves with the key's whole state.
 */
export interface DeltaEntry extends KeyEntry {
  readonly origin: ReplicaId;
  readonly counters: readonly number[];
  readonly prev: number;
}

/**
 * Whole entries as deltas: one per keyspace dot, each carrying the whole state, which holds every
 * update of the dot's origin up to it (so `prev` is 0). How a whole state travels in a push.
 */
export function wholeStateDeltas(entries: readonly DottedEntry[]): DeltaEntry[] {
  return entries.flatMap((entry) =>
    entry.dots.map((d) => ({
      key: entry.key,
      tag: entry.tag,
      state: entry.state,
      origin: d.replica,
      counters: [d.counter],
      prev: 0,
    })),
  );
}

/** What `applyDeltas` did with a batch of deltas. */
export interface DeltaApplication {
  /** The entries applied, in batch order: what a hub relays. */
  readonly applied: readonly DeltaEntry[];
  /** Keys of entries refused because this keyspace lacks the origin's earlier update of them. */
  readonly gaps: readonly string[];
}

/** What changed in one local update or one applied batch. */
export interface KeyspaceChange {
  readonly origin: "local" | "remote";
  /**
   * The deltas behind the change when it came from local updates or applied deltas; absent when
   * whole states were joined (a sync response, a repair, restoring), which persistence saves as
   * whole states.
   */
  readonly deltas?: readonly DeltaEntry[];
  /** Keys whose state changed, in no particular order. */
  readonly keys: readonly string[];
  /**
   * Keys whose record changed in any way: a changed state, a new key (even with an empty
   * state), or a newly indexed dot whose state was already covered (a losing LWW write). A
   * superset of `keys`; what persistence must save, since the key's dots are part of its record.
   */
  readonly touched: readonly string[];
}

/**
 * Latest keyspace seq per origin replica that touched the key. Most keys are written by one
 * replica, so the first origin is held inline and a Map is only made for the others: a
 * keyspace of 100,000 keys then holds no per-key Map.
 */
interface KeyRecord {
  readonly key: string;
  readonly tag: string;
  readonly type: AnyCrdtType;
  state: unknown;
  origin: ReplicaId | undefined;
  seq: number;
  others: Map<ReplicaId, number> | undefined;
}

function newRecord(key: string, tag: string, type: AnyCrdtType): KeyRecord {
  return { key, tag, type, state: type.empty(), origin: undefined, seq: 0, others: undefined };
}

function seqOf(record: KeyRecord, replica: ReplicaId): number {
  return record.origin === replica ? record.seq : (record.others?.get(replica) ?? 0);
}

function setSeq(record: KeyRecord, replica: ReplicaId, seq: number): void {
  if (record.origin === undefined || record.origin === replica) {
    record.origin = replica;
    record.seq = seq;
  } else {
    record.others ??= new Map();
    record.others.set(replica, seq);
  }
}

export interface KeyspaceOptions {
  readonly replica: ReplicaId;
  readonly registry: TypeRegistry;
  /**
   * An extra rule every key must pass, with the tag it is written with: returns why the pair is
   * refused, or undefined. A store whose keys encode their type uses it so that no peer can bind
   * a key to another type; a refused remote entry refuses its whole batch.
   */
  readonly checkKey?: (key: string, tag: string) => string | undefined;
  /** Bounds on the causal context (defaults in `DEFAULT_KEYSPACE_LIMITS`). */
  readonly limits?: Partial<KeyspaceLimits>;
}

/** What the keyspace refused of remote batches since it was created (see `applyRemote`). */
export interface KeyspaceBoundsStats {
  /**
   * Dots of a sender's claims dropped: own dots above what this replica issued (in entries or
   * contexts) and context claims above what the batch's entries and this keyspace back.
   */
  readonly claimsClamped: number;
  /** Remote dots not bound to a key because another key, or the context, already had them. */
  readonly bindingsRefused: number;
}

export class Keyspace {
  readonly replica: ReplicaId;
  readonly registry: TypeRegistry;
  readonly #records = new Map<string, KeyRecord>();
  readonly #context: MutableCausalContext = emptyCausalContext();
  readonly #index = new Map<ReplicaId, OriginIndex<KeyRecord>>();
  readonly #listeners = new Set<(change: KeyspaceChange) => void>();
  readonly #checkKey: ((key: string, tag: string) => string | undefined) | undefined;
  readonly limits: KeyspaceLimits;
  readonly #bounds = { claimsClamped: 0, bindingsRefused: 0 };

  constructor(options: KeyspaceOptions) {
    this.replica = options.replica;
    this.registry = options.registry;
    this.#checkKey = options.checkKey;
    this.limits = { ...DEFAULT_KEYSPACE_LIMITS, ...options.limits };
  }

  /** Counters of what remote batches claimed beyond their bounds. */
  boundsStats(): KeyspaceBoundsStats {
    return { ...this.#bounds };
  }

  /** The highest own keyspace dot this replica issued (or reserved, after a restart). */
  get issued(): number {
    return maxCounter(this.#context, this.replica);
  }

  /**
   * `claim` cut to what this keyspace can back (see `bounds.ts`): per origin, at most the
   * highest dot of that origin it knows; own dots at most what it issued. For remembering what
   * a peer announced without believing more than it could have seen.
   */
  bounded(claim: CausalContext): MutableCausalContext {
    return boundedContext(claim, (replica) => maxCounter(this.#context, replica));
  }

  /** Every keyspace dot seen. Live and read-only: it grows with each update and applied batch. */
  get context(): CausalContext {
    return this.#context;
  }

  get size(): number {
    return this.#records.size;
  }

  has(key: string): boolean {
    return this.#records.has(key);
  }

  get(key: string): KeyEntry | undefined {
    const record = this.#records.get(key);
    return record === undefined ? undefined : { key, tag: record.tag, state: record.state };
  }

  /** The value of `key` as `type` sees it, or undefined when the key is absent. */
  value<S, V>(key: string, type: CrdtType<S, V>): V | undefined {
    const record = this.#records.get(key);
    if (record === undefined) return undefined;
    if (record.tag !== type.name) throw new KeyTypeConflictError(key, record.tag, type.name);
    return type.value(record.state as S);
  }

  /** The keyspace dots of `key`, latest per origin, sorted by origin. */
  dotsOf(key: string): Dot[] {
    const record = this.#records.get(key);
    if (record === undefined || record.origin === undefined) return [];
    const dots: Dot[] = [{ replica: record.origin, counter: record.seq }];
    if (record.others !== undefined) {
      for (const [replica, counter] of record.others) dots.push({ replica, counter });
      dots.sort((a, b) => (a.replica < b.replica ? -1 : a.replica > b.replica ? 1 : 0));
    }
    return dots;
  }

  *keys(): IterableIterator<string> {
    yield* this.#records.keys();
  }

  *entries(): IterableIterator<KeyEntry> {
    for (const [key, record] of this.#records) {
      yield { key, tag: record.tag, state: record.state };
    }
  }

  /**
   * Runs `mutator(state, replica)` against the key's current state (the type's empty state for a
   * new key), joins the delta it returns and stamps the update with the next keyspace dot.
   * Returns the delta. Throws, leaving the keyspace unchanged, if the key holds another type.
   */
  update<S, V>(key: string, type: CrdtType<S, V>, mutator: (state: S, replica: ReplicaId) => S): S {
    const record = this.#recordFor(key, type);
    const current = (record?.state ?? type.empty()) as S;
    const delta = mutator(current, this.replica);
    this.#applyLocal(key, type, record, delta);
    return delta;
  }

  /** Joins a delta produced elsewhere (for instance by a store) as a local update of `key`. */
  applyDelta<S, V>(key: string, type: CrdtType<S, V>, delta: S): Dot {
    const record = this.#recordFor(key, type);
    return this.#applyLocal(key, type, record, delta);
  }

  /**
   * The keys holding a keyspace dot that `context` does not include, each with those dots, in
   * O(d + number of origin replicas): only the index above the peer's vector entries is read.
   */
  missing(context: CausalContext): DottedEntry[] {
    const perOrigin: (readonly [ReplicaId, [number, KeyRecord][]])[] = [];
    for (const [origin, index] of this.#index) {
      const base = context.versionVector.get(origin) ?? 0;
      const cloud = context.cloud.get(origin);
      const found: [number, KeyRecord][] = [];
      index.forEachAbove(base, (seq, record) => {
        if (!cloud?.has(seq)) found.push([seq, record]);
      });
      if (found.length > 0) perOrigin.push([origin, found]);
    }
    const result: DottedEntry[] = [];
    const only = perOrigin.length === 1 ? perOrigin[0] : undefined;
    if (only !== undefined) {
      // One origin (the usual delta): each key appears once, no merging needed.
      const [replica, found] = only;
      for (const [counter, record] of found) {
        const { key, tag, state } = record;
        result.push({ key, tag, state, dots: [{ replica, counter }] });
      }
      return result;
    }
    const byRecord = new Map<KeyRecord, Dot[]>();
    for (const [replica, found] of perOrigin) {
      for (const [counter, record] of found) {
        const dots = byRecord.get(record);
        if (dots === undefined) byRecord.set(record, [{ replica, counter }]);
        else dots.push({ replica, counter });
      }
    }
    for (const [{ key, tag, state }, dots] of byRecord) result.push({ key, tag, state, dots });
    return result;
  }

  /**
   * Applies entries from a peer atomically: every entry is checked first (registered tag, same
   * tag as the key already holds, dots well formed), and if any fails the keyspace is untouched
   * and the error is thrown. States are joined, their dots indexed and added to the context.
   * `senderContext`, when given, must be the sender's context at a moment when `entries` held
   * every key with a dot the receiver lacked (a complete sync response); it is then joined into
   * the local context, which fills the gaps left by dots the sender had already superseded.
   * Unless restoring, what a peer claims is bounded (issue 12): own dots above `issued` are
   * dropped from entries and context; the context is joined per origin only up to the highest
   * dot of that origin known once the entries are in; a dot another key (or the context)
   * already has is not bound again; a batch whose entries would take the context past `limits`
   * is refused with `ContextLimitError`, and claimed cloud dots beyond it are dropped.
   * Returns the keys whose state changed.
   */
  applyRemote(
    entries: readonly DottedEntry[],
    senderContext?: CausalContext,
    options: {
      readonly restoring?: boolean;
      /**
       * The replica the batch comes from, when it is the peer itself speaking (a sync response
       * or push it sent): its claims on its own dots are believed up to `maxOwnClaimAhead`
       * above what this keyspace knows of them, since only it issues them. A restarted replica
       * reserves its dots in blocks and claims the unused rest, which no entry backs; cutting
       * that claim would leave every peer's context short of its own for good.
       */
      readonly sender?: ReplicaId;
    } = {},
  ): string[] {
    // Only this replica issues its own dots, and it indexes each one when it writes. A peer
    // that sends one back, bound to some key, can be relaying it or forging it; indexing it
    // would move this replica's dot onto that key and hide the key it was really issued for
    // from every later sync. So own dots from peers only enter the context (the counter skips
    // them), and only up to `maxOwnClaimAhead` above what this replica issued: further claims
    // would move the counter up to overflow (issue 12, item 1). Storage being restored is the one source
    // whose own dots are indexed and trusted.
    const restoring = options.restoring === true;
    // Own dots a peer claims are believed up to this bound (see maxOwnClaimAhead).
    const issued = this.issued + this.limits.maxOwnClaimAhead;
    const { types, records } = this.#validateRemote(entries);
    if (!restoring) this.#assertWithinLimits(entries, issued);
    const changed: string[] = [];
    const touched: string[] = [];
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i] as DottedEntry;
      const type = types[i] as AnyCrdtType;
      // A key new to this batch may occur twice; the second occurrence finds the first's record.
      let record = records[i] ?? this.#records.get(entry.key);
      let touchedHere = false;
      if (record === undefined) {
        record = newRecord(entry.key, entry.tag, type);
        this.#records.set(entry.key, record);
        touchedHere = true;
      }
      if (!type.leq(entry.state, record.state)) {
        record.state = type.joinInto(record.state, entry.state);
        changed.push(entry.key);
        touchedHere = true;
      }
      for (const d of entry.dots) {
        if (d.replica === this.replica && !restoring) {
          if (d.counter <= issued) addDotInPlace(this.#context, d);
          else this.#bounds.claimsClamped += 1;
        } else if (this.#indexRemoteDot(record, d)) touchedHere = true;
      }
      if (touchedHere) touched.push(entry.key);
    }
    if (senderContext !== undefined) {
      if (restoring) joinCausalContextInto(this.#context, senderContext);
      else this.#joinClaim(senderContext, issued, options.sender);
    }
    if (touched.length > 0) this.#emit({ origin: "remote", keys: changed, touched });
    return changed;
  }

  /**
   * Applies deltas from a peer (live pushes, possibly relayed): checked first as `applyRemote`
   * checks entries (a refused batch changes nothing and throws), then each entry is joined and
   * its dots indexed and added to the context, exactly those dots and no others. An entry is
   * skipped when this keyspace already holds its last dot (a duplicate, or this replica's own
   * update coming back through a relay) and refused as a gap when it lacks the origin's previous
   * update of the key (`prev`): the fast path brings that key whole. Deltas are joined without
   * comparing them to the state first (comparing costs the size of the state), so every applied
   * entry counts as a change of its key.
   */
  applyDeltas(entries: readonly DeltaEntry[]): DeltaApplication {
    const dotted = entries.map((entry) => ({
      key: entry.key,
      tag: entry.tag,
      state: entry.state,
      dots: entry.counters.map((counter) => ({ replica: entry.origin, counter })),
    }));
    const issued = this.issued + this.limits.maxOwnClaimAhead;
    const { types, records } = this.#validateRemote(dotted);
    this.#assertWithinLimits(dotted, issued);
    const applied: DeltaEntry[] = [];
    const gaps: string[] = [];
    const keys: string[] = [];
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i] as DeltaEntry;
      const last = entry.counters[entry.counters.length - 1] ?? 0;
      if (entry.origin === this.replica) {
        // Own updates come back through relays; this replica made them, so it has them.
        if (last > this.issued) this.#bounds.claimsClamped += 1;
        continue;
      }
      let record = records[i] ?? this.#records.get(entry.key);
      const held = record === undefined ? 0 : seqOf(record, entry.origin);
      if (held >= last) continue;
      if (held < entry.prev) {
        gaps.push(entry.key);
        continue;
      }
      if (this.#boundElsewhere(record, entry)) continue;
      if (record === undefined) {
        record = newRecord(entry.key, entry.tag, types[i] as AnyCrdtType);
        this.#records.set(entry.key, record);
      }
      record.state = record.type.joinInto(record.state, entry.state);
      for (const counter of entry.counters)
        this.#indexDot(record, { replica: entry.origin, counter });
      applied.push(entry);
      keys.push(entry.key);
    }
    if (applied.length > 0) this.#emit({ origin: "remote", keys, touched: keys, deltas: applied });
    return { applied, gaps };
  }

  /**
   * Whether one of the entry's dots is bound to another key already: first binding wins (issue
   * 12, item 7), so such an entry is a forgery or a conflict and is not applied.
   */
  #boundElsewhere(record: KeyRecord | undefined, entry: DeltaEntry): boolean {
    const index = this.#index.get(entry.origin);
    if (index === undefined) return false;
    for (const counter of entry.counters) {
      const bound = index.get(counter);
      if (bound !== undefined && bound !== record) {
        this.#bounds.bindingsRefused += 1;
        return true;
      }
    }
    return false;
  }

  /**
   * Joins a sender's context, cut per origin to the highest dot this keyspace now knows (own
   * dots to what it issued), and its cloud part only while the cloud stays within its limit.
   */
  #joinClaim(claim: CausalContext, issued: number, sender: ReplicaId | undefined): void {
    const cut = { dots: 0 };
    const bound = (replica: ReplicaId): number => {
      if (replica === this.replica) return issued;
      const known = maxCounter(this.#context, replica);
      if (replica === sender) return known + this.limits.maxOwnClaimAhead;
      const backed = this.#index.get(replica)?.max ?? 0;
      return Math.max(known, backed + this.limits.unbackedClaimSlack);
    };
    const bounded = boundedContext(claim, bound, cut);
    this.#bounds.claimsClamped += cut.dots;
    for (const [replica, counter] of bounded.versionVector) {
      if (counter > (this.#context.versionVector.get(replica) ?? 0)) {
        const vector = emptyCausalContext();
        vector.versionVector.set(replica, counter);
        joinCausalContextInto(this.#context, vector);
      }
    }
    let size = cloudSize(this.#context);
    for (const [replica, counters] of bounded.cloud) {
      for (const counter of counters) {
        const d = { replica, counter };
        if (containsDot(this.#context, d)) continue;
        if (size >= this.limits.maxCloudDots) {
          this.#bounds.claimsClamped += 1;
          continue;
        }
        const before = this.#context.cloud.get(replica)?.size ?? 0;
        addDotInPlace(this.#context, d);
        size += (this.#context.cloud.get(replica)?.size ?? 0) - before;
      }
    }
  }

  /**
   * Refuses (before any change) a batch whose entries' dots would take the context past its
   * limits. The cheap bound (every new dot lands in the cloud) decides almost every batch; only
   * one near the limit pays for a trial on a copy of the context.
   */
  #assertWithinLimits(entries: readonly DottedEntry[], issued: number): void {
    const { maxCloudDots, maxOrigins } = this.limits;
    let fresh = 0;
    const newOrigins = new Set<ReplicaId>();
    for (const entry of entries) {
      for (const d of entry.dots) {
        if (d.replica === this.replica && d.counter > issued) continue;
        if (containsDot(this.#context, d)) continue;
        fresh += 1;
        if (!this.#context.versionVector.has(d.replica) && !this.#context.cloud.has(d.replica))
          newOrigins.add(d.replica);
      }
    }
    if (newOrigins.size > 0 && originCount(this.#context) + newOrigins.size > maxOrigins) {
      throw new ContextLimitError(
        `a remote batch names ${newOrigins.size} new origin replicas; the keyspace holds at most ${maxOrigins}`,
      );
    }
    if (fresh === 0) return;
    const size = cloudSize(this.#context);
    if (size + fresh <= maxCloudDots) return;
    const trial = cloneCausalContext(this.#context);
    for (const entry of entries) {
      for (const d of entry.dots) {
        if (d.replica !== this.replica || d.counter <= issued) addDotInPlace(trial, d);
      }
    }
    if (cloudSize(trial) > maxCloudDots) {
      throw new ContextLimitError(
        `a remote batch would leave ${cloudSize(trial)} dots in the context's cloud; the keyspace holds at most ${maxCloudDots}`,
      );
    }
  }

  /** Calls `listener` after every local update and every applied batch that changed a state. */
  subscribe(listener: (change: KeyspaceChange) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  #recordFor(key: string, type: AnyCrdtType): KeyRecord | undefined {
    assertKey(key);
    this.#assertAccepted(key, type.name);
    if (this.registry.get(type.name) !== type) {
      throw new InvalidArgumentError(`type "${type.name}" is not registered with this keyspace`);
    }
    const record = this.#records.get(key);
    if (record !== undefined && record.tag !== type.name) {
      throw new KeyTypeConflictError(key, record.tag, type.name);
    }
    return record;
  }

  #applyLocal(
    key: string,
    type: AnyCrdtType,
    existing: KeyRecord | undefined,
    delta: unknown,
  ): Dot {
    const d = nextDot(this.#context, this.replica);
    let record = existing;
    if (record === undefined) {
      record = newRecord(key, type.name, type);
      this.#records.set(key, record);
    }
    const prev = seqOf(record, this.replica);
    record.state = type.joinInto(record.state, delta);
    this.#indexDot(record, d);
    const deltas: DeltaEntry[] = [
      { key, tag: type.name, state: delta, origin: this.replica, counters: [d.counter], prev },
    ];
    this.#emit({ origin: "local", keys: [key], touched: [key], deltas });
    return d;
  }

  /**
   * A remote dot is bound to `record` unless another key already holds it: first binding wins
   * (issue 12, item 7). Otherwise a junk key carrying another replica's dot would take that
   * dot's index slot and hide the key the dot was issued for from every replica that syncs from
   * here.
   */
  #indexRemoteDot(record: KeyRecord, d: Dot): boolean {
    const previous = seqOf(record, d.replica);
    if (d.counter <= previous) return false;
    // First binding wins: a dot bound to another key stays there. A dot that is only in the
    // context (a superseded dot, or one a peer claimed before any entry carried it) is bound:
    // refusing it would hide the real key whose entry arrives after the claim.
    const bound = this.#index.get(d.replica)?.get(d.counter);
    if (bound !== undefined) {
      if (bound !== record) this.#bounds.bindingsRefused += 1;
      return false;
    }
    return this.#indexDot(record, d);
  }

  /** Adds `d` to the context and the key's index; true when the key's latest dots changed. */
  #indexDot(record: KeyRecord, d: Dot): boolean {
    addDotInPlace(this.#context, d);
    const previous = seqOf(record, d.replica);
    if (d.counter <= previous) return false;
    let index = this.#index.get(d.replica);
    if (index === undefined) {
      index = new OriginIndex();
      this.#index.set(d.replica, index);
    }
    if (previous > 0) index.delete(previous);
    index.set(d.counter, record);
    setSeq(record, d.replica, d.counter);
    return true;
  }

  #validateRemote(entries: readonly DottedEntry[]): {
    types: AnyCrdtType[];
    records: (KeyRecord | undefined)[];
  } {
    const types: AnyCrdtType[] = [];
    const records: (KeyRecord | undefined)[] = [];
    // Tags of keys this batch creates, so one batch cannot create a key with two types.
    const created = new Map<string, string>();
    for (const entry of entries) {
      assertKey(entry.key);
      this.#assertAccepted(entry.key, entry.tag);
      const type = this.registry.get(entry.tag);
      if (type === undefined) {
        throw new InvalidArgumentError(`type "${entry.tag}" is not registered with this keyspace`);
      }
      const record = this.#records.get(entry.key);
      const existing = record?.tag ?? created.get(entry.key);
      if (existing !== undefined && existing !== entry.tag) {
        throw new KeyTypeConflictError(entry.key, existing, entry.tag);
      }
      if (record === undefined) created.set(entry.key, entry.tag);
      for (const d of entry.dots) {
        if (!Number.isSafeInteger(d.counter) || d.counter < 1) {
          throw new InvalidArgumentError(
            `keyspace dot counter ${d.counter} is not a positive integer`,
          );
        }
      }
      types.push(type);
      records.push(record);
    }
    return { types, records };
  }

  #assertAccepted(key: string, tag: string): void {
    const problem = this.#checkKey?.(key, tag);
    if (problem !== undefined) throw new InvalidArgumentError(problem);
  }

  #emit(change: KeyspaceChange): void {
    for (const listener of [...this.#listeners]) listener(change);
  }
}
