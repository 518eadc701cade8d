/**
 * The canonical bytes of one keyspace entry, the input of its Merkle hash: key, type tag, the
 * replica table in first-use order and the state's wire form in the canonical plain encoding.
 * Equal (key, tag, state) give equal bytes on every replica, whatever its history.
 */
import type { ReplicaId } from "@convergent/clocks";
import type { AnyCrdtType } from "../keyspace/registry.js";
import { ByteWriter } from "../protocol/bytes.js";
import { writePlain } from "../protocol/plain.js";
import { hash64 } from "./hash.js";

// Hashing runs once per changed key; one reused buffer spares an allocation and a copy each time.
const scratch = new ByteWriter();

/** The 64-bit Merkle hash of an entry: `hash64` of its canonical bytes. */
export function entryHash(
  key: string,
  type: AnyCrdtType,
  state: unknown,
): readonly [number, number] {
  scratch.reset();
  writeCanonical(scratch, key, type, state);
  return hash64(scratch.view());
}

function writeCanonical(writer: ByteWriter, key: string, type: AnyCrdtType, state: unknown): void {
  const ids: ReplicaId[] = [];
  const index = new Map<ReplicaId, number>();
  const plain = type.wire.toWire(state, {
    replica(id) {
      let i = index.get(id);
      if (i === undefined) {
        i = ids.length;
        ids.push(id);
        index.set(id, i);
      }
      return i;
    },
  });
  writer.string(key);
  writer.string(type.name);
  writer.uint(type.wire.version);
  writer.uint(ids.length);
  for (const id of ids) writer.string(id);
  writePlain(writer, plain);
}
