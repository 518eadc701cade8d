import type { ReplicaId } from "@convergent/clocks";
import { DecodeError } from "./errors.js";

/**
 * What a wire form may produce: integers, strings, booleans, null, byte arrays and arrays
 * (positional, so no field names travel), plus plain objects for user values. The codec turns
 * this into bytes; the wire form never sees a serialization library.
 */
export type WirePlain =
  | null
  | boolean
  | number
  | string
  | Uint8Array
  | readonly WirePlain[]
  | { readonly [key: string]: WirePlain };

/** Bounds a decoder enforces so hostile input cannot exhaust memory or the stack. */
export interface DecodeLimits {
  /** Largest frame accepted, in bytes. */
  readonly maxFrameBytes: number;
  /** Most entries (map entries, set elements, dots, siblings) in any one collection. */
  readonly maxEntries: number;
  /** Longest string, in UTF-16 code units. */
  readonly maxStringLength: number;
  /** Most distinct replica ids in one frame. */
  readonly maxReplicas: number;
  /** Deepest nesting of arrays and objects. */
  readonly maxDepth: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = Object.freeze({
  maxFrameBytes: 64 * 1024 * 1024,
  maxEntries: 10_000_000,
  maxStringLength: 1024 * 1024,
  maxReplicas: 65_536,
  // Frames wrap values in 2-4 levels of their own, so this sits well above MAX_PLAIN_DEPTH.
  maxDepth: 64,
});

/**
 * Given to `toWire`: replica ids are written as small integers that index a per-frame table,
 * so an id that appears in a million dots costs its bytes once. Indices are assigned in first-use
 * order; a canonical traversal therefore gives a canonical table.
 */
export interface WireWriter {
  replica(id: ReplicaId): number;
}

/** Given to `fromWire`: resolves replica indices (throwing DecodeError) and carries the limits. */
export interface WireReader {
  readonly limits: DecodeLimits;
  replica(index: unknown): ReplicaId;
}

/**
 * How a type crosses a process boundary. `toWire` must be canonical: equal states give equal
 * plain data. `fromWire` validates shape and invariants and throws DecodeError; it returns a
 * state the type itself could have reached, so a hostile peer cannot break join.
 */
export interface WireForm<S> {
  /** Version of this type's wire layout; bump it when the layout changes. */
  readonly version: number;
  toWire(state: S, writer: WireWriter): WirePlain;
  fromWire(plain: unknown, reader: WireReader): S;
}

/**
 * The reader every frame format uses over its already validated replica table: an index that
 * is not an integer inside the table is a DecodeError, never an undefined id.
 */
export function replicaTableReader(table: readonly ReplicaId[], limits: DecodeLimits): WireReader {
  return {
    limits,
    replica(index) {
      if (
        typeof index !== "number" ||
        !Number.isInteger(index) ||
        index < 0 ||
        index >= table.length
      ) {
        throw new DecodeError(
          "INVALID_VALUE",
          `replica index ${String(index)} is not in the frame's table`,
        );
      }
      return table[index] as ReplicaId;
    },
  };
}
