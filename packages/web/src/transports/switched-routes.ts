/**
 * Several transports (routes) as the one transport a replica syncs over, with a switch that cuts
 * them all: the tab's "go offline" button. Peers are merged by id (a peer is connected while a
 * route reaches it; frames go out on the route that connected first). Offline, the replica sees
 * every peer disconnect and nothing arrives, exactly as in a network partition; back online,
 * every reachable peer connects again, which makes the sync engine resynchronise.
 * (The same merge as MultiTransport in `@convergent/replicated-store/node`, which browsers cannot
 * import because that entry also holds SQLite and the serve process.)
 */
import { compareReplicaIds, type ReplicaId } from "@convergent/clocks";
import {
  Emitter,
  type SendResult,
  type Transport,
  type TransportStats,
  type Unsubscribe,
} from "@convergent/sync";

type Events = {
  frame: [peer: ReplicaId, frame: Uint8Array];
  connected: [peer: ReplicaId];
  disconnected: [peer: ReplicaId];
};

export class SwitchedRoutes implements Transport {
  readonly localId: ReplicaId;
  readonly #routes: readonly Transport[];
  /** Per peer, the routes that reach it, in the order they connected (kept while offline). */
  readonly #reach = new Map<ReplicaId, Transport[]>();
  readonly #events = new Emitter<Events>();
  readonly #unsubscribes: Unsubscribe[] = [];
  #online = true;
  #dropped = { frames: 0, bytes: 0 };
  #closing: Promise<void> | undefined;

  constructor(localId: ReplicaId, routes: readonly Transport[]) {
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

  get online(): boolean {
    return this.#online;
  }

  /** Cuts (false) or restores (true) every route, announcing the change to the replica. */
  setOnline(online: boolean): void {
    if (online === this.#online || this.#closing !== undefined) return;
    const peers = [...this.#reach.keys()];
    this.#online = online;
    for (const peer of peers) this.#events.emit(online ? "connected" : "disconnected", peer);
  }

  send(peer: ReplicaId, frame: Uint8Array): SendResult {
    const route =
      this.#online && this.#closing === undefined ? this.#reach.get(peer)?.[0] : undefined;
    if (route !== undefined) return route.send(peer, frame);
    this.#dropped = {
      frames: this.#dropped.frames + 1,
      bytes: this.#dropped.bytes + frame.byteLength,
    };
    return this.#closing === undefined ? "unreachable" : "closed";
  }

  peers(): readonly ReplicaId[] {
    return this.#online ? [...this.#reach.keys()].sort(compareReplicaIds) : [];
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
      framesDropped: this.#dropped.frames,
      bytesDropped: this.#dropped.bytes,
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

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#events.clear();
      for (const unsubscribe of this.#unsubscribes) unsubscribe();
      this.#reach.clear();
      await Promise.all(this.#routes.map((route) => route.close()));
    })();
    return this.#closing;
  }

  #connected(peer: ReplicaId, route: Transport): void {
    const routes = this.#reach.get(peer);
    if (routes === undefined) {
      this.#reach.set(peer, [route]);
      if (this.#online) this.#events.emit("connected", peer);
    } else if (!routes.includes(route)) {
      routes.push(route);
    }
  }

  #disconnected(peer: ReplicaId, route: Transport): void {
    const routes = this.#reach.get(peer);
    const index = routes?.indexOf(route) ?? -1;
    if (routes === undefined || index < 0) return;
    routes.splice(index, 1);
    if (routes.length > 0) return;
    this.#reach.delete(peer);
    if (this.#online) this.#events.emit("disconnected", peer);
  }
}
