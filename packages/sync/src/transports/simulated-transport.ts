/**
 * One replica's endpoint on a `SimulatedNetwork`. The network decides reachability and timing;
 * this object only keeps the endpoint's view (which peers it has seen connect), its handlers and
 * its counters, so that `peers()` always agrees with the events the handlers have received.
 */
import type { ReplicaId } from "@convergent/clocks";
import { compareReplicaIds } from "@convergent/clocks";
import { Emitter } from "./emitter.js";
import { StatsCounter } from "./stats.js";
import type { SendResult, Transport, TransportStats, Unsubscribe } from "./transport.js";
import { assertFrame, type TransportEvents } from "./transport-events.js";

/** What the network does on behalf of an endpoint. */
export interface SimulatedFabric {
  send(from: SimulatedEndpoint, to: ReplicaId, frame: Uint8Array): SendResult;
  close(endpoint: SimulatedEndpoint): void;
}

export class SimulatedEndpoint implements Transport {
  readonly localId: ReplicaId;
  /** Peer -> the epoch of the connection this endpoint has been told about. */
  readonly connections = new Map<ReplicaId, number>();
  readonly counters = new StatsCounter();
  readonly events = new Emitter<TransportEvents>();
  closed = false;
  readonly #fabric: SimulatedFabric;
  #closing: Promise<void> | undefined;

  constructor(localId: ReplicaId, fabric: SimulatedFabric) {
    this.localId = localId;
    this.#fabric = fabric;
  }

  send(peer: ReplicaId, frame: Uint8Array): SendResult {
    assertFrame(frame);
    return this.#fabric.send(this, peer, frame);
  }

  peers(): readonly ReplicaId[] {
    return [...this.connections.keys()].sort(compareReplicaIds);
  }

  onFrame(handler: (peer: ReplicaId, frame: Uint8Array) => void): Unsubscribe {
    return this.events.on("frame", handler);
  }

  onPeerConnected(handler: (peer: ReplicaId) => void): Unsubscribe {
    return this.events.on("connected", handler);
  }

  onPeerDisconnected(handler: (peer: ReplicaId) => void): Unsubscribe {
    return this.events.on("disconnected", handler);
  }

  stats(): TransportStats {
    return this.counters.snapshot();
  }

  close(): Promise<void> {
    if (this.#closing === undefined) {
      this.closed = true;
      this.connections.clear();
      this.events.clear();
      this.#fabric.close(this);
      this.#closing = Promise.resolve();
    }
    return this.#closing;
  }
}
