/**
 * One `Transport` over several: the serve process accepts connections on its WebSocket server
 * and dials its configured peers with client transports, but a replica runs one sync engine on
 * one transport. Peers are merged by replica id: a peer is connected while at least one route
 * reaches it (two replicas that list each other are connected twice), frames go out on the
 * route that connected first, and connect/disconnect fire only when the first route opens and
 * the last one closes, so the engine sees each peer once.
 */
import { compareReplicaIds, type ReplicaId } from "@convergent/clocks";
import { InvalidArgumentError } from "@convergent/core";
import {
  Emitter,
  type SendResult,
  type Transport,
  type TransportStats,
  type Unsubscribe,
} from "@convergent/sync";

/** A route that can close one peer's connection with a close code (the WebSocket transports). */
interface Disconnectable {
  disconnect(peer: ReplicaId, code: number, reason: string): boolean;
}

function canDisconnect(route: Transport): route is Transport & Disconnectable {
  return typeof (route as Partial<Disconnectable>).disconnect === "function";
}

type Events = {
  frame: [peer: ReplicaId, frame: Uint8Array];
  connected: [peer: ReplicaId];
  disconnected: [peer: ReplicaId];
};

export class MultiTransport implements Transport {
  readonly localId: ReplicaId;
  readonly #routes: readonly Transport[];
  /** Per peer, the routes it is connected on, in the order they connected. */
  readonly #peers = new Map<ReplicaId, Transport[]>();
  readonly #events = new Emitter<Events>();
  readonly #unsubscribes: Unsubscribe[] = [];
  #droppedFrames = 0;
  #droppedBytes = 0;
  #online = true;
  #closing: Promise<void> | undefined;

  constructor(localId: ReplicaId, routes: readonly Transport[]) {
    for (const route of routes) {
      if (route.localId !== localId) {
        throw new InvalidArgumentError(`route speaks for ${route.localId}, not ${localId}`);
      }
    }
    this.localId = localId;
    this.#routes = [...routes];
    for (const route of this.#routes) {
      this.#unsubscribes.push(
        route.onFrame((peer, frame) => {
          if (this.#online) this.#events.emit("frame", peer, frame);
        }),
        route.onPeerConnected((peer) => this.#connected(peer, route)),
        route.onPeerDisconnected((peer) => this.#disconnected(peer, route)),
      );
      for (const peer of route.peers()) this.#connected(peer, route);
    }
  }

  /** Whether `route` (one of the transports given) currently reaches `peer`. */
  reaches(route: Transport, peer: ReplicaId): boolean {
    return this.#peers.get(peer)?.includes(route) ?? false;
  }

  get online(): boolean {
    return this.#online;
  }

  /**
   * Cuts (false) or restores (true) every route at once, as an app's "go offline" switch:
   * offline, the replica sees every peer disconnect, sends are refused and nothing arrives,
   * exactly as in a partition; back online, every peer still reachable connects again, which
   * makes the sync engine resynchronise. The routes themselves stay open.
   */
  setOnline(online: boolean): void {
    if (online === this.#online || this.#closing !== undefined) return;
    const peers = [...this.#peers.keys()];
    this.#online = online;
    for (const peer of peers) this.#events.emit(online ? "connected" : "disconnected", peer);
  }

  send(peer: ReplicaId, frame: Uint8Array): SendResult {
    const route =
      this.#online && this.#closing === undefined ? this.#peers.get(peer)?.[0] : undefined;
    if (route !== undefined) return route.send(peer, frame);
    this.#droppedFrames += 1;
    this.#droppedBytes += frame.byteLength;
    return this.#closing === undefined ? "unreachable" : "closed";
  }

  /**
   * Closes every connection to `peer` with `code` (e.g. 4422 after a protocol violation) on the
   * routes that can; true when at least one was closed. The peer may reconnect.
   */
  disconnect(peer: ReplicaId, code: number, reason: string): boolean {
    let closed = false;
    for (const route of this.#peers.get(peer) ?? []) {
      if (canDisconnect(route) && route.disconnect(peer, code, reason)) closed = true;
    }
    return closed;
  }

  peers(): readonly ReplicaId[] {
    return this.#online ? [...this.#peers.keys()].sort(compareReplicaIds) : [];
  }

  onFrame(handler: (peer: ReplicaId, frame: Uint8Array) => void): Unsubscribe {
    return this.#events.on("frame", handler);
  }

  onPeerConnected(handler: (peer: ReplicaId) => void): Unsubscribe {
    return this.#events.on("connected", handler);
  }

  onPeerDisconnected(handler: (peer: ReplicaId) => void): Unsubscribe {
    return this.#events.on("disconnected", handler);
  }

  stats(): TransportStats {
    const total = {
      framesSent: 0,
      bytesSent: 0,
      framesReceived: 0,
      bytesReceived: 0,
      framesDropped: this.#droppedFrames,
      bytesDropped: this.#droppedBytes,
    };
    for (const route of this.#routes) {
      const s = route.stats();
      total.framesSent += s.framesSent;
      total.bytesSent += s.bytesSent;
      total.framesReceived += s.framesReceived;
      total.bytesReceived += s.bytesReceived;
      total.framesDropped += s.framesDropped;
      total.bytesDropped += s.bytesDropped;
    }
    return total;
  }

  /** Closes every route; like any transport, fires no disconnect events while closing. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#events.clear();
      for (const unsubscribe of this.#unsubscribes) unsubscribe();
      this.#peers.clear();
      await Promise.all(this.#routes.map((route) => route.close()));
    })();
    return this.#closing;
  }

  #connected(peer: ReplicaId, route: Transport): void {
    const routes = this.#peers.get(peer);
    if (routes === undefined) {
      this.#peers.set(peer, [route]);
      if (this.#online) this.#events.emit("connected", peer);
    } else if (!routes.includes(route)) {
      routes.push(route);
    }
  }

  #disconnected(peer: ReplicaId, route: Transport): void {
    const routes = this.#peers.get(peer);
    if (routes === undefined) return;
    const index = routes.indexOf(route);
    if (index < 0) return;
    routes.splice(index, 1);
    if (routes.length > 0) return;
    this.#peers.delete(peer);
    if (this.#online) this.#events.emit("disconnected", peer);
  }
}
