import { InvalidArgumentError } from "@convergent/core";
import type { StorageBatch } from "./storage.js";

/**
 * The writes of one or more batches, merged, in the batch's own form: applying `entries` (each
 * also removing the key's stored deltas), then appending `deltas`, has the effect of applying
 * the merged batches one after the other.
 */
export interface Group {
  /** One state row (or deletion) per key, the latest. */
  readonly entries: Map<string, Uint8Array | null>;
  /** Per key, the delta rows to append after `entries` applied, oldest first. */
  readonly deltas: Map<string, Uint8Array[]>;
  readonly meta: Map<string, Uint8Array>;
}

export const emptyGroup = (): Group => ({ entries: new Map(), deltas: new Map(), meta: new Map() });

export const isEmptyGroup = (group: Group): boolean =>
  group.entries.size === 0 && group.deltas.size === 0 && group.meta.size === 0;

function appendDelta(target: Group, key: string, delta: Uint8Array): void {
  const rows = target.deltas.get(key);
  if (rows === undefined) target.deltas.set(key, [delta]);
  else rows.push(delta);
}

/**
 * Merges a later group into an earlier one. A state write in `source` would remove every delta
 * row of its key, including those `target` was about to append, so they are dropped here; the
 * deltas of `source` then go after whatever of `target`'s remains.
 */
export function mergeInto(target: Group, source: Group): void {
  for (const [key, value] of source.entries) {
    target.entries.set(key, value);
    target.deltas.delete(key);
  }
  // One row at a time: a spread of a long list into push() could overflow the call stack.
  for (const [key, rows] of source.deltas) {
    for (const delta of rows) appendDelta(target, key, delta);
  }
  for (const [name, value] of source.meta) target.meta.set(name, value);
}

// A lone surrogate cannot be encoded as UTF-8 (SQLite) without silently becoming U+FFFD, which
// would merge two distinct keys; such keys are refused everywhere so all adapters agree.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function checkName(name: unknown, what: string): string {
  if (typeof name !== "string") {
    throw new InvalidArgumentError(`${what} must be a string, got ${typeof name}`);
  }
  if (LONE_SURROGATE.test(name)) {
    throw new InvalidArgumentError(`${what} ${JSON.stringify(name)} holds a lone surrogate`);
  }
  return name;
}

// Checked by tag rather than instanceof so bytes from another realm (an iframe, a worker's
// transferred buffer view) are accepted; Buffer reports "Uint8Array" too.
const isBytes = (value: unknown): value is Uint8Array =>
  ArrayBuffer.isView(value) && Object.prototype.toString.call(value) === "[object Uint8Array]";

/** A plain, exactly-sized copy, so neither the caller nor a driver can alias stored bytes. */
export const copyBytes = (bytes: Uint8Array): Uint8Array => new Uint8Array(bytes);

function pairs(source: unknown, what: string): Iterable<unknown> {
  if (source === undefined) return [];
  if (
    source === null ||
    typeof source !== "object" ||
    typeof (source as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== "function"
  ) {
    throw new InvalidArgumentError(`batch.${what} must be an iterable of [name, bytes] pairs`);
  }
  return source as Iterable<unknown>;
}

function pair(item: unknown, what: string): readonly [unknown, unknown] {
  if (!Array.isArray(item) || item.length !== 2) {
    throw new InvalidArgumentError(`each item of batch.${what} must be a [name, bytes] pair`);
  }
  return [item[0], item[1]];
}

/**
 * Validates a caller's batch and copies its bytes. Throws `InvalidArgumentError` before
 * anything is queued, so a bad batch writes nothing.
 */
export function normalizeBatch(batch: StorageBatch): Group {
  if (batch === null || typeof batch !== "object") {
    throw new InvalidArgumentError("a batch must be an object { entries?, deltas?, meta? }");
  }
  const group = emptyGroup();
  for (const item of pairs(batch.entries, "entries")) {
    const [key, value] = pair(item, "entries");
    const name = checkName(key, "an entry key");
    if (value !== null && !isBytes(value)) {
      throw new InvalidArgumentError(`entry ${JSON.stringify(name)} must be a Uint8Array or null`);
    }
    group.entries.set(name, value === null ? null : copyBytes(value));
  }
  // A batch's deltas apply after its entries, so its own state writes never remove them.
  for (const item of pairs(batch.deltas, "deltas")) {
    const [key, value] = pair(item, "deltas");
    const name = checkName(key, "a delta key");
    if (!isBytes(value)) {
      throw new InvalidArgumentError(`a delta of ${JSON.stringify(name)} must be a Uint8Array`);
    }
    appendDelta(group, name, copyBytes(value));
  }
  for (const item of pairs(batch.meta, "meta")) {
    const [key, value] = pair(item, "meta");
    const name = checkName(key, "a meta name");
    if (!isBytes(value)) {
      throw new InvalidArgumentError(`meta ${JSON.stringify(name)} must be a Uint8Array`);
    }
    group.meta.set(name, copyBytes(value));
  }
  return group;
}
