/**
 * Keyspace entries in sync frames. Entries are grouped by type tag (tags sorted, each written
 * once per group as a one-byte code for the built-in types, `type-codes.ts`); inside a group keys
 * are sorted and front-coded (bytes shared with the previous key, then the rest), keyspace dots
 * follow as a column (one origin and offsets from the smallest seq when every entry has a single
 * dot of the same origin, as in a typical delta), and the states follow as rows of their wire
 * forms, column-encoded (`columns.ts`). Replica ids in dots and states are indices into the
 * frame's one replica table. When the message also carries a context that holds the entries'
 * dots (a sync response, a read response, a causal push's dependencies), the smallest seq is
 * written as its distance below that context's counter for the origin: a byte instead of three.
 */
import type { CausalContext, Dot, ReplicaId } from "@convergent/clocks";
import {
  DecodeError,
  type DecodeLimits,
  type WirePlain,
  type WireReader,
  type WireWriter,
} from "@convergent/core";
import { MAX_KEY_LENGTH } from "../keyspace/key.js";
import type { DottedEntry } from "../keyspace/keyspace.js";
import type { AnyCrdtType, TypeRegistry } from "../keyspace/registry.js";
import { type ByteReader, type ByteWriter, isAscii, utf8, utf8Bytes } from "./bytes.js";
import { readRows, writeRows } from "./columns.js";
import { countAtMost } from "./plain.js";
import { BUILTIN_TYPE_TAGS, typeTagCode } from "./type-codes.js";

const MAX_TAG_LENGTH = 256;

export function writeEntries(
  writer: ByteWriter,
  table: WireWriter,
  registry: TypeRegistry,
  entries: readonly DottedEntry[],
  reference?: CausalContext,
): void {
  const groups = entryGroups(registry, entries);
  writer.uint(groups.length);
  for (const { tag, type, group } of groups) {
    writeGroupTag(writer, tag);
    writer.uint(group.length);
    writeKeys(writer, group);
    writeDots(writer, table, group, reference);
    writeRows(
      writer,
      group.map((entry) => type.wire.toWire(entry.state, table)),
    );
  }
}

/**
 * Entries grouped by type tag, tags ascending, each group sorted by key. The sort is stable, so
 * entries of one key keep their order (a delta push may carry a key once per origin).
 */
export function entryGroups<E extends { readonly key: string; readonly tag: string }>(
  registry: TypeRegistry,
  entries: readonly E[],
): { readonly tag: string; readonly type: AnyCrdtType; readonly group: E[] }[] {
  const groups = new Map<string, E[]>();
  for (const entry of entries) {
    const group = groups.get(entry.tag);
    if (group === undefined) groups.set(entry.tag, [entry]);
    else group.push(entry);
  }
  return [...groups.keys()].sort().map((tag) => {
    const type = registry.get(tag);
    if (type === undefined)
      throw new DecodeError("UNKNOWN_TYPE", `type "${tag}" is not registered`);
    const group = (groups.get(tag) as E[]).sort((a, b) =>
      a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
    );
    return { tag, type, group };
  });
}

export function writeKeys(writer: ByteWriter, group: readonly { readonly key: string }[]): void {
  // Front coding on UTF-8 bytes; ASCII keys (the common case) skip the encoder entirely.
  let previous = "";
  let previousBytes: Uint8Array | undefined;
  for (const [i, entry] of group.entries()) {
    const key = entry.key;
    if (previousBytes === undefined && isAscii(key)) {
      let shared = 0;
      const limit = Math.min(key.length, previous.length);
      while (shared < limit && key.charCodeAt(shared) === previous.charCodeAt(shared)) shared++;
      // The first key shares nothing, so its prefix length is not written.
      if (i > 0) writer.uint(shared);
      writer.uint(key.length - shared);
      writer.asciiTail(key, shared);
    } else {
      const bytes = utf8Bytes(key);
      const before = previousBytes ?? utf8Bytes(previous);
      let shared = 0;
      const limit = Math.min(bytes.length, before.length);
      while (shared < limit && bytes[shared] === before[shared]) shared++;
      if (i > 0) writer.uint(shared);
      writer.bytes(bytes.subarray(shared));
    }
    previous = key;
    previousBytes = isAscii(key) ? undefined : utf8Bytes(key);
  }
}

/** The counter a single-origin dot column's base is written below, if the frame has one. */
function referenceOf(reference: CausalContext | undefined, origin: ReplicaId): number | undefined {
  return reference?.versionVector.get(origin);
}

/**
 * The column starts with one varint: `2 * origin index` when every entry has one dot of that
 * origin (then the base and the offsets), or 1 for the general form.
 */
function writeDots(
  writer: ByteWriter,
  table: WireWriter,
  group: readonly DottedEntry[],
  reference: CausalContext | undefined,
): void {
  const first = group[0]?.dots[0];
  const single =
    first !== undefined &&
    group.every((e) => e.dots.length === 1 && e.dots[0]?.replica === first.replica);
  if (single) {
    const seqs = group.map((e) => (e.dots[0] as Dot).counter);
    // A loop, not Math.min(...seqs): spreading 100,000 arguments overflows the stack.
    let base = Number.MAX_SAFE_INTEGER;
    for (const seq of seqs) if (seq < base) base = seq;
    writer.uint(2 * table.replica(first.replica));
    const top = referenceOf(reference, first.replica);
    if (top === undefined) writer.uint(base);
    else writer.int(top - base);
    for (const seq of seqs) writer.uint(seq - base);
    return;
  }
  writer.uint(1);
  for (const entry of group) {
    writer.uint(entry.dots.length);
    for (const d of entry.dots) {
      writer.uint(table.replica(d.replica));
      writer.uint(d.counter);
    }
  }
}

export function readEntries(
  reader: ByteReader,
  table: WireReader,
  registry: TypeRegistry,
  limits: DecodeLimits,
  reference?: CausalContext,
): DottedEntry[] {
  const groupCount = countAtMost(reader, limits);
  const entries: DottedEntry[] = [];
  const seenKeys = new Set<string>();
  let previousTag: string | undefined;
  for (let g = 0; g < groupCount; g++) {
    const { tag, type } = readGroupTag(reader, registry, previousTag);
    previousTag = tag;
    // Every entry costs at least two bytes of key, so a count beyond that is a lie.
    const count = reader.uintAtMost(
      Math.min(limits.maxEntries - entries.length, reader.remaining / 2),
      "entry count",
    );
    if (count === 0) throw new DecodeError("MALFORMED", "an entry group must not be empty");
    const keys = readKeys(reader, count, limits);
    const dots = readDots(reader, table, count, limits, reference);
    const rows = readRows(reader, count, limits);
    for (let i = 0; i < count; i++) {
      const key = keys[i] as string;
      // Keys ascend inside a group, so only several groups can repeat a key.
      if (groupCount > 1) {
        if (seenKeys.has(key))
          throw new DecodeError("MALFORMED", `key ${JSON.stringify(key)} appears twice`);
        seenKeys.add(key);
      }
      entries.push({
        key,
        tag,
        state: decodeState(type.wire.fromWire, rows[i] as WirePlain, table),
        dots: dots[i] as Dot[],
      });
    }
  }
  return entries;
}

/** A group's type tag (its code for built-in types), above the previous group's, registered. */
export function readGroupTag(
  reader: ByteReader,
  registry: TypeRegistry,
  previousTag: string | undefined,
): { readonly tag: string; readonly type: AnyCrdtType } {
  const code = reader.uintAtMost(BUILTIN_TYPE_TAGS.length, "type tag code");
  const tag = code === 0 ? reader.string(MAX_TAG_LENGTH) : (BUILTIN_TYPE_TAGS[code - 1] as string);
  // A built-in tag has exactly one encoding: its code.
  if (code === 0 && typeTagCode(tag) !== 0)
    throw new DecodeError("MALFORMED", `type tag "${tag}" must be written as its code`);
  if (previousTag !== undefined && tag <= previousTag) {
    throw new DecodeError("MALFORMED", "entry groups must have unique, sorted tags");
  }
  const type = registry.get(tag);
  if (type === undefined) throw new DecodeError("UNKNOWN_TYPE", `type "${tag}" is not registered`);
  return { tag, type };
}

/** Writes a group's type tag: its one-byte code, or 0 and the tag for a user type. */
export function writeGroupTag(writer: ByteWriter, tag: string): void {
  const code = typeTagCode(tag);
  writer.uint(code);
  if (code === 0) writer.string(tag);
}

export function decodeState(
  fromWire: (plain: unknown, reader: WireReader) => unknown,
  plain: WirePlain,
  table: WireReader,
): unknown {
  try {
    return fromWire(plain, table);
  } catch (error) {
    if (error instanceof DecodeError) throw error;
    // A wire form must only throw DecodeError; anything else is still the sender's bad data.
    throw new DecodeError("MALFORMED", "state rejected by its wire form", { cause: error });
  }
}

/**
 * Reads `count` front-coded keys, which must ascend strictly, or (with `repeats`) may also
 * repeat the previous key: a delta push carries one key once per origin that updated it.
 */
export function readKeys(
  reader: ByteReader,
  count: number,
  limits: DecodeLimits,
  repeats = false,
): string[] {
  const maxChars = Math.min(MAX_KEY_LENGTH, limits.maxStringLength);
  const keys: string[] = [];
  let previous = "";
  // bytes[0, previousBytes) always holds the previous key's UTF-8, so the next key is its prefix
  // plus the suffix read, decoded in one step (a flat string, cheap to hash in a Map).
  let bytes = new Uint8Array(64);
  let previousBytes = 0;
  for (let i = 0; i < count; i++) {
    const shared = i === 0 ? 0 : reader.uintAtMost(previousBytes, "shared key prefix");
    const length = reader.uintAtMost(maxChars * 3, "key length");
    const start = reader.skip(length);
    const total = shared + length;
    if (total > bytes.length) {
      const grown = new Uint8Array(Math.max(total, bytes.length * 2));
      grown.set(bytes);
      bytes = grown;
    }
    bytes.set(reader.buffer.subarray(start, start + length), shared);
    const key = decodeKey(bytes.subarray(0, total), maxChars);
    previousBytes = total;
    if (i > 0 && (repeats ? key < previous : key <= previous)) {
      throw new DecodeError("MALFORMED", "keys in a group must be unique and sorted");
    }
    keys.push(key);
    previous = key;
  }
  return keys;
}

function decodeKey(raw: Uint8Array, maxChars: number): string {
  let isAsciiKey = true;
  for (let i = 0; i < raw.length; i++) {
    if ((raw[i] as number) >= 0x80) {
      isAsciiKey = false;
      break;
    }
  }
  if (!isAsciiKey || raw.length > 1024) return utf8(raw, maxChars);
  if (raw.length > maxChars) throw new DecodeError("LIMIT_EXCEEDED", "key too long");
  return String.fromCharCode.apply(null, raw as unknown as number[]);
}

function readDots(
  reader: ByteReader,
  table: WireReader,
  count: number,
  limits: DecodeLimits,
  reference: CausalContext | undefined,
): Dot[][] {
  const head = reader.uint();
  const dots: Dot[][] = [];
  if (head % 2 === 0) {
    const replica = table.replica(head / 2);
    const top = referenceOf(reference, replica);
    const base = top === undefined ? reader.uint() : top - reader.int();
    for (let i = 0; i < count; i++) dots.push([dotOf(replica, base + reader.uint())]);
    return dots;
  }
  if (head !== 1) throw new DecodeError("MALFORMED", `unknown dot column mode ${head}`);
  let total = 0;
  for (let i = 0; i < count; i++) {
    const n = countAtMost(reader, limits);
    total += n;
    if (total > limits.maxEntries)
      throw new DecodeError("LIMIT_EXCEEDED", "too many keyspace dots");
    const list: Dot[] = [];
    const origins = new Set<ReplicaId>();
    for (let j = 0; j < n; j++) {
      const replica = table.replica(reader.uint());
      if (origins.has(replica))
        throw new DecodeError("MALFORMED", "two dots of one origin on a key");
      origins.add(replica);
      list.push(dotOf(replica, reader.uint()));
    }
    dots.push(list);
  }
  return dots;
}

function dotOf(replica: ReplicaId, counter: number): Dot {
  if (counter < 1 || !Number.isSafeInteger(counter)) {
    throw new DecodeError("INVALID_VALUE", "keyspace dot counters must be positive safe integers");
  }
  return { replica, counter };
}
