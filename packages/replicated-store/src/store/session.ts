/**
 * Session guarantees (Terry et al., "Session Guarantees for Weakly Consistent Replicated Data",
 * PDIS 1994): a session token is the causal context of the keyspace dots a client has written
 * or read. A read under a token waits until the serving replica's context includes it, so the
 * client never reads older than what it wrote (read-your-writes) or already read (monotonic
 * reads), whichever replica serves it.
 */
import {
  addDotInPlace,
  type CausalContext,
  cloneCausalContext,
  type Dot,
  emptyCausalContext,
  joinCausalContextInto,
  replicaId,
} from "@convergent/clocks";
import { InvalidArgumentError } from "@convergent/core";
import { decodeMessage, encodeMessage, TypeRegistry } from "@convergent/sync";

/** An immutable token; pass it between replicas, or as a string with `encodeSessionToken`. */
export interface SessionToken {
  readonly context: CausalContext;
}

export const EMPTY_TOKEN: SessionToken = Object.freeze({ context: emptyCausalContext() });

export function tokenWith(token: SessionToken, dots: Iterable<Dot>): SessionToken {
  const context = cloneCausalContext(token.context);
  for (const d of dots) addDotInPlace(context, d);
  return Object.freeze({ context });
}

export function joinTokens(a: SessionToken, b: SessionToken): SessionToken {
  const context = cloneCausalContext(a.context);
  joinCausalContextInto(context, b.context);
  return Object.freeze({ context });
}

/**
 * Longest session token accepted, in characters of its string form (64 KiB). Checked before
 * anything is decoded: a 12 MB token once took 3.5 s and 274 MB to decode. A token this size
 * holds thousands of replicas' entries; `encodeSessionToken` refuses to make a longer one.
 */
export const MAX_SESSION_TOKEN_LENGTH = 64 * 1024;

/** A session token longer than `MAX_SESSION_TOKEN_LENGTH`; nothing of it was decoded. */
export class SessionTokenTooLargeError extends InvalidArgumentError {
  override readonly code: string = "SESSION_TOKEN_TOO_LARGE";
  readonly length: number;

  constructor(length: number) {
    super(
      `a session token of ${length} characters exceeds the ${MAX_SESSION_TOKEN_LENGTH}-character limit; start a new session`,
    );
    this.length = length;
  }
}

const ENDS = { sender: replicaId("~token"), receiver: replicaId("~token") };
const NO_TYPES = new TypeRegistry();

/** A compact URL-safe string (base64url of the protocol's context encoding). */
export function encodeSessionToken(token: SessionToken): string {
  const bytes = encodeMessage({ kind: "sync-request", context: token.context }, NO_TYPES, ENDS);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  const text = btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
  if (text.length > MAX_SESSION_TOKEN_LENGTH) throw new SessionTokenTooLargeError(text.length);
  return text;
}

/**
 * Parses `encodeSessionToken` output; throws SessionTokenTooLargeError past
 * `MAX_SESSION_TOKEN_LENGTH` and InvalidArgumentError for anything else.
 */
export function decodeSessionToken(text: string): SessionToken {
  if (typeof text === "string" && text.length > MAX_SESSION_TOKEN_LENGTH) {
    throw new SessionTokenTooLargeError(text.length);
  }
  if (typeof text !== "string" || !/^[A-Za-z0-9_-]*$/.test(text)) {
    throw new InvalidArgumentError("a session token is a base64url string");
  }
  try {
    const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    const message = decodeMessage(bytes, NO_TYPES, ENDS);
    if (message.kind !== "sync-request") throw new InvalidArgumentError("not a session token");
    return Object.freeze({ context: message.context });
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw error;
    throw new InvalidArgumentError(`session token could not be decoded: ${String(error)}`);
  }
}

/**
 * A client's session: pass it as `{ session }` to reads and writes, on any replica. Each
 * operation adds what it wrote or read to `token`; reads first wait for the replica to catch up.
 */
export class Session {
  #token: SessionToken;

  constructor(token: SessionToken = EMPTY_TOKEN) {
    this.#token = token;
  }

  get token(): SessionToken {
    return this.#token;
  }

  /** Adds what an operation observed or wrote. */
  observe(token: SessionToken): void {
    this.#token = joinTokens(this.#token, token);
  }
}
