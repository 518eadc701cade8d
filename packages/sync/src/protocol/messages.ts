/**
 * The sync protocol's messages and their frames (protocol version 1). Every frame is
 * `header byte (version << 4 | kind)`, `replica table` (count, then each id as UTF-8), then the
 * body of its kind; replica ids inside the body are indices into that table, so an id costs its
 * bytes once per frame however many dots and states name it. Indices 0 and 1 are implicit: the
 * frame's sender and receiver, which both ends know from the connection, so the ids of the two
 * endpoints never travel; the written table starts at index 2.
 */
import { type CausalContext, isReplicaId, type ReplicaId } from "@convergent/clocks";
import {
  DEFAULT_DECODE_LIMITS,
  DecodeError,
  type DecodeLimits,
  type WireReader,
  type WireWriter,
} from "@convergent/core";
import { keyProblem, MAX_KEY_LENGTH } from "../keyspace/key.js";
import type { DottedEntry } from "../keyspace/keyspace.js";
import type { TypeRegistry } from "../keyspace/registry.js";
import { ByteReader, ByteWriter } from "./bytes.js";
import { readContext, writeContext } from "./context-codec.js";
import { readEntries, writeEntries } from "./entries-codec.js";
import { countAtMost } from "./plain.js";

export const SYNC_PROTOCOL_VERSION = 1;

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

/** Repair path: hashes of some nodes of one level of the sender's Merkle tree. */
export interface MerkleDigest {
  readonly kind: "merkle-digest";
  /** Tree depth and fan-out the sender uses; a receiver with another layout ignores it. */
  readonly depth: number;
  readonly level: number;
  /** (node index within the level, 8-byte hash), ascending by index. */
  readonly nodes: readonly (readonly [number, Uint8Array])[];
}

/**
 * Repair path, last step: the sender's entries (with all their dots) in some leaf buckets;
 * `reply` asks the receiver to answer with its own entries for the same buckets.
 */
export interface MerkleEntries {
  readonly kind: "merkle-entries";
  readonly depth: number;
  readonly buckets: readonly number[];
  readonly reply: boolean;
  readonly entries: readonly DottedEntry[];
}

/** Live delta shipping: local updates pushed to one peer, numbered per peer. */
export interface DeltaPush {
  readonly kind: "delta-push";
  readonly seq: number;
  readonly entries: readonly DottedEntry[];
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

/**
 * A DeltaPush for causal delivery: `deps` is the sender's context when it pushed, which covers
 * the causal past of every update in the entries. `covered` names the sender's own dots that
 * the entries' states include but no longer carry (superseded by a later update of the same
 * key within one batch). The receiver applies the push only once its context, with the entries'
 * dots and `covered`, includes `deps`; then joins `covered` and acknowledges.
 */
export interface CausalPush {
  readonly kind: "causal-push";
  readonly seq: number;
  readonly deps: CausalContext;
  readonly covered: CausalContext;
  readonly entries: readonly DottedEntry[];
}

export type SyncMessage =
  | SyncRequest
  | SyncResponse
  | MerkleDigest
  | MerkleEntries
  | DeltaPush
  | DeltaAck
  | ReadRequest
  | ReadResponse
  | CausalPush;

const KIND_CODES = {
  "sync-request": 1,
  "sync-response": 2,
  "merkle-digest": 3,
  "merkle-entries": 4,
  "delta-push": 5,
  "delta-ack": 6,
  "read-request": 7,
  "read-response": 8,
  "causal-push": 9,
} as const;

const HASH_BYTES = 8;

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
      writeEntries(body, table, registry, message.entries);
      break;
    case "merkle-digest":
      body.uint(message.depth);
      body.uint(message.level);
      body.uint(message.nodes.length);
      {
        let previous = -1;
        for (const [index, hash] of message.nodes) {
          body.uint(index - previous - 1);
          body.raw(hash);
          previous = index;
        }
      }
      break;
    case "merkle-entries":
      body.uint(message.depth);
      body.byte(message.reply ? 1 : 0);
      body.uint(message.buckets.length);
      {
        let previous = -1;
        for (const bucket of message.buckets) {
          body.uint(bucket - previous - 1);
          previous = bucket;
        }
      }
      writeEntries(body, table, registry, message.entries);
      break;
    case "delta-push":
      body.uint(message.seq);
      writeEntries(body, table, registry, message.entries);
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
      writeEntries(body, table, registry, message.entries);
      break;
    case "causal-push":
      body.uint(message.seq);
      writeContext(body, table, message.deps);
      writeContext(body, table, message.covered);
      writeEntries(body, table, registry, message.entries);
      break;
  }
  const frame = new ByteWriter();
  frame.byte((SYNC_PROTOCOL_VERSION << 4) | KIND_CODES[message.kind]);
  frame.uint(table.ids.length - 2);
  for (const id of table.ids.slice(2)) frame.string(id);
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
  limits: DecodeLimits = DEFAULT_DECODE_LIMITS,
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
  limits: DecodeLimits,
): SyncMessage {
  if (frame.length > limits.maxFrameBytes) {
    throw new DecodeError(
      "LIMIT_EXCEEDED",
      `frame of ${frame.length} bytes exceeds ${limits.maxFrameBytes}`,
    );
  }
  const reader = new ByteReader(frame);
  const header = reader.byte();
  if (header >> 4 !== SYNC_PROTOCOL_VERSION) {
    throw new DecodeError(
      "UNSUPPORTED_VERSION",
      `sync protocol version ${header >> 4}; this build speaks ${SYNC_PROTOCOL_VERSION}`,
    );
  }
  const table = readTable(reader, endpoints, limits);
  let message: SyncMessage;
  switch (header & 0x0f) {
    case KIND_CODES["sync-request"]:
      message = { kind: "sync-request", context: readContext(reader, table, limits) };
      break;
    case KIND_CODES["sync-response"]: {
      const context = readContext(reader, table, limits);
      message = {
        kind: "sync-response",
        context,
        entries: readEntries(reader, table, registry, limits),
      };
      break;
    }
    case KIND_CODES["merkle-digest"]: {
      const depth = reader.uintAtMost(MAX_TREE_DEPTH, "tree depth");
      const level = reader.uintAtMost(depth, "tree level");
      const count = reader.uintAtMost(
        Math.min(limits.maxEntries, reader.remaining / HASH_BYTES),
        "node count",
      );
      const nodes: (readonly [number, Uint8Array])[] = [];
      let index = -1;
      for (let i = 0; i < count; i++) {
        index += reader.uint() + 1;
        if (index >= 16 ** level)
          throw new DecodeError("INVALID_VALUE", "node index outside its level");
        nodes.push([index, reader.raw(HASH_BYTES)]);
      }
      message = { kind: "merkle-digest", depth, level, nodes };
      break;
    }
    case KIND_CODES["merkle-entries"]: {
      const depth = reader.uintAtMost(MAX_TREE_DEPTH, "tree depth");
      const reply = reader.byte();
      if (reply > 1) throw new DecodeError("MALFORMED", "reply flag must be 0 or 1");
      const count = countAtMost(reader, limits);
      const buckets: number[] = [];
      let bucket = -1;
      for (let i = 0; i < count; i++) {
        bucket += reader.uint() + 1;
        if (bucket >= 16 ** depth)
          throw new DecodeError("INVALID_VALUE", "bucket outside the tree");
        buckets.push(bucket);
      }
      const entries = readEntries(reader, table, registry, limits);
      message = { kind: "merkle-entries", depth, reply: reply === 1, buckets, entries };
      break;
    }
    case KIND_CODES["delta-push"]: {
      const seq = reader.uint();
      message = { kind: "delta-push", seq, entries: readEntries(reader, table, registry, limits) };
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
      const context = readContext(reader, table, limits);
      const entries = readEntries(reader, table, registry, limits);
      message = { kind: "read-response", id, context, entries };
      break;
    }
    case KIND_CODES["causal-push"]: {
      const seq = reader.uint();
      const deps = readContext(reader, table, limits);
      const covered = readContext(reader, table, limits);
      const entries = readEntries(reader, table, registry, limits);
      message = { kind: "causal-push", seq, deps, covered, entries };
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
): WireReader {
  const count = reader.uintAtMost(
    Math.min(limits.maxReplicas, reader.remaining),
    "replica table size",
  );
  const ids: ReplicaId[] = [endpoints.sender, endpoints.receiver];
  const seen = new Set<string>(ids);
  for (let i = 0; i < count; i++) {
    const id = reader.string(64);
    if (!isReplicaId(id)) throw new DecodeError("INVALID_VALUE", "invalid replica id in table");
    if (seen.has(id)) throw new DecodeError("MALFORMED", "replica id appears twice in the table");
    seen.add(id);
    ids.push(id);
  }
  return {
    limits,
    replica(index) {
      if (
        typeof index !== "number" ||
        !Number.isInteger(index) ||
        index < 0 ||
        index >= ids.length
      ) {
        throw new DecodeError(
          "INVALID_VALUE",
          `replica index ${String(index)} is not in the frame's table`,
        );
      }
      return ids[index] as ReplicaId;
    },
  };
}
