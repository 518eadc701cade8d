/**
 * The WebSocket handshake (version 2). Every handshake message is "CVSY", the version byte and a
 * kind byte:
 *
 * - **hello** (kind 1): party (0 replica; 1 client, reserved for a later release), auth
 *   (0 none, 1 cluster secret, 2 bearer token), a fresh 32-byte nonce, the id (length byte,
 *   UTF-8) and a credential (u16 big-endian length, bytes: a client's bearer token; empty for
 *   replicas, which prove the secret in a separate message once both nonces are known).
 * - **proof** (kind 2): HMAC-SHA256 under the cluster secret over `transcript(...)`: a label,
 *   the version, the direction, both nonces, both ids and the party, each length-delimited.
 * - **accepted** (kind 3): the server verified the client's proof.
 *
 * Without a secret: client hello, server hello, open (one round trip, as in version 1). With one:
 * client hello; server hello and the server's proof; the client checks it and sends its own;
 * the server checks that and sends accepted. Both nonces are fresh per connection, so a recorded
 * proof never verifies again, and the direction in the transcript stops a proof being reflected.
 * Every later binary message is one opaque frame, attributed to the id proven on that socket.
 */
import { type ReplicaId, replicaIdProblem } from "@convergent/clocks";
import { PROOF_BYTES } from "./cluster-secret.js";

const MAGIC = [0x43, 0x56, 0x53, 0x59] as const;
export const HANDSHAKE_VERSION = 2;
const HEADER_BYTES = MAGIC.length + 2;
export const NONCE_BYTES = 32;
/** 64 UTF-16 code units are at most 192 UTF-8 bytes. */
const MAX_ID_BYTES = 192;
/** Largest credential (a client's bearer token) a hello may carry. */
export const MAX_CREDENTIAL_BYTES = 8192;
const MAX_HELLO_BYTES =
  HEADER_BYTES + 2 + NONCE_BYTES + 1 + MAX_ID_BYTES + 2 + MAX_CREDENTIAL_BYTES;

export const MessageKind = { HELLO: 1, PROOF: 2, ACCEPTED: 3 } as const;

/** Who is connecting: a cluster replica, or (later) an application client. */
export type Party = "replica" | "client";
/** How the party authenticates: nothing (insecure mode), the cluster secret, a bearer token. */
export type HelloAuth = "none" | "cluster-secret" | "bearer-token";
const PARTIES: readonly Party[] = ["replica", "client"];
const AUTHS: readonly HelloAuth[] = ["none", "cluster-secret", "bearer-token"];

/**
 * Close codes this transport uses. 1000 and 4000-4999 are the only codes a browser may send, so
 * everything the transport decides itself is in the private-use range.
 */
export const CloseCode = {
  /** `close()` was called. */
  NORMAL: 1000,
  /** The server is shutting down. */
  GOING_AWAY: 1001,
  /**
   * A handshake message was missing, malformed (a truncated proof too), of another version, out
   * of order, or announced an invalid id.
   */
  BAD_HANDSHAKE: 4400,
  /** A text message, or a message before the handshake completed. */
  PROTOCOL_ERROR: 4401,
  /**
   * Not authenticated or not allowed: a wrong or missing cluster-secret proof (either
   * direction), an id that is not a configured member, `authorize` refused it, or the server was
   * not the `expectedPeer`.
   */
  NOT_AUTHORIZED: 4403,
  /** The server does not accept this kind of party (clients, until they are supported). */
  PARTY_NOT_ACCEPTED: 4406,
  /** No completed handshake within `handshakeTimeoutMs`. */
  HANDSHAKE_TIMEOUT: 4408,
  /** The id is already connected, or is the other side's own id. */
  DUPLICATE_REPLICA: 4409,
  /** A frame longer than the receiver's `maxFrameBytes`. */
  FRAME_TOO_LARGE: 4413,
  /** The sync engine rejected a frame as malformed or as a protocol violation. */
  SYNC_PROTOCOL_ERROR: 4422,
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

export interface Hello {
  readonly party: Party;
  readonly auth: HelloAuth;
  readonly nonce: Uint8Array;
  /** The replica id (for a client party: its client id, same syntax). */
  readonly replica: ReplicaId;
  /** A client's bearer token; empty for replicas. */
  readonly credential: Uint8Array;
}

export interface HelloOptions {
  readonly party?: Party;
  readonly auth?: HelloAuth;
  /** 32 bytes; zeros unless given (the transports always pass fresh random ones). */
  readonly nonce?: Uint8Array;
  readonly credential?: Uint8Array;
}

function header(kind: number, extra: number): Uint8Array {
  const bytes = new Uint8Array(HEADER_BYTES + extra);
  bytes.set(MAGIC, 0);
  bytes[MAGIC.length] = HANDSHAKE_VERSION;
  bytes[MAGIC.length + 1] = kind;
  return bytes;
}

export function encodeHello(replica: ReplicaId, options: HelloOptions = {}): Uint8Array {
  const id = new TextEncoder().encode(replica);
  const nonce = options.nonce ?? new Uint8Array(NONCE_BYTES);
  const credential = options.credential ?? new Uint8Array(0);
  if (nonce.length !== NONCE_BYTES) throw new RangeError(`a nonce is ${NONCE_BYTES} bytes`);
  if (credential.length > MAX_CREDENTIAL_BYTES) throw new RangeError("credential is too long");
  const hello = header(MessageKind.HELLO, 2 + NONCE_BYTES + 1 + id.length + 2 + credential.length);
  let at = HEADER_BYTES;
  hello[at++] = PARTIES.indexOf(options.party ?? "replica");
  hello[at++] = AUTHS.indexOf(options.auth ?? "none");
  hello.set(nonce, at);
  at += NONCE_BYTES;
  hello[at++] = id.length;
  hello.set(id, at);
  at += id.length;
  hello[at++] = credential.length >> 8;
  hello[at++] = credential.length & 0xff;
  hello.set(credential, at);
  return hello;
}

export function encodeProof(proof: Uint8Array): Uint8Array {
  const message = header(MessageKind.PROOF, proof.length);
  message.set(proof, HEADER_BYTES);
  return message;
}

export function encodeAccepted(): Uint8Array {
  return header(MessageKind.ACCEPTED, 0);
}

export type HelloResult =
  | ({ readonly ok: true } & Hello)
  | { readonly ok: false; readonly problem: string };

export type HandshakeMessage =
  | { readonly ok: true; readonly kind: "hello"; readonly hello: Hello }
  | { readonly ok: true; readonly kind: "proof"; readonly proof: Uint8Array }
  | { readonly ok: true; readonly kind: "accepted" }
  | { readonly ok: false; readonly problem: string };

/** Parses any handshake message without trusting any of it; never throws. */
export function decodeHandshake(message: Uint8Array): HandshakeMessage {
  if (message.length < HEADER_BYTES || MAGIC.some((byte, i) => message[i] !== byte)) {
    return { ok: false, problem: "not a handshake message" };
  }
  if (message[MAGIC.length] !== HANDSHAKE_VERSION) {
    return {
      ok: false,
      problem: `handshake version ${message[MAGIC.length]} is not supported (expected ${HANDSHAKE_VERSION})`,
    };
  }
  const kind = message[MAGIC.length + 1];
  if (kind === MessageKind.HELLO) {
    const hello = decodeHello(message);
    if (!hello.ok) return hello;
    const { ok: _, ...fields } = hello;
    return { ok: true, kind: "hello", hello: fields };
  }
  if (kind === MessageKind.PROOF) {
    if (message.length !== HEADER_BYTES + PROOF_BYTES) {
      return { ok: false, problem: `a proof is ${PROOF_BYTES} bytes` };
    }
    return { ok: true, kind: "proof", proof: message.slice(HEADER_BYTES) };
  }
  if (kind === MessageKind.ACCEPTED && message.length === HEADER_BYTES) {
    return { ok: true, kind: "accepted" };
  }
  return { ok: false, problem: `unknown handshake message kind ${kind}` };
}

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
  if (message[MAGIC.length + 1] !== MessageKind.HELLO) return { ok: false, problem: "not a hello" };
  if (message.length > MAX_HELLO_BYTES) return { ok: false, problem: "handshake is too long" };
  let at = HEADER_BYTES;
  const party = PARTIES[message[at++] ?? 255];
  const auth = AUTHS[message[at++] ?? 255];
  if (party === undefined) return { ok: false, problem: "unknown party" };
  if (auth === undefined) return { ok: false, problem: "unknown authentication method" };
  if (message.length < at + NONCE_BYTES + 1) return { ok: false, problem: "hello is truncated" };
  const nonce = message.slice(at, at + NONCE_BYTES);
  at += NONCE_BYTES;
  const idLength = message[at++]!;
  if (idLength === 0 || idLength > MAX_ID_BYTES || message.length < at + idLength + 2) {
    return { ok: false, problem: "hello is truncated or its id length is invalid" };
  }
  let id: string;
  try {
    id = new TextDecoder("utf-8", { fatal: true }).decode(message.subarray(at, at + idLength));
  } catch {
    return { ok: false, problem: "replica id is not valid UTF-8" };
  }
  at += idLength;
  const credentialLength = (message[at]! << 8) | message[at + 1]!;
  at += 2;
  if (credentialLength > MAX_CREDENTIAL_BYTES || message.length !== at + credentialLength) {
    return { ok: false, problem: "credential length does not match the hello" };
  }
  const credential = message.slice(at);
  const problem = replicaIdProblem(id);
  if (problem !== undefined) return { ok: false, problem };
  // Replicas prove the cluster secret (or nothing, insecure); clients present a bearer token.
  if (party === "replica" && (auth === "bearer-token" || credential.length > 0)) {
    return { ok: false, problem: "a replica authenticates with the cluster secret, not a token" };
  }
  if (party === "client" && (auth !== "bearer-token" || credential.length === 0)) {
    return { ok: false, problem: "a client must present a bearer token" };
  }
  return { ok: true, party, auth, nonce, replica: id as ReplicaId, credential };
}

export type ProofDirection = "client-to-server" | "server-to-client";

/**
 * What a proof's MAC covers: a domain label, the handshake version, the direction, the client's
 * and the server's nonce and id, and the party, each field length-prefixed so no two different
 * handshakes share a transcript.
 */
export function transcript(fields: {
  readonly direction: ProofDirection;
  readonly party: Party;
  readonly clientNonce: Uint8Array;
  readonly serverNonce: Uint8Array;
  readonly clientId: ReplicaId;
  readonly serverId: ReplicaId;
}): Uint8Array {
  const encoder = new TextEncoder();
  const parts = [
    encoder.encode("convergent-handshake"),
    Uint8Array.of(HANDSHAKE_VERSION),
    encoder.encode(fields.direction),
    encoder.encode(fields.party),
    fields.clientNonce,
    fields.serverNonce,
    encoder.encode(fields.clientId),
    encoder.encode(fields.serverId),
  ];
  const out = new Uint8Array(parts.reduce((n, part) => n + 2 + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out[at++] = part.length >> 8;
    out[at++] = part.length & 0xff;
    out.set(part, at);
    at += part.length;
  }
  return out;
}
