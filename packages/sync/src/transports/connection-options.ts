import { InvalidArgumentError } from "@convergent/core";
import { ClusterSecret } from "./cluster-secret.js";
import type { Scheduler } from "./scheduler.js";
import type { SendQueueLimits } from "./send-queue.js";

/** Options shared by the WebSocket client and server transports. */
export interface ConnectionOptions {
  /** Bounds of each peer's send queue; see `SendQueueLimits`. */
  readonly queue?: Partial<SendQueueLimits>;
  /** Larger frames are refused by `send` and close the connection when received. 16 MiB. */
  readonly maxFrameBytes?: number;
  /** A connection whose hello has not arrived by then is closed. 10 s. */
  readonly handshakeTimeoutMs?: number;
  /** How long `close()` waits for a closing handshake before destroying the socket. 2 s. */
  readonly closeTimeoutMs?: number;
  /** Timers of the transport; the wall clock unless given. */
  readonly scheduler?: Scheduler;
  /**
   * The shared cluster secret (at least 32 bytes; a string is taken as UTF-8). With it, both
   * sides of every connection prove they know it (HMAC-SHA256 challenge-response, see
   * `handshake.ts`) before any frame flows, and a side that cannot is closed with 4403. Without
   * it the announced id is taken on trust: use that only on loopback or a trusted network.
   */
  readonly clusterSecret?: Uint8Array | string | ClusterSecret;
}

/** The secret as a `ClusterSecret`, or undefined in insecure mode. */
export function clusterSecretOf(
  secret: Uint8Array | string | ClusterSecret | undefined,
): ClusterSecret | undefined {
  if (secret === undefined || secret instanceof ClusterSecret) return secret;
  return new ClusterSecret(secret);
}

export function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}
