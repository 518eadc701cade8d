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

/**
 * Per-frame bounds on causal contexts, on top of `DecodeLimits`: all the contexts of one frame
 * together (a causal push carries two) hold at most `maxContextDots` cloud dots and
 * `maxVectorEntries` vector entries. Without them one frame of 10 million cloud dots decoded
 * into Sets that the next join pushed past the engine's own `Set` size limit (issue 12, item 3).
 */
export interface ContextDecodeLimits {
  /** Cloud dots in all contexts of one frame (default 2,000,000: twice a keyspace's cloud). */
  readonly maxContextDots: number;
  /** Vector entries in all contexts of one frame (default 131,072: two full contexts). */
  readonly maxVectorEntries: number;
}

export const DEFAULT_CONTEXT_DECODE_LIMITS: ContextDecodeLimits = Object.freeze({
  maxContextDots: 2_000_000,
  maxVectorEntries: 131_072,
});

/** Decode limits of a sync frame: the codec's, and optionally the context bounds. */
export type SyncDecodeLimits = DecodeLimits & Partial<ContextDecodeLimits>;

/** What the contexts of the frame being decoded may still hold. */
export interface ContextBudget {
  dots: number;
  vector: number;
}

export function contextBudget(limits: SyncDecodeLimits): ContextBudget {
  return {
    dots: limits.maxContextDots ?? DEFAULT_CONTEXT_DECODE_LIMITS.maxContextDots,
    vector: limits.maxVectorEntries ?? DEFAULT_CONTEXT_DECODE_LIMITS.maxVectorEntries,
  };
}

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
  budget: ContextBudget = contextBudget(limits),
): MutableCausalContext {
  const context = emptyCausalContext();
  const first = reader.uint();
  const vectorLength = Math.floor(first / 2);
  if (vectorLength > Math.min(limits.maxEntries, reader.remaining, budget.vector))
    throw new DecodeError("LIMIT_EXCEEDED", `vector length ${vectorLength} is too large`);
  budget.vector -= vectorLength;
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
    if (total > limits.maxEntries || count > budget.dots)
      throw new DecodeError("LIMIT_EXCEEDED", "cloud holds too many dots");
    budget.dots -= count;
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
