/**
 * Deltas in push frames. Like whole entries (`entries-codec.ts`): grouped by sorted type tag,
 * keys front-coded, states as column-encoded rows of their wire forms. Keys may repeat inside a
 * group (one entry per origin that updated the key, in the order they must be applied: a stable
 * sort keeps it). Each entry's dots follow the keys as a column: the smallest first counter of
 * the group once, then per entry the origin's table index, its first counter above that base,
 * how many more counters it holds and the gaps between them, and how far below the first
 * counter `prev` lies. A typical one-write delta costs five bytes of dots.
 */
import type { ReplicaId } from "@convergent/clocks";
import {
  DecodeError,
  type DecodeLimits,
  type WirePlain,
  type WireReader,
  type WireWriter,
} from "@convergent/core";
import type { DeltaEntry } from "../keyspace/keyspace.js";
import type { TypeRegistry } from "../keyspace/registry.js";
import type { ByteReader, ByteWriter } from "./bytes.js";
import { readRows, writeRows } from "./columns.js";
import {
  decodeState,
  entryGroups,
  readGroupTag,
  readKeys,
  writeGroupTag,
  writeKeys,
} from "./entries-codec.js";
import { countAtMost } from "./plain.js";

export function writeDeltaEntries(
  writer: ByteWriter,
  table: WireWriter,
  registry: TypeRegistry,
  entries: readonly DeltaEntry[],
): void {
  const groups = entryGroups(registry, entries);
  writer.uint(groups.length);
  for (const { tag, type, group } of groups) {
    writeGroupTag(writer, tag);
    writer.uint(group.length);
    writeKeys(writer, group);
    writeDeltaDots(writer, table, group);
    writeRows(
      writer,
      group.map((entry) => type.wire.toWire(entry.state, table)),
    );
  }
}

function writeDeltaDots(writer: ByteWriter, table: WireWriter, group: readonly DeltaEntry[]) {
  let base = Number.MAX_SAFE_INTEGER;
  for (const entry of group) base = Math.min(base, entry.counters[0] as number);
  writer.uint(base);
  for (const entry of group) {
    const first = entry.counters[0] as number;
    writer.uint(table.replica(entry.origin));
    writer.uint(first - base);
    writer.uint(entry.counters.length - 1);
    for (let i = 1; i < entry.counters.length; i++) {
      writer.uint((entry.counters[i] as number) - (entry.counters[i - 1] as number) - 1);
    }
    writer.uint(first - 1 - entry.prev);
  }
}

export function readDeltaEntries(
  reader: ByteReader,
  table: WireReader,
  registry: TypeRegistry,
  limits: DecodeLimits,
): DeltaEntry[] {
  const groupCount = countAtMost(reader, limits);
  const entries: DeltaEntry[] = [];
  let previousTag: string | undefined;
  let counters = 0;
  for (let g = 0; g < groupCount; g++) {
    const { tag, type } = readGroupTag(reader, registry, previousTag);
    previousTag = tag;
    // Every entry costs at least two bytes of key, so a count beyond that is a lie.
    const count = reader.uintAtMost(
      Math.min(limits.maxEntries - entries.length, reader.remaining / 2),
      "entry count",
    );
    if (count === 0) throw new DecodeError("MALFORMED", "an entry group must not be empty");
    const keys = readKeys(reader, count, limits, true);
    const base = reader.uint();
    const dots: { origin: ReplicaId; counters: number[]; prev: number }[] = [];
    for (let i = 0; i < count; i++) {
      const origin = table.replica(reader.uint());
      const first = checkedCounter(base + reader.uint());
      const more = reader.uintAtMost(reader.remaining, "delta dot count");
      counters += more + 1;
      if (counters > limits.maxEntries)
        throw new DecodeError("LIMIT_EXCEEDED", "too many keyspace dots");
      const list = [first];
      for (let j = 0; j < more; j++) {
        list.push(checkedCounter((list[j] as number) + reader.uint() + 1));
      }
      const prev = first - 1 - reader.uintAtMost(first - 1, "previous dot distance");
      dots.push({ origin, counters: list, prev });
    }
    const rows = readRows(reader, count, limits);
    for (let i = 0; i < count; i++) {
      const { origin, counters: list, prev } = dots[i] as (typeof dots)[number];
      entries.push({
        key: keys[i] as string,
        tag,
        state: decodeState(type.wire.fromWire, rows[i] as WirePlain, table),
        origin,
        counters: list,
        prev,
      });
    }
  }
  return entries;
}

function checkedCounter(counter: number): number {
  if (counter < 1 || !Number.isSafeInteger(counter)) {
    throw new DecodeError("INVALID_VALUE", "keyspace dot counters must be positive safe integers");
  }
  return counter;
}
