import type { HybridLogicalClock } from "@convergent/clocks";
import { InvalidArgumentError, type PlainValue, storedPlainValue } from "@convergent/core";
import { stamp, tombstoneOf } from "./entry.js";
import type { LwwMapEntry, LwwMapState } from "./lww-map.js";

type Entries = ReadonlyMap<string, LwwMapEntry>;

// A lone surrogate does not survive UTF-8, so two such keys could arrive as one.
function hasLoneSurrogate(key: string): boolean {
  for (let i = 0; i < key.length; i++) {
    const code = key.charCodeAt(i);
    if (code < 0xd800 || code > 0xdfff) continue;
    const next = key.charCodeAt(i + 1);
    if (code > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return true;
    i += 1;
  }
  return false;
}

export function keyProblem(key: unknown): string | undefined {
  if (typeof key !== "string") return `key must be a string, got ${typeof key}`;
  if (hasLoneSurrogate(key)) return "key must be well-formed UTF-16 (no lone surrogates)";
  return undefined;
}

function checkKey(key: unknown): void {
  const problem = keyProblem(key);
  if (problem !== undefined) throw new InvalidArgumentError(problem);
}

function single(key: string, entry: LwwMapEntry): LwwMapState {
  const delta: LwwMapState = new Map();
  delta.set(key, entry);
  return delta;
}

/**
 * Writes `value` under `key` with a timestamp above the key's current one (see `set` on the
 * register: the same rule, including over a far-future entry). The delta is that one entry;
 * the map stores a canonical frozen copy of `value`.
 */
export function setKey(
  state: Entries,
  clock: HybridLogicalClock,
  key: string,
  value: PlainValue,
): LwwMapState {
  checkKey(key);
  const stored = storedPlainValue(value);
  return single(key, stamp(clock, state.get(key), stored));
}

/**
 * Removes `key` by writing a tombstone with a timestamp above the key's current one: it beats
 * every write with a smaller timestamp, including concurrent ones not yet received, and loses
 * to any with a greater one. The tombstone stays in the state for good.
 */
export function removeKey(state: Entries, clock: HybridLogicalClock, key: string): LwwMapState {
  checkKey(key);
  return single(key, stamp(clock, state.get(key), undefined));
}

/**
 * The exact delete of the whole map (`lwwMap.reset`): a tombstone at each live key's own
 * timestamp. It removes exactly the writes `state` shows and reads no clock, so a write to a key
 * its replica had not seen (a greater timestamp, such as a concurrent write made after reading
 * the old value) survives, and so does any write made after the delete was received. Keys
 * already removed need nothing and are left out of the delta.
 */
export function resetMap(state: Entries): LwwMapState {
  const delta: LwwMapState = new Map();
  for (const [key, entry] of state)
    if (entry.value !== undefined) delta.set(key, tombstoneOf(entry));
  return delta;
}

/** The live value under `key`, or undefined when the key was never written or was removed. */
export function getKey(state: Entries, key: string): PlainValue | undefined {
  return state.get(key)?.value;
}

export function hasKey(state: Entries, key: string): boolean {
  return state.get(key)?.value !== undefined;
}

/** A new Map of the live keys and their values (tombstones left out). Treat values as read-only. */
export function mapValue(state: Entries): Map<string, PlainValue> {
  const live = new Map<string, PlainValue>();
  for (const [key, entry] of state) if (entry.value !== undefined) live.set(key, entry.value);
  return live;
}
