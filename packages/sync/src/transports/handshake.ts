/**
 * The WebSocket handshake. After the socket opens, the client sends a hello announcing its
 * replica id; the server validates it (well-formed, not its own, not already connected, allowed
 * by `authorize`) and answers with its own hello, or closes the socket with a code from
 * `CloseCode`. Every later binary message is one opaque frame, attributed to the id announced on
 * that socket. A hello is "CVSY", a version byte, then the id as UTF-8.
 */
import { type ReplicaId, replicaIdProblem } from "@convergent/clocks";

const MAGIC = [0x43, 0x56, 0x53, 0x59] as const;
export const HANDSHAKE_VERSION = 1;
const HEADER_BYTES = MAGIC.length + 1;
/** 64 UTF-16 code units are at most 192 UTF-8 bytes. */
const MAX_HELLO_BYTES = HEADER_BYTES + 192;

/**
 * Close codes this transport uses. 1000 and 4000-4999 are the only codes a browser may send, so
 * everything the transport decides itself is in the private-use range.
 */
export const CloseCode = {
  /** `close()` was called. */
  NORMAL: 1000,
  /** The server is shutting down. */
  GOING_AWAY: 1001,
  /** The hello was missing, malformed, of another version, or announced an invalid id. */
  BAD_HANDSHAKE: 4400,
  /** A text message, or a message before the handshake completed. */
  PROTOCOL_ERROR: 4401,
  /** `authorize` refused the id, or the server was not the `expectedPeer`. */
  NOT_AUTHORIZED: 4403,
  /** No hello within `handshakeTimeoutMs`. */
  HANDSHAKE_TIMEOUT: 4408,
  /** The id is already connected, or is the other side's own id. */
  DUPLICATE_REPLICA: 4409,
  /** A frame longer than the receiver's `maxFrameBytes`. */
  FRAME_TOO_LARGE: 4413,
} as const;

/** Why a socket closed, as reported to `onConnectionClosed` handlers. */
export interface ConnectionCloseInfo {
  /** The peer, when its handshake had completed. */
  readonly peer: ReplicaId | undefined;
  readonly code: number;
  readonly reason: string;
  /** True when this side closed the socket (`close()`, a rejection, a timeout). */
  readonly local: boolean;
}

export function encodeHello(replica: ReplicaId): Uint8Array {
  const id = new TextEncoder().encode(replica);
  const hello = new Uint8Array(HEADER_BYTES + id.length);
  hello.set(MAGIC, 0);
  hello[MAGIC.length] = HANDSHAKE_VERSION;
  hello.set(id, HEADER_BYTES);
  return hello;
}

export type HelloResult =
  | { readonly ok: true; readonly replica: ReplicaId }
  | { readonly ok: false; readonly problem: string };

/** Parses a hello without trusting any of it. */
export function decodeHello(message: Uint8Array): HelloResult {
  if (message.length < HEADER_BYTES || MAGIC.some((byte, i) => message[i] !== byte)) {
    return { ok: false, problem: "not a handshake message" };
  }
  if (message[MAGIC.length] !== HANDSHAKE_VERSION) {
    return {
      ok: false,
      problem: `handshake version ${message[MAGIC.length]} is not supported (expected ${HANDSHAKE_VERSION})`,
    };
  }
  if (message.length > MAX_HELLO_BYTES) return { ok: false, problem: "handshake is too long" };
  let id: string;
  try {
    id = new TextDecoder("utf-8", { fatal: true }).decode(message.subarray(HEADER_BYTES));
  } catch {
    return { ok: false, problem: "replica id is not valid UTF-8" };
  }
  const problem = replicaIdProblem(id);
  if (problem !== undefined) return { ok: false, problem };
  return { ok: true, replica: id as ReplicaId };
}
