/**
 * The types the simulation writes, by tag, and a way into a replica's embedded states: a key's
 * `{ presence, state }`, and below an OR-Map key the embedded state of a field (nested maps
 * included), read straight from the keyspace.
 */
import type { CrdtType } from "@convergent/core";
import { lwwRegister } from "@convergent/lww-register";
import { mvRegister } from "@convergent/mv-register";
import { type Embedded, type OrMapState, orMap } from "@convergent/or-map";
import { orSet } from "@convergent/or-set";
import { pnCounter } from "@convergent/pn-counter";
import type { Replica } from "@convergent/replicated-store";
import { COUNTER, type FieldRef, MAP, MV, REGISTER, SET } from "./schedule.js";

const TYPES: ReadonlyMap<string, CrdtType<unknown, unknown>> = new Map<
  string,
  CrdtType<unknown, unknown>
>([
  [COUNTER, pnCounter as CrdtType<unknown, unknown>],
  [SET, orSet as CrdtType<unknown, unknown>],
  [REGISTER, lwwRegister as CrdtType<unknown, unknown>],
  [MV, mvRegister as CrdtType<unknown, unknown>],
  [MAP, orMap as CrdtType<unknown, unknown>],
]);

/** The plain type registered under `tag`. */
export function typeOf(tag: string): CrdtType<unknown, unknown> {
  const type = TYPES.get(tag);
  if (type === undefined) throw new Error(`the simulation writes no type "${tag}"`);
  return type;
}

/** One path segment as the history records it: `name` U+0000 `tag`. */
export function segment(field: FieldRef): string {
  return `${field.name}\u0000${field.tag}`;
}

/** The tag at the end of a segment. */
export function segmentTag(seg: string): string {
  return seg.slice(seg.lastIndexOf("\u0000") + 1);
}

/**
 * The embedded state at `path` below keyspace key `key` on `replica`, or undefined when the
 * key or one of the fields was never written there.
 */
export function embeddedAt(
  replica: Replica,
  key: string,
  path: readonly string[] = [],
): Embedded<unknown> | undefined {
  let entry = replica.keyspace.get(key)?.state as Embedded<unknown> | undefined;
  for (const seg of path) {
    if (entry === undefined) return undefined;
    const at = seg.lastIndexOf("\u0000");
    entry = (entry.state as OrMapState).get(seg.slice(0, at))?.get(seg.slice(at + 1));
  }
  return entry;
}
