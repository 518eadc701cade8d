import { InvalidArgumentError } from "@convergent/core";
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
}

export function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}
