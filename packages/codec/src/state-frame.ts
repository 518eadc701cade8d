import { DecodeError, type DecodeLimits, type WirePlain } from "@convergent/core";
import { FrameKind } from "./envelope.js";
import { packFrame } from "./msgpack.js";
import { readTable, tableReader, tableWriter } from "./replica-table.js";
import type { AnyCrdtType, TypeEntry } from "./type-entry.js";

/** `[tag, wireVersion, replicas, payload]`, the table filled while the payload is written. */
export function encodeState(type: AnyCrdtType, state: unknown, limits: DecodeLimits): Uint8Array {
  const writer = tableWriter(limits.maxReplicas);
  const payload = type.wire.toWire(state, writer);
  return packFrame(FrameKind.STATE, [type.name, type.wire.version, writer.table, payload], limits);
}

export interface ReadState {
  readonly entry: TypeEntry;
  readonly state: unknown;
  /** False when an older layout was read through a legacy wire form. */
  readonly current: boolean;
}

/**
 * Checks a decoded state-frame body field by field, in the order docs/format.md gives, and hands
 * the payload to the type's wire form. `lookup` finds the entry for a tag or throws.
 */
export function readStateBody(
  body: WirePlain,
  lookup: (tag: string) => TypeEntry,
  limits: DecodeLimits,
): ReadState {
  if (!Array.isArray(body)) throw new DecodeError("WRONG_TYPE", "a state frame body is an array");
  if (body.length !== 4) {
    throw new DecodeError("MALFORMED", "a state frame body has exactly four fields");
  }
  const [tag, version, table, payload] = body as [unknown, unknown, unknown, unknown];
  if (typeof tag !== "string") throw new DecodeError("WRONG_TYPE", "the type tag is not a string");
  const entry = lookup(tag);
  if (typeof version !== "number" || !Number.isSafeInteger(version) || version < 0) {
    throw new DecodeError("WRONG_TYPE", "the wire version is not a non-negative integer");
  }
  const current = entry.type.wire;
  const wire = version === current.version ? current : entry.legacy.get(version);
  if (wire === undefined) {
    throw new DecodeError(
      "UNSUPPORTED_VERSION",
      `"${tag}" wire version ${version} is not readable here; this reader knows version ` +
        `${[current.version, ...entry.legacy.keys()].join(", ")}` +
        (version > current.version ? " (upgrade the type's package to read it)" : ""),
    );
  }
  const reader = tableReader(readTable(table, limits), limits);
  let state: unknown;
  try {
    state = wire.fromWire(payload, reader);
  } catch (error) {
    if (error instanceof DecodeError) throw error;
    throw new DecodeError("MALFORMED", `"${tag}" fromWire threw instead of rejecting`, {
      cause: error,
    });
  }
  return { entry, state, current: wire === current };
}
