/**
 * How a replica's keyspace lies in its StorageAdapter: per key, the key's state and keyspace
 * dots as a one-entry sync frame, and the delta rows appended since (each the same frame of a
 * delta with the latest dot per origin it holds; recovery joins them into the state); in meta, the keyspace causal context, the HLC's last
 * timestamp, the replica id, and the dot reservation mark. Frames use fixed endpoint ids so the
 * bytes do not depend on which replica wrote them, and are read back under the same validation
 * as frames from the network.
 */
import {
  type CausalContext,
  emptyCausalContext,
  type HlcTimestamp,
  hlcFromBytes,
  hlcToBytes,
  maxCounter,
  type ReplicaId,
  replicaId,
} from "@convergent/clocks";
import { DEFAULT_DECODE_LIMITS, InvalidArgumentError } from "@convergent/core";
import {
  boundedContext,
  type DottedEntry,
  decodeMessage,
  encodeMessage,
  type Keyspace,
  type TypeRegistry,
} from "@convergent/sync";
import type { StorageAdapter } from "../storage/storage.js";
import type { DeltaLog } from "./delta-log.js";
import { migrateLayout1 } from "./legacy-layout.js";
import type { StoreTypes } from "./types.js";

const ENDS = { sender: replicaId("~store"), receiver: replicaId("~disk") };
const EMPTY = emptyCausalContext();

/** Own keyspace dots are reserved this many at a time: one meta write per block. */
export const DOT_BLOCK = 1024;

export const META = {
  context: "context",
  hlc: "hlc",
  replica: "replica-id",
  dotMark: "dot-mark",
  layout: "layout",
} as const;

/** How keys lie in storage: 2 since keys are (name, type) pairs; absent means layout 1. */
export const LAYOUT = 2;

const text = new TextEncoder();
const untext = new TextDecoder();

export function encodeEntry(registry: TypeRegistry, entry: DottedEntry): Uint8Array {
  return encodeMessage(
    { kind: "read-response", id: 0, context: EMPTY, entries: [entry] },
    registry,
    ENDS,
  );
}

function decodeEntry(registry: TypeRegistry, bytes: Uint8Array): DottedEntry {
  const message = decodeMessage(bytes, registry, ENDS, DEFAULT_DECODE_LIMITS);
  const entry = message.kind === "read-response" ? message.entries[0] : undefined;
  if (entry === undefined || message.kind !== "read-response" || message.entries.length !== 1) {
    throw new InvalidArgumentError("a stored entry is not a one-entry frame");
  }
  return entry;
}

export function encodeContext(registry: TypeRegistry, context: CausalContext): Uint8Array {
  return encodeMessage({ kind: "sync-request", context }, registry, ENDS);
}

function decodeContext(registry: TypeRegistry, bytes: Uint8Array): CausalContext {
  const message = decodeMessage(bytes, registry, ENDS, DEFAULT_DECODE_LIMITS);
  if (message.kind !== "sync-request")
    throw new InvalidArgumentError("stored context is malformed");
  return message.context;
}

function u53(value: number): Uint8Array {
  return text.encode(String(value));
}

function fromU53(bytes: Uint8Array | undefined): number {
  if (bytes === undefined) return 0;
  const value = Number(untext.decode(bytes));
  return Number.isSafeInteger(value) && value >= 0 ? value : 0;
}

export interface Recovered {
  readonly hlc: HlcTimestamp | undefined;
  readonly dotMark: number;
  readonly keys: number;
}

/**
 * Loads everything into an empty keyspace: the entries with their dots, the stored context,
 * and then every own dot up to the reservation mark, so the next dot issued is above anything
 * this replica could have handed out before the crash. Refuses storage written by another id.
 */
export async function recover(
  storage: StorageAdapter,
  keyspace: Keyspace,
  self: ReplicaId,
  types: StoreTypes,
  log: DeltaLog,
): Promise<Recovered> {
  const { entries, deltas, meta } = await storage.load();
  const owner = meta.get(META.replica);
  if (owner !== undefined && untext.decode(owner) !== self) {
    throw new InvalidArgumentError(
      `this storage belongs to replica ${JSON.stringify(untext.decode(owner))}, not ${JSON.stringify(self)}; two replicas must never share storage`,
    );
  }
  const registry = keyspace.registry;
  const layout = fromU53(meta.get(META.layout));
  if (layout > LAYOUT) {
    throw new InvalidArgumentError(
      `this storage has layout ${layout}, newer than this release reads (${LAYOUT}); upgrade @convergent/replicated-store`,
    );
  }
  let decoded: DottedEntry[];
  if (layout === 0 && entries.size > 0) {
    // Written by the release before (name, type) keys: convert once, durably, before use.
    const migrated = migrateLayout1(entries, types, ENDS);
    const batch: [string, Uint8Array | null][] = migrated.obsolete.map((key) => [key, null]);
    for (const entry of migrated.entries) batch.push([entry.key, encodeEntry(registry, entry)]);
    await storage.write({ entries: batch, meta: [[META.layout, u53(LAYOUT)]] });
    decoded = migrated.entries;
  } else decoded = [...entries.values()].map((bytes) => decodeEntry(registry, bytes));
  decoded.push(...joinDeltaRows(registry, deltas));
  for (const [key, rows] of deltas) {
    let bytes = 0;
    for (const row of rows) bytes += row.length;
    log.recovered(key, entries.get(key)?.length ?? 0, bytes);
  }
  for (const [key, bytes] of entries) if (!deltas.has(key)) log.recovered(key, bytes.length, 0);
  const storedContext = meta.get(META.context);
  const stored =
    storedContext === undefined ? emptyCausalContext() : decodeContext(registry, storedContext);
  const dotMark = trustedDotMark(fromU53(meta.get(META.dotMark)), decoded, self);
  const context = backedContext(stored, decoded, self, dotMark);
  keyspace.applyRemote(decoded, context, { restoring: true });
  if (dotMark > maxCounter(keyspace.context, self)) {
    const burnt = emptyCausalContext();
    burnt.versionVector.set(self, dotMark);
    keyspace.applyRemote([], burnt, { restoring: true });
  }
  const hlcBytes = meta.get(META.hlc);
  return {
    hlc: hlcBytes === undefined ? undefined : hlcFromBytes(hlcBytes),
    dotMark,
    keys: decoded.length,
  };
}

/**
 * Each key's delta rows joined into one entry, with the latest dot per origin of any row: one
 * join into the stored state per key at recovery, not one per row (a join compares against the
 * whole state). Joining into a copy of the first row costs the size of the rows.
 */
function joinDeltaRows(
  registry: TypeRegistry,
  deltas: ReadonlyMap<string, readonly Uint8Array[]>,
): DottedEntry[] {
  const joined: DottedEntry[] = [];
  for (const [key, rows] of deltas) {
    let state: unknown;
    let tag = "";
    const dots = new Map<ReplicaId, number>();
    for (const bytes of rows) {
      const row = decodeEntry(registry, bytes);
      if (row.key !== key) throw new InvalidArgumentError("a stored delta row names another key");
      const type = registry.get(row.tag);
      if (type === undefined || (state !== undefined && row.tag !== tag)) {
        throw new InvalidArgumentError(`stored delta rows of ${JSON.stringify(key)} disagree`);
      }
      state = state === undefined ? type.clone(row.state) : type.joinInto(state, row.state);
      tag = row.tag;
      for (const d of row.dots)
        if (d.counter > (dots.get(d.replica) ?? 0)) dots.set(d.replica, d.counter);
    }
    if (state === undefined) continue;
    const list = [...dots].map(([replica, counter]) => ({ replica, counter }));
    joined.push({ key, tag, state, dots: list });
  }
  return joined;
}

/**
 * No honest replica issues this many keyspace dots (at a million writes a second it would take
 * 142 years); a reservation mark or own claim beyond it was pushed there by a peer.
 */
const IMPLAUSIBLE_OWN_COUNTER = 2 ** 52;

/** The highest own keyspace dot bound to a stored key. */
function highestOwn(entries: readonly DottedEntry[], self: ReplicaId): number {
  let highest = 0;
  for (const entry of entries) {
    for (const d of entry.dots) if (d.replica === self && d.counter > highest) highest = d.counter;
  }
  return highest;
}

/**
 * The reservation mark, unless a peer's claim on this replica's counter (which releases before
 * issue 12 joined) pushed it beyond any honest value: then the block after the latest own dot
 * of a stored key. A mark within honest range is kept as is, since own dots of deletion records
 * dropped by the layout-1 migration may lie above every stored key's.
 */
function trustedDotMark(mark: number, entries: readonly DottedEntry[], self: ReplicaId): number {
  if (mark <= IMPLAUSIBLE_OWN_COUNTER) return mark;
  return highestOwn(entries, self) + DOT_BLOCK - 1;
}

/**
 * The stored context without own dots beyond the trusted mark (or the latest own dot of a
 * stored key, if higher). Without this a node that persisted a peer's claim on its counter up
 * to 2^53 - 1 (issue 12, item 1) could never write again, even after a restart. Claims about
 * other origins are left as stored: cutting them could only make this replica ask again.
 */
function backedContext(
  stored: CausalContext,
  entries: readonly DottedEntry[],
  self: ReplicaId,
  dotMark: number,
): CausalContext {
  const own = Math.max(highestOwn(entries, self), dotMark);
  if (maxCounter(stored, self) <= Math.max(own, IMPLAUSIBLE_OWN_COUNTER)) return stored;
  return boundedContext(stored, (replica) => (replica === self ? own : Number.MAX_SAFE_INTEGER));
}

/** The meta rows every write carries: the context, the clock, the owner, the layout, the mark. */
export function metaRows(
  keyspace: Keyspace,
  hlc: HlcTimestamp,
  self: ReplicaId,
  dotMark: number | undefined,
): [string, Uint8Array][] {
  const meta: [string, Uint8Array][] = [
    [META.context, encodeContext(keyspace.registry, keyspace.context)],
    [META.hlc, hlcToBytes(hlc)],
    [META.replica, text.encode(self)],
    [META.layout, u53(LAYOUT)],
  ];
  if (dotMark !== undefined) meta.push([META.dotMark, u53(dotMark)]);
  return meta;
}
