import type { ReplicaId } from "@convergent/clocks";

/**
 * Network-wide counters. Every accepted frame and every duplicate ends up delivered, lost or
 * dropped, so `framesSent + framesDuplicated = framesDelivered + framesLost + framesDropped +
 * framesInFlight` holds at all times.
 */
export interface NetworkCounters {
  /** Frames `send` accepted. */
  readonly framesSent: number;
  readonly bytesSent: number;
  /** Extra copies the links created. */
  readonly framesDuplicated: number;
  readonly bytesDuplicated: number;
  readonly framesDelivered: number;
  readonly bytesDelivered: number;
  /** Frames the links lost at random. */
  readonly framesLost: number;
  readonly bytesLost: number;
  /** Frames in flight on a connection that a partition or a close cut. */
  readonly framesDropped: number;
  readonly bytesDropped: number;
  /** Frames `send` refused (unreachable, too large, closed). */
  readonly framesRefused: number;
  readonly framesInFlight: number;
}

export type TraceKind =
  | "send"
  | "refuse"
  | "lose"
  | "duplicate"
  | "deliver"
  | "drop"
  | "connect"
  | "disconnect";

/** One thing the network did, for debugging and for comparing runs. */
export interface TraceEvent {
  readonly time: number;
  readonly kind: TraceKind;
  readonly from: ReplicaId;
  readonly to: ReplicaId;
  readonly bytes: number;
}
