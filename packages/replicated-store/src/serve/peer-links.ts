/**
 * The configured peers (--peers) as the health check sees them. A peer that has never answered
 * has no replica id, so the metrics recorder cannot know it; this tracks each URL's client
 * instead: since when it has been down, and which replica it reached when it was up. A link
 * down for longer than the divergence window makes the process unhealthy.
 */
import type { ReplicaId } from "@convergent/clocks";
import type { WebSocketClientTransport } from "@convergent/sync";

interface Link {
  readonly client: WebSocketClientTransport;
  /** Wall-clock ms since the link has been down; undefined while up. */
  downSinceMs: number | undefined;
  lastPeer: ReplicaId | undefined;
}

export interface LinkDescription {
  readonly url: string;
  readonly connected: boolean;
  /** The replica this URL answered as, once it has. */
  readonly peer: ReplicaId | undefined;
}

export class PeerLinks {
  readonly #links: Link[];
  readonly #maxLagMs: number;
  readonly #now: () => number;

  constructor(
    clients: readonly WebSocketClientTransport[],
    maxLagMs: number,
    now: () => number = Date.now,
  ) {
    this.#maxLagMs = maxLagMs;
    this.#now = now;
    this.#links = clients.map((client) => ({
      client,
      downSinceMs: client.peers().length > 0 ? undefined : now(),
      lastPeer: client.peers()[0],
    }));
    for (const link of this.#links) {
      link.client.onPeerConnected((peer) => {
        link.downSinceMs = undefined;
        link.lastPeer = peer;
      });
      link.client.onPeerDisconnected(() => {
        link.downSinceMs = this.#now();
      });
    }
  }

  /** Whether `peer` is (or was last) reached through a configured URL. */
  isConfigured(peer: ReplicaId): boolean {
    return this.#links.some((link) => link.lastPeer === peer);
  }

  describe(): LinkDescription[] {
    return this.#links.map((link) => ({
      url: link.client.url,
      connected: link.downSinceMs === undefined,
      peer: link.lastPeer,
    }));
  }

  /** One sentence per configured URL down for longer than the divergence window. */
  problems(): string[] {
    const now = this.#now();
    return this.#links.flatMap((link) => {
      if (link.downSinceMs === undefined) return [];
      const down = now - link.downSinceMs;
      if (down <= this.#maxLagMs) return [];
      const who = link.lastPeer === undefined ? "never connected" : `was ${link.lastPeer}`;
      return [
        `peer ${link.client.url} (${who}) unreachable for ${Math.round(down)} ms (maxLagMs ${this.#maxLagMs} ms)`,
      ];
    });
  }
}
