/**
 * The serve process as a function: one replica on SQLite in the data directory, one HTTP server
 * carrying the WebSocket sync endpoint (for Node replicas and browsers), `/metrics` and
 * `/health`, and a reconnecting client per configured peer. `close()` shuts down in the order
 * that loses nothing: stop accepting, close every socket, stop syncing and flush storage.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { ReplicaId } from "@convergent/clocks";
import type { Transport } from "@convergent/sync";
import { listenWebSocketServer, nodeWebSocketClient } from "@convergent/sync/websocket-node";
import { healthOf } from "../metrics/health.js";
import { toPrometheus } from "../metrics/prometheus.js";
import { createMetrics } from "../metrics/recorder.js";
import { sqliteStorage } from "../storage/sqlite.js";
import type { ServeConfig } from "./args.js";
import { openDataDir } from "./data-dir.js";
import { openHostedReplica } from "./hosted-replica.js";
import { httpRoutes } from "./http-routes.js";
import { MultiTransport } from "./multi-transport.js";
import { PeerLinks } from "./peer-links.js";

/** One line of the process's structured log (JSON on stdout). */
export type ServeEvent =
  | {
      readonly event: "listening";
      readonly id: ReplicaId;
      readonly host: string;
      readonly port: number;
      readonly sync: string;
      readonly http: string;
      readonly keys: number;
    }
  | { readonly event: "peer-connected" | "peer-disconnected"; readonly peer: ReplicaId }
  | { readonly event: "closed"; readonly id: ReplicaId };

export interface RunningServer {
  readonly id: ReplicaId;
  /** The port actually bound (useful with --port 0). */
  readonly port: number;
  /** ws:// URL of the sync endpoint. */
  readonly syncUrl: string;
  /** http:// base URL of /metrics and /health. */
  readonly httpUrl: string;
  /** Graceful shutdown; idempotent. */
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

function hostForUrl(host: string): string {
  const shown = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
  return shown.includes(":") ? `[${shown}]` : shown;
}

export async function startServer(
  config: ServeConfig,
  log: (event: ServeEvent) => void = () => {},
): Promise<RunningServer> {
  const dir = openDataDir(config.data);
  const cleanups: (() => Promise<void> | void)[] = [() => dir.release()];
  const undo = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
  try {
    const storage = sqliteStorage({ path: dir.database });
    cleanups.push(() => storage.close());
    const metrics = createMetrics({ maxLagMs: config.maxLagMs });
    const http = createServer();
    const wsServer = await listenWebSocketServer({
      localId: config.id,
      server: http,
      path: config.syncPath,
    });
    // Backoff capped at 2 s (not the client's 30 s default): a restarted server peer should be
    // back well inside any sensible divergence window, and a retry every 2 s costs nothing.
    const clients = config.peers.map((url) =>
      nodeWebSocketClient({ localId: config.id, url, reconnect: { maxDelayMs: 2_000 } }),
    );
    const routes: Transport[] = [wsServer, ...clients];
    const transport = new MultiTransport(config.id, routes);
    cleanups.push(() => transport.close());
    const links = new PeerLinks(clients, config.maxLagMs);
    transport.onPeerConnected((peer) => log({ event: "peer-connected", peer }));
    transport.onPeerDisconnected((peer) => {
      log({ event: "peer-disconnected", peer });
      // A peer that dialled in and left (a closed browser tab) is not expected back; a configured
      // peer is, and its growing sync age is what /health should show.
      if (!links.isConfigured(peer)) metrics.forgetPeer(peer);
    });
    const replica = await openHostedReplica({
      id: config.id,
      transport,
      storage,
      metrics,
    });
    cleanups.push(() => replica.close());

    http.on(
      "request",
      httpRoutes({
        metricsText: () => toPrometheus(metrics.snapshot(), { labels: { replica: config.id } }),
        health: () => {
          const snapshot = metrics.snapshot();
          const own = healthOf(snapshot);
          const linkReasons = links.problems();
          const reasons = [...own.reasons, ...linkReasons];
          return {
            healthy: reasons.length === 0,
            reasons,
            id: config.id,
            connectedPeers: transport.peers(),
            configuredPeers: links.describe(),
          };
        },
        debug: config.debug ? replica : undefined,
      }),
    );
    const address = await listen(http, config.port, config.host);
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          http.close(() => resolve());
          http.closeAllConnections();
        }),
    );
    const shown = hostForUrl(config.host);
    const running: RunningServer = {
      id: config.id,
      port: address.port,
      syncUrl: `ws://${shown}:${address.port}${config.syncPath}`,
      httpUrl: `http://${shown}:${address.port}`,
      close: (() => {
        let closing: Promise<void> | undefined;
        return () => {
          closing ??= shutDown(http, transport, replica.close.bind(replica), dir.release).then(() =>
            log({ event: "closed", id: config.id }),
          );
          return closing;
        };
      })(),
    };
    log({
      event: "listening",
      id: config.id,
      host: config.host,
      port: address.port,
      sync: running.syncUrl,
      http: running.httpUrl,
      keys: replica.size,
    });
    return running;
  } catch (error) {
    await undo().catch(() => {});
    throw error;
  }
}

async function shutDown(
  http: Server,
  transport: Transport,
  closeReplica: () => Promise<void>,
  release: () => void,
): Promise<void> {
  // No new HTTP requests or WebSocket upgrades from here on.
  const httpClosed = new Promise<void>((resolve) => http.close(() => resolve()));
  // Every socket goes (clients see 1001 "going away"), so nothing arrives while storage flushes.
  await transport.close();
  try {
    await closeReplica();
  } finally {
    http.closeAllConnections();
    await httpClosed;
    release();
  }
}
