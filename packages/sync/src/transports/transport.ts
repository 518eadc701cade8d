/**
 * The one interface every transport implements, shaped like automerge-repo's `NetworkAdapter`: a
 * transport belongs to one local replica and moves opaque frames to and from the peers it is
 * connected to. It promises nothing about delivery (frames may be lost, duplicated or reordered;
 * a connection break loses what was in flight), so the sync protocol above it must be idempotent
 * and must resynchronise when `onPeerConnected` fires.
 */
import type { ReplicaId } from "@convergent/clocks";

/** Removes the handler it was returned for. Calling it twice is harmless. */
export type Unsubscribe = () => void;

/**
 * What `send` did with a frame. Only `"queued"` means the transport took it, and even then it may
 * still be lost on the way; every other result means it was dropped at once and counted in
 * `stats().framesDropped`.
 * - `"unreachable"`: the peer is not connected (never was, or the connection broke).
 * - `"queue-full"`: the peer's bounded send queue is full because the peer reads too slowly.
 * - `"too-large"`: the frame is longer than the transport's `maxFrameBytes`.
 * - `"closed"`: this transport has been closed.
 */
export type SendResult = "queued" | "unreachable" | "queue-full" | "too-large" | "closed";

/** Counters since the transport was created, as seen by this endpoint. */
export interface TransportStats {
  /** Frames and bytes `send` accepted (`"queued"`). */
  readonly framesSent: number;
  readonly bytesSent: number;
  /** Frames and bytes handed to `onFrame` handlers. */
  readonly framesReceived: number;
  readonly bytesReceived: number;
  /**
   * Frames and bytes this endpoint knows it did not deliver: refused by `send`, or discarded
   * from a send queue when the connection broke. Loss inside the network is not visible here.
   */
  readonly framesDropped: number;
  readonly bytesDropped: number;
}

export interface Transport {
  /** The local replica this transport speaks for; peers see frames as coming from it. */
  readonly localId: ReplicaId;

  /**
   * Hands `frame` to the transport for delivery to `peer`. Never blocks and never throws for a
   * network condition; the result says whether the frame was queued or dropped (see
   * `SendResult`). The transport takes ownership of `frame`: do not modify it afterwards.
   */
  send(peer: ReplicaId, frame: Uint8Array): SendResult;

  /** The peers currently connected, in ascending id order. */
  peers(): readonly ReplicaId[];

  /**
   * Called once per received frame with the peer of the connection it arrived on; the id comes
   * from the connection's handshake, never from the frame. The handler owns `frame`.
   */
  onFrame(handler: (peer: ReplicaId, frame: Uint8Array) => void): Unsubscribe;

  /** Called when a connection to `peer` is established (again, after a break). */
  onPeerConnected(handler: (peer: ReplicaId) => void): Unsubscribe;

  /** Called when the connection to `peer` breaks; frames still queued for it are dropped. */
  onPeerDisconnected(handler: (peer: ReplicaId) => void): Unsubscribe;

  stats(): TransportStats;

  /**
   * Closes every connection, cancels every timer and removes every handler; `send` returns
   * `"closed"` afterwards. No disconnect events fire on this transport during close. Resolves
   * when the underlying resources are released; calling it again returns the same promise.
   */
  close(): Promise<void>;
}

/** Largest frame a transport accepts unless configured otherwise: 16 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;
