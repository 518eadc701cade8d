/**
 * The shared cluster secret of the handshake's challenge-response: an HMAC-SHA256 key (RFC 2104)
 * held through WebCrypto, so the browser-safe entry can use it too. Each side proves it knows the
 * secret by a MAC over a transcript that names both fresh nonces, both ids, the direction and the
 * handshake version (see `handshake.ts`); a replayed or reflected proof therefore never verifies.
 */
import { InvalidArgumentError } from "@convergent/core";

/** Shorter secrets are refused: 32 bytes is the HMAC-SHA256 block-size floor worth having. */
export const MIN_CLUSTER_SECRET_BYTES = 32;
export const PROOF_BYTES = 32;

// The few WebCrypto members used, typed here so this compiles with either the DOM library or
// Node's types (both provide a global `crypto` with these members at runtime).
interface HmacSubtle {
  importKey(
    format: "raw",
    key: Uint8Array,
    algorithm: { name: "HMAC"; hash: "SHA-256" },
    extractable: false,
    usages: readonly "sign"[],
  ): Promise<unknown>;
  sign(algorithm: "HMAC", key: unknown, data: Uint8Array): Promise<ArrayBuffer>;
}
interface WebCryptoLike {
  readonly subtle: HmacSubtle;
  getRandomValues<T extends Uint8Array>(array: T): T;
}

function webCrypto(): WebCryptoLike {
  const candidate = (globalThis as { crypto?: WebCryptoLike }).crypto;
  if (candidate?.subtle === undefined) {
    throw new InvalidArgumentError(
      "this runtime has no WebCrypto (globalThis.crypto.subtle); a cluster secret needs it",
    );
  }
  return candidate;
}

/** `count` bytes from the platform's cryptographic random source. */
export function randomBytes(count: number): Uint8Array {
  return webCrypto().getRandomValues(new Uint8Array(count));
}

/** A cluster secret ready to prove and check handshake transcripts; never exposes the bytes. */
export class ClusterSecret {
  readonly #key: Promise<unknown>;

  /** `secret`: raw bytes, or a string taken as its UTF-8 bytes. At least 32 bytes. */
  constructor(secret: Uint8Array | string) {
    const bytes = typeof secret === "string" ? new TextEncoder().encode(secret) : secret.slice();
    if (bytes.byteLength < MIN_CLUSTER_SECRET_BYTES) {
      throw new InvalidArgumentError(
        `a cluster secret must be at least ${MIN_CLUSTER_SECRET_BYTES} bytes, got ${bytes.byteLength}; generate one with e.g. \`openssl rand -base64 48\``,
      );
    }
    const subtle = webCrypto().subtle;
    this.#key = subtle.importKey("raw", bytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    // An import failure surfaces at the first prove/verify; do not leave it unhandled meanwhile.
    this.#key.catch(() => {});
    bytes.fill(0);
  }

  /** The 32-byte MAC of `transcript`. */
  async prove(transcript: Uint8Array): Promise<Uint8Array> {
    const key = await this.#key;
    return new Uint8Array(await webCrypto().subtle.sign("HMAC", key, transcript));
  }

  /** Whether `proof` is the MAC of `transcript`, compared in constant time. */
  async verify(transcript: Uint8Array, proof: Uint8Array): Promise<boolean> {
    const expected = await this.prove(transcript);
    return constantTimeEqual(expected, proof);
  }
}

/**
 * Byte equality whose time depends only on the lengths, not on where the first difference is
 * (a timing side channel would let an attacker find a valid MAC byte by byte).
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let difference = a.length ^ b.length;
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) difference |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return difference === 0;
}
