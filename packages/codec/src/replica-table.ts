import { isReplicaId, type ReplicaId } from "@convergent/clocks";
import {
  DecodeError,
  type DecodeLimits,
  replicaTableReader,
  type WireReader,
  type WireWriter,
} from "@convergent/core";
import { EncodeError } from "./errors.js";

/**
 * Interns replica ids for one frame in first-use order, so an id costs its bytes once however
 * many dots carry it; a canonical traversal by the wire form gives a canonical table.
 */
export function tableWriter(maxReplicas: number): WireWriter & { readonly table: ReplicaId[] } {
  const table: ReplicaId[] = [];
  const indices = new Map<ReplicaId, number>();
  return {
    table,
    replica(id) {
      let index = indices.get(id);
      if (index === undefined) {
        if (!isReplicaId(id)) throw new EncodeError("UNSUPPORTED_VALUE", "invalid replica id");
        if (table.length >= maxReplicas) {
          throw new EncodeError(
            "LIMIT_EXCEEDED",
            `the state names more than ${maxReplicas} replicas, the limit`,
          );
        }
        index = table.length;
        table.push(id);
        indices.set(id, index);
      }
      return index;
    },
  };
}

/** Validates a decoded replica table: valid ids, no repeats, within the limit. */
export function readTable(plain: unknown, limits: DecodeLimits): ReplicaId[] {
  if (!Array.isArray(plain))
    throw new DecodeError("WRONG_TYPE", "the replica table is not an array");
  if (plain.length > limits.maxReplicas) {
    throw new DecodeError(
      "LIMIT_EXCEEDED",
      `the replica table has ${plain.length} ids; the limit is ${limits.maxReplicas}`,
    );
  }
  const seen = new Set<string>();
  for (const id of plain) {
    if (!isReplicaId(id)) throw new DecodeError("INVALID_VALUE", "invalid replica id in the table");
    if (seen.has(id))
      throw new DecodeError("INVALID_VALUE", `replica id "${id}" is in the table twice`);
    seen.add(id);
  }
  return plain as ReplicaId[];
}

/** Kept as the codec's name for core's shared reader. */
export function tableReader(table: readonly ReplicaId[], limits: DecodeLimits): WireReader {
  return replicaTableReader(table, limits);
}
