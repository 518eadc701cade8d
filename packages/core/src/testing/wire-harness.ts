import { isReplicaId, type ReplicaId } from "@convergent/clocks";
import type { CrdtType } from "../crdt.js";
import { DecodeError } from "../errors.js";
import {
  DEFAULT_DECODE_LIMITS,
  type DecodeLimits,
  replicaTableReader,
  type WirePlain,
  type WireReader,
  type WireWriter,
} from "../wire.js";

/**
 * A replica table like the codec's, without bytes: enough to test a wire form on its own.
 * `toWire` output plus the table is what the codec would put in a frame.
 */
export function tableWriter(): WireWriter & { readonly table: ReplicaId[] } {
  const table: ReplicaId[] = [];
  const index = new Map<ReplicaId, number>();
  return {
    table,
    replica(id) {
      let i = index.get(id);
      if (i === undefined) {
        i = table.length;
        table.push(id);
        index.set(id, i);
      }
      return i;
    },
  };
}

export function tableReader(
  table: readonly unknown[],
  limits: DecodeLimits = DEFAULT_DECODE_LIMITS,
): WireReader {
  // The table is untrusted here, so each id is checked when a state first refers to it.
  const inner = replicaTableReader(table as readonly ReplicaId[], limits);
  return {
    limits,
    replica(index) {
      const id: unknown = inner.replica(index);
      if (!isReplicaId(id)) throw new DecodeError("INVALID_VALUE", "invalid replica id in table");
      return id;
    },
  };
}

export interface WireImage {
  readonly table: ReplicaId[];
  readonly plain: WirePlain;
}

export function toWireImage<S>(type: CrdtType<S, unknown>, state: S): WireImage {
  const writer = tableWriter();
  const plain = type.wire.toWire(state, writer);
  return { table: writer.table, plain };
}

export function fromWireImage<S>(
  type: CrdtType<S, unknown>,
  image: WireImage,
  limits?: DecodeLimits,
): S {
  return type.wire.fromWire(image.plain, tableReader(image.table, limits));
}
