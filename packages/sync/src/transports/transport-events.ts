import type { ReplicaId } from "@convergent/clocks";
import { InvalidArgumentError } from "@convergent/core";

/** The events of `Transport`, for an `Emitter`. */
export type TransportEvents = {
  frame: [peer: ReplicaId, frame: Uint8Array];
  connected: [peer: ReplicaId];
  disconnected: [peer: ReplicaId];
};

/** `send` throws only for a programming error: a frame that is not a Uint8Array. */
export function assertFrame(frame: unknown): asserts frame is Uint8Array {
  if (!(frame instanceof Uint8Array)) {
    throw new InvalidArgumentError(
      `a frame must be a Uint8Array, got ${frame === null ? "null" : typeof frame}`,
    );
  }
}
