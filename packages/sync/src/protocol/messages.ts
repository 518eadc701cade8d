/**
 * The sync protocol's messages and their frames (protocol version 2). Every frame is
 * `header byte (version << 5 | table flag << 4 | kind)`, the replica table when the flag is set
 * (count, then each id as UTF-8), then the body of its kind; replica ids inside the body are indices into that table, so an id costs its
 * bytes once per frame however many dots and states name it. Indices 0 and 1 are implicit: the
 * frame's sender and receiver, which both ends know from the connection, so the ids of the two
 * endpoints never travel; the written table starts at index 2.
 */
import { type CausalContext, isReplicaId, type ReplicaId } from "@convergent/clocks";
import {
  DEFAULT_DECODE_LIMITS,
  DecodeError,
  type DecodeLimits,
  replicaTableReader,
  type WireReader,
  type WireWriter,
} from "@convergent/core";
import { keyProblem, MAX_KEY_LENGTH } from "../keyspace/key.js";
import type { DeltaEntry, DottedEntry } from "../keyspace/keyspace.js";
import type { TypeRegistry } from "../keyspace/registry.js";
import { ByteReader, ByteWriter } from "./bytes.js";
import {
  type ContextBudget,
  contextBudget,
  readContext,
  type SyncDecodeLimits,
  writeContext,
} from "./context-codec.js";

export {
  type ContextDecodeLimits,
  DEFAULT_CONTEXT_DECODE_LIMITS,
  type SyncDecodeLimits,
} from "./context-codec.js";

import { readDeltaEntries, writeDeltaEntries } from "./delta-entries-codec.js";
import { readEntries, writeEntries } from "./entries-codec.js";
import { countAtMost } from "./plain.js";

export const SYNC_PROTOCOL_VERSION = 2;

/** First byte: version (3 bits), whether a replica table follows (1 bit), kind (4 bits). */
const TABLE_FLAG = 0x10;

/** Fast path, both directions: "here is every keyspace dot I have seen". */
export interface SyncRequest {
  readonly kind: "sync-request";
  readonly context: CausalContext;
}

/**
 * The answer to a SyncRequest: every key holding a dot the requester's context lacked, with
 * those dots, and the part of the sender's context the requester lacked, which the receiver
 * joins after applying the entries (filling the gaps of dots the sender had superseded).
 */
export interface SyncResponse {
  readonly kind: "sync-response";
  readonly context: CausalContext;
  readonly entries: readonly DottedEntry[];
}

/**
 * One of `count` frames of a SyncResponse too long for one frame. Every part carries the same
 * `id` (ascending per connection in the order the sender answered) and the response's whole
 * `context`, and `entries` holds the `index`-th slice of its entries. The context may only be
 * joined once every part has been applied; a receiver with causal delivery applies the parts
 * together, as one response, and nothing before (`split-responses.ts`).
 */
export interface SyncResponsePart {
  readonly kind: "sync-response-part";
  readonly id: number;
  readonly index: number;
  readonly count: number;
  readonly context: CausalContext;
  readonly entries: readonly DottedEntry[];
}

/**
 * Repair path: 32-bit digests of some nodes of one level of the sender's Merkle tree, each the
 * node's 64-bit XOR digest mixed with the walk's `salt` (so a collision of the short form lasts
 * one walk, not until the data changes).
 */
export interface MerkleDigest {
  readonly kind: "merkle-digest";
  /** Tree depth and fan-out the sender uses; a receiver with another layout refuses it. */
  readonly depth: number;
  /** Chosen by whoever starts the walk, echoed by every message of it. */
  readonly salt: number;
  readonly level: number;
  /** (node index within the level, salted digest), ascending by index. */
  readonly nodes: readonly (readonly [number, number])[];
}

/**
 * Repair path, near the leaves: nodes at `level` whose digests differed, each with the salted
 * 32-bit hash of every entry the sender holds under it, ascending.
 */
export interface MerkleKeys {
  readonly kind: "merkle-keys";
  readonly depth: number;
  readonly salt: number;
  readonly level: number;
  readonly nodes: readonly (readonly [number, readonly number[]])[];
}

/**
 * Repair path, last steps: the sender's entries (with all their dots) under some nodes at
 * `level` whose hashes the receiver's MerkleKeys lacked, and `want`, the hashes of the
 * receiver's entries under those nodes that the sender lacks; a non-empty `want` asks the
 * receiver to answer with those entries.
 */
export interface MerkleEntries {
  readonly kind: "merkle-entries";
  readonly depth: number;
  readonly salt: number;
  readonly level: number;
  readonly nodes: readonly number[];
  readonly want: readonly number[];
  readonly entries: readonly DottedEntry[];
}

/**
 * Live delta shipping: updates pushed to one peer as the deltas they made, each with its own
 * keyspace dots and no others, numbered per peer (the sender's own updates, and those of other
 * origins it relays). With causal delivery `deps` is the causal past the deltas depend on (the
 * context of the replica that pushed them first, when it pushed): the receiver applies the push
 * once its context with the push's own dots includes it, and never joins it. Without causal
 * delivery `deps` is undefined.
 */
export interface DeltaPush {
  readonly kind: "delta-push";
  readonly seq: number;
  readonly deps: CausalContext | undefined;
  readonly entries: readonly DeltaEntry[];
}

/** Acknowledges every DeltaPush up to and including `seq`. */
export interface DeltaAck {
  readonly kind: "delta-ack";
  readonly seq: number;
}

/**
 * Asks a peer for its current state of some keys (a read at a consistency level above one).
 * `id` pairs the response with the request; the peer answers with every key it holds.
 */
export interface ReadRequest {
  readonly kind: "read-request";
  readonly id: number;
  readonly keys: readonly string[];
}

/**
 * The answer to a ReadRequest: the requested keys the sender holds, with all their dots, and the
 * sender's whole context (what a causally consistent reader must catch up to before using them).
 */
export interface ReadResponse {
  readonly kind: "read-response";
  readonly id: number;
  readonly context: CausalContext;
  readonly entries: readonly DottedEntry[];
}

export type SyncMessage =
  | SyncRequest
  | SyncResponse
  | SyncResponsePart
  | MerkleDigest
  | MerkleKeys
  | MerkleEntries
  | DeltaPush
  | DeltaAck
  | ReadRequest
  | ReadResponse;

const KIND_CODES = {
  "sync-request": 1,
  "sync-response": 2,
  "merkle-digest": 3,
  "merkle-entries": 4,
  // 5 and 9 were the whole-state pushes before issue 13; a frame of either is now refused.
  "delta-push": 12,
  "delta-ack": 6,
  "read-request": 7,
  "read-response": 8,
  "merkle-keys": 10,
  "sync-response-part": 11,
} as const;

const HASH_BYTES = 4;

/** The two ends of the connection a frame travels on; they are table entries 0 and 1. */
export interface FrameEndpoints {
  readonly sender: ReplicaId;
  readonly receiver: ReplicaId;
}

class TableWriter implements WireWriter {
  readonly ids: ReplicaId[];
  readonly #index = new Map<ReplicaId, number>();

  constructor(endpoints: FrameEndpoints) {
    this.ids = [endpoints.sender, endpoints.receiver];
    this.#index.set(endpoints.sender, 0);
    // A replica syncing with itself (a test, a loopback) keeps index 0 for its id.
    if (!this.#index.has(endpoints.receiver)) this.#index.set(endpoints.receiver, 1);
  }

  replica(id: ReplicaId): number {
    let i = this.#index.get(id);
    if (i === undefined) {
      i = this.ids.length;
      this.ids.push(id);
      this.#index.set(id, i);
    }
    return i;
  }
}

export function encodeMessage(
  message: SyncMessage,
  registry: TypeRegistry,
  endpoints: FrameEndpoints,
): Uint8Array {
  const table = new TableWriter(endpoints);
  const body = new ByteWriter();
  switch (message.kind) {
    case "sync-request":
      writeContext(body, table, message.context);
      break;
    case "sync-response":
      writeContext(body, table, message.context);
      writeEntries(body, table, registry, message.entries, message.context);
      break;
    case "sync-response-part":
      body.uint(message.id);
      body.uint(message.count);
      body.uint(message.index);
      writeContext(body, table, message.context);
      writeEntries(body, table, registry, message.entries, message.context);
      break;
    case "merkle-digest":
      writeMerkleHead(body, message);
      writeDigestRuns(body, message.nodes);
      break;
    case "merkle-keys":
      writeMerkleHead(body, message);
      body.uint(message.nodes.length);
      {
        let previous = -1;
        for (const [index, hashes] of message.nodes) {
          body.uint(index - previous - 1);
          body.uint(hashes.length);
          for (const hash of hashes) body.u32(hash);
          previous = index;
        }
      }
      break;
    case "merkle-entries":
      writeMerkleHead(body, message);
      writeAscending(body, message.nodes);
      body.uint(message.want.length);
      for (const hash of message.want) body.u32(hash);
      writeEntries(body, table, registry, message.entries);
      break;
    case "delta-push":
      body.uint(message.seq);
      body.byte(message.deps === undefined ? 0 : 1);
      if (message.deps !== undefined) writeContext(body, table, message.deps);
      writeDeltaEntries(body, table, registry, message.entries);
      break;
    case "delta-ack":
      body.uint(message.seq);
      break;
    case "read-request":
      body.uint(message.id);
      body.uint(message.keys.length);
      for (const key of message.keys) body.string(key);
      break;
    case "read-response":
      body.uint(message.id);
      writeContext(body, table, message.context);
      writeEntries(body, table, registry, message.entries, message.context);
      break;
  }
  const frame = new ByteWriter();
  const written = table.ids.slice(2);
  frame.byte(
    (SYNC_PROTOCOL_VERSION << 5) | (written.length > 0 ? TABLE_FLAG : 0) | KIND_CODES[message.kind],
  );
  if (written.length > 0) {
    frame.uint(written.length - 1);
    for (const id of written) frame.string(id);
  }
  frame.raw(body.finish());
  return frame.finish();
}

/**
 * Decodes and validates one frame. Throws DecodeError (and nothing else) on any problem: wrong
 * version, unknown kind or type tag, limits, malformed states, trailing bytes.
 */
export function decodeMessage(
  frame: Uint8Array,
  registry: TypeRegistry,
  endpoints: FrameEndpoints,
  limits: SyncDecodeLimits = DEFAULT_DECODE_LIMITS,
): SyncMessage {
  try {
    return decodeUnchecked(frame, registry, endpoints, limits);
  } catch (error) {
    if (error instanceof DecodeError) throw error;
    throw new DecodeError("MALFORMED", "sync frame could not be decoded", { cause: error });
  }
}

function decodeUnchecked(
  frame: Uint8Array,
  registry: TypeRegistry,
  endpoints: FrameEndpoints,
  limits: SyncDecodeLimits,
): SyncMessage {
  if (frame.length > limits.maxFrameBytes) {
    throw new DecodeError(
      "LIMIT_EXCEEDED",
      `frame of ${frame.length} bytes exceeds ${limits.maxFrameBytes}`,
    );
  }
  const reader = new ByteReader(frame);
  const header = reader.byte();
  if (header >> 5 !== SYNC_PROTOCOL_VERSION) {
    // Version 1 kept its version in the high nibble.
    const version = header >> 5 === 0 ? header >> 4 : header >> 5;
    throw new DecodeError(
      "UNSUPPORTED_VERSION",
      `sync protocol version ${version}; this build speaks ${SYNC_PROTOCOL_VERSION}`,
    );
  }
  const table = readTable(reader, endpoints, limits, (header & TABLE_FLAG) !== 0);
  const budget: ContextBudget = contextBudget(limits);
  let message: SyncMessage;
  switch (header & 0x0f) {
    case KIND_CODES["sync-request"]:
      message = { kind: "sync-request", context: readContext(reader, table, limits, budget) };
      break;
    case KIND_CODES["sync-response"]: {
      const context = readContext(reader, table, limits, budget);
      message = {
        kind: "sync-response",
        context,
        entries: readEntries(reader, table, registry, limits, context),
      };
      break;
    }
    case KIND_CODES["sync-response-part"]: {
      const id = reader.uint();
      // A response that fits in one frame travels as a sync-response.
      const count = reader.uintAtMost(limits.maxEntries, "part count");
      if (count < 2) throw new DecodeError("MALFORMED", "a split response has at least 2 parts");
      const index = reader.uint();
      if (index >= count) throw new DecodeError("INVALID_VALUE", "part index beyond the count");
      const context = readContext(reader, table, limits, budget);
      const entries = readEntries(reader, table, registry, limits, context);
      message = { kind: "sync-response-part", id, index, count, context, entries };
      break;
    }
    case KIND_CODES["merkle-digest"]: {
      const head = readMerkleHead(reader);
      message = {
        kind: "merkle-digest",
        ...head,
        nodes: readDigestRuns(reader, head.level, limits),
      };
      break;
    }
    case KIND_CODES["merkle-keys"]: {
      const head = readMerkleHead(reader);
      const count = countAtMost(reader, limits);
      const nodes: (readonly [number, readonly number[]])[] = [];
      let index = -1;
      let total = 0;
      for (let i = 0; i < count; i++) {
        index = nodeIndex(index + reader.uint() + 1, head.level);
        const size = reader.uintAtMost(reader.remaining / HASH_BYTES, "key hash count");
        total += size;
        if (total > limits.maxEntries)
          throw new DecodeError("LIMIT_EXCEEDED", "too many key hashes");
        nodes.push([index, readHashes(reader, size)]);
      }
      message = { kind: "merkle-keys", ...head, nodes };
      break;
    }
    case KIND_CODES["merkle-entries"]: {
      const head = readMerkleHead(reader);
      const count = countAtMost(reader, limits);
      const nodes: number[] = [];
      let index = -1;
      for (let i = 0; i < count; i++) {
        index = nodeIndex(index + reader.uint() + 1, head.level);
        nodes.push(index);
      }
      const wanted = reader.uintAtMost(
        Math.min(limits.maxEntries, reader.remaining / HASH_BYTES),
        "wanted hash count",
      );
      const want = readHashes(reader, wanted);
      const entries = readEntries(reader, table, registry, limits);
      message = { kind: "merkle-entries", ...head, nodes, want, entries };
      break;
    }
    case KIND_CODES["delta-push"]: {
      const seq = reader.uint();
      const causal = reader.byte();
      if (causal > 1) throw new DecodeError("MALFORMED", "a push's dependency flag is 0 or 1");
      const deps = causal === 1 ? readContext(reader, table, limits, budget) : undefined;
      const entries = readDeltaEntries(reader, table, registry, limits);
      message = { kind: "delta-push", seq, deps, entries };
      break;
    }
    case KIND_CODES["delta-ack"]:
      message = { kind: "delta-ack", seq: reader.uint() };
      break;
    case KIND_CODES["read-request"]: {
      const id = reader.uint();
      const count = countAtMost(reader, limits);
      const keys: string[] = [];
      for (let i = 0; i < count; i++) {
        const key = reader.string(Math.min(MAX_KEY_LENGTH, limits.maxStringLength));
        const problem = keyProblem(key);
        if (problem !== undefined) throw new DecodeError("INVALID_VALUE", problem);
        keys.push(key);
      }
      message = { kind: "read-request", id, keys };
      break;
    }
    case KIND_CODES["read-response"]: {
      const id = reader.uint();
      const context = readContext(reader, table, limits, budget);
      const entries = readEntries(reader, table, registry, limits, context);
      message = { kind: "read-response", id, context, entries };
      break;
    }
    default:
      throw new DecodeError("MALFORMED", `unknown sync message kind ${header & 0x0f}`);
  }
  reader.end();
  return message;
}

export const MAX_TREE_DEPTH = 6;

function readTable(
  reader: ByteReader,
  endpoints: FrameEndpoints,
  limits: DecodeLimits,
  present: boolean,
): WireReader {
  const count = present
    ? reader.uintAtMost(Math.min(limits.maxReplicas, reader.remaining), "replica table size") + 1
    : 0;
  if (count > limits.maxReplicas)
    throw new DecodeError("LIMIT_EXCEEDED", `replica table of ${count} ids is too large`);
  const ids: ReplicaId[] = [endpoints.sender, endpoints.receiver];
  const seen = new Set<string>(ids);
  for (let i = 0; i < count; i++) {
    const id = reader.string(64);
    if (!isReplicaId(id)) throw new DecodeError("INVALID_VALUE", "invalid replica id in table");
    if (seen.has(id)) throw new DecodeError("MALFORMED", "replica id appears twice in the table");
    seen.add(id);
    ids.push(id);
  }
  return replicaTableReader(ids, limits);
}

interface MerkleHead {
  readonly depth: number;
  readonly salt: number;
  readonly level: number;
}

function writeMerkleHead(writer: ByteWriter, head: MerkleHead): void {
  writer.uint(head.depth);
  writer.uint(head.level);
  writer.u32(head.salt);
}

function readMerkleHead(reader: ByteReader): MerkleHead {
  const depth = reader.uintAtMost(MAX_TREE_DEPTH, "tree depth");
  if (depth < 1) throw new DecodeError("INVALID_VALUE", "tree depth must be at least 1");
  const level = reader.uintAtMost(depth, "tree level");
  return { depth, level, salt: reader.u32() };
}

function nodeIndex(index: number, level: number): number {
  if (index >= 16 ** level) throw new DecodeError("INVALID_VALUE", "node index outside its level");
  return index;
}

function writeAscending(writer: ByteWriter, values: readonly number[]): void {
  writer.uint(values.length);
  let previous = -1;
  for (const value of values) {
    writer.uint(value - previous - 1);
    previous = value;
  }
}

/** Hashes ascending (equal neighbours allowed: two entries may share a 32-bit hash). */
function readHashes(reader: ByteReader, count: number): number[] {
  const hashes: number[] = [];
  let previous = 0;
  for (let i = 0; i < count; i++) {
    const hash = reader.u32();
    if (hash < previous) throw new DecodeError("MALFORMED", "hashes must ascend");
    hashes.push(hash);
    previous = hash;
  }
  return hashes;
}

/**
 * Digests as runs of consecutive indices (a divergent parent's 16 children are one run): per run
 * the gap after the previous run, the run length minus one, then its 4-byte digests.
 */
function writeDigestRuns(writer: ByteWriter, nodes: readonly (readonly [number, number])[]): void {
  const runs: [number, number][] = [];
  for (const [i, [index]] of nodes.entries()) {
    const last = runs[runs.length - 1];
    if (last !== undefined && index === (nodes[i - 1] as readonly [number, number])[0] + 1)
      last[1] += 1;
    else runs.push([i, 1]);
  }
  writer.uint(runs.length);
  let previous = -1;
  for (const [start, length] of runs) {
    const first = (nodes[start] as readonly [number, number])[0];
    writer.uint(first - previous - 1);
    writer.uint(length - 1);
    for (let i = start; i < start + length; i++)
      writer.u32((nodes[i] as readonly [number, number])[1]);
    previous = first + length - 1;
  }
}

function readDigestRuns(
  reader: ByteReader,
  level: number,
  limits: DecodeLimits,
): (readonly [number, number])[] {
  const runs = countAtMost(reader, limits);
  const nodes: (readonly [number, number])[] = [];
  let previous = -1;
  for (let r = 0; r < runs; r++) {
    const gap = reader.uint();
    // Touching runs would be one run: each value has one encoding.
    if (r > 0 && gap === 0) throw new DecodeError("MALFORMED", "digest runs must not touch");
    const first = previous + gap + 1;
    const length = reader.uintAtMost(reader.remaining / HASH_BYTES, "digest run length") + 1;
    if (nodes.length + length > limits.maxEntries)
      throw new DecodeError("LIMIT_EXCEEDED", "too many digests");
    nodeIndex(first + length - 1, level);
    for (let i = 0; i < length; i++) nodes.push([first + i, reader.u32()]);
    previous = first + length - 1;
  }
  return nodes;
}
