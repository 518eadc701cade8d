/**
 * Causal contexts in sync frames: replicas as indices into the frame's replica table. The first
 * varint is `2 * vector length + (cloud present)`, so a context without cloud dots (the usual
 * case) spends no byte on an empty cloud.
 */
import {
  addDotInPlace,
  type CausalContext,
  emptyCausalContext,
  type MutableCausalContext,
} from "@convergent/clocks";
import { DecodeError, type DecodeLimits, type WireReader, type WireWriter } from "@convergent/core";
import type { ByteReader, ByteWriter } from "./bytes.js";
import { countAtMost } from "./plain.js";

/** Vector entries as (replica, counter); cloud dots per replica, ascending, as first + gaps. */
export function writeContext(writer: ByteWriter, table: WireWriter, context: CausalContext): void {
  const vector = [...context.versionVector].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const cloud = [...context.cloud]
    .filter(([, counters]) => counters.size > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  writer.uint(vector.length * 2 + (cloud.length > 0 ? 1 : 0));
  for (const [replica, counter] of vector) {
    writer.uint(table.replica(replica));
    writer.uint(counter);
  }
  if (cloud.length === 0) return;
  writer.uint(cloud.length - 1);
  for (const [replica, counters] of cloud) {
    writer.uint(table.replica(replica));
    const sorted = [...counters].sort((x, y) => x - y);
    writer.uint(sorted.length);
    let previous = 0;
    for (const c of sorted) {
      writer.uint(c - previous);
      previous = c;
    }
  }
}

export function readContext(
  reader: ByteReader,
  table: WireReader,
  limits: DecodeLimits,
): MutableCausalContext {
  const context = emptyCausalContext();
  const first = reader.uint();
  const vectorLength = Math.floor(first / 2);
  if (vectorLength > Math.min(limits.maxEntries, reader.remaining))
    throw new DecodeError("LIMIT_EXCEEDED", `vector length ${vectorLength} is too large`);
  for (let i = 0; i < vectorLength; i++) {
    const replica = table.replica(reader.uint());
    if (context.versionVector.has(replica))
      throw new DecodeError("MALFORMED", "duplicate replica in vector");
    const counter = reader.uint();
    if (counter < 1) throw new DecodeError("INVALID_VALUE", "vector counters must be positive");
    context.versionVector.set(replica, counter);
  }
  if (first % 2 === 0) return context;
  const cloudLength = countAtMost(reader, limits) + 1;
  const seen = new Set<string>();
  let total = 0;
  for (let i = 0; i < cloudLength; i++) {
    const replica = table.replica(reader.uint());
    if (seen.has(replica)) throw new DecodeError("MALFORMED", "duplicate replica in cloud");
    seen.add(replica);
    const count = countAtMost(reader, limits);
    if (count === 0) throw new DecodeError("MALFORMED", "a cloud entry must hold a dot");
    total += count;
    if (total > limits.maxEntries)
      throw new DecodeError("LIMIT_EXCEEDED", "cloud holds too many dots");
    let counter = 0;
    for (let j = 0; j < count; j++) {
      const gap = reader.uint();
      if (gap < 1) throw new DecodeError("MALFORMED", "cloud counters must ascend");
      counter += gap;
      if (!Number.isSafeInteger(counter))
        throw new DecodeError("INVALID_VALUE", "cloud counter out of range");
      addDotInPlace(context, { replica, counter });
    }
  }
  return context;
}
