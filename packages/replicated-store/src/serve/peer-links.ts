/**
 * The configured members as the health check sees them: each dialed peer (--peers id=url) by
 * its client, each dial-in member (--members) by the transport's connect events. A member down
 * for longer than the divergence window makes the process unhealthy; ids that are not
 * configured never appear here, so they cannot turn /health red. URLs are shown without
 * credentials (user:password, query string and fragment are redacted).
 */
import type { ReplicaId } from "@convergent/clocks";
import type { Transport, WebSocketClientTransport } from "@convergent/sync";

interface Link {
  readonly member: ReplicaId;
  /** The dialing client; undefined for a member that only dials in. */
  readonly client: WebSocketClientTransport | undefined;
  /** Wall-clock ms since the link has been down; undefined while up. */
  downSinceMs: number | undefined;
}

export interface LinkDescription {
  readonly member: ReplicaId;
  /** The URL dialed (redacted), or undefined for a member that dials in. */
  readonly url: string | undefined;
  readonly connected: boolean;
}

/** `url` without user:password, query string or fragment: what /health may show. */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "[unparseable URL]";
  }
  const hadSecrets =
    parsed.username !== "" || parsed.password !== "" || parsed.search !== "" || parsed.hash !== "";
  parsed.username = "";
  parsed.password = "";
  parsed.search = "";
  parsed.hash = "";
  return hadSecrets ? `${parsed.href} [credentials redacted]` : parsed.href;
}

export class PeerLinks {
  readonly #links: Link[];
  readonly #maxLagMs: number;
  readonly #now: () => number;

  /**
   * `dialed`: the client of each --peers member; `dialInOnly`: the --members ids, watched on
   * `transport` (which reaches every member, dialed or not).
   */
  constructor(
    dialed: readonly { readonly member: ReplicaId; readonly client: WebSocketClientTransport }[],
    dialInOnly: readonly ReplicaId[],
    transport: Transport,
    maxLagMs: number,
    now: () => number = Date.now,
  ) {
    this.#maxLagMs = maxLagMs;
    this.#now = now;
    this.#links = [
      ...dialed.map(({ member, client }) => ({
        member,
        client,
        downSinceMs: client.peers().includes(member) ? undefined : now(),
      })),
      ...dialInOnly.map((member) => ({
        member,
        client: undefined,
        downSinceMs: transport.peers().includes(member) ? undefined : now(),
      })),
    ];
    for (const link of this.#links) {
      const source = link.client ?? transport;
      source.onPeerConnected((peer) => {
        if (peer === link.member) link.downSinceMs = undefined;
      });
      source.onPeerDisconnected((peer) => {
        if (peer === link.member) link.downSinceMs = this.#now();
      });
    }
  }

  /** Whether `peer` is a configured member. */
  isConfigured(peer: ReplicaId): boolean {
    return this.#links.some((link) => link.member === peer);
  }

  describe(): LinkDescription[] {
    return this.#links.map((link) => ({
      member: link.member,
      url: link.client === undefined ? undefined : redactUrl(link.client.url),
      connected: link.downSinceMs === undefined,
    }));
  }

  /** One sentence per configured member down for longer than the divergence window. */
  problems(): string[] {
    const now = this.#now();
    return this.#links.flatMap((link) => {
      if (link.downSinceMs === undefined) return [];
      const down = now - link.downSinceMs;
      if (down <= this.#maxLagMs) return [];
      const via = link.client === undefined ? "dials in" : `at ${redactUrl(link.client.url)}`;
      return [
        `member ${link.member} (${via}) unreachable for ${Math.round(down)} ms (maxLagMs ${this.#maxLagMs} ms)`,
      ];
    });
  }
}
