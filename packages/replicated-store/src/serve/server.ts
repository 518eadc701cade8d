/**
 * The serve process as a function: one replica on SQLite in the data directory, one HTTP server
 * carrying the WebSocket sync endpoint (for Node replicas and browsers), `/metrics` and
 * `/health`, and a reconnecting client per configured peer. `close()` shuts down in the order
 * that loses nothing: stop accepting, close every socket, stop syncing and flush storage.
 */
import { createServer, type Server } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { ReplicaId } from "@convergent/clocks";
import { CloseCode, type Transport } from "@convergent/sync";
import {
  ClusterSecret,
  listenWebSocketServer,
  nodeWebSocketClient,
} from "@convergent/sync/websocket-node";
import { healthOf } from "../metrics/health.js";
import { toPrometheus } from "../metrics/prometheus.js";
import { createMetrics } from "../metrics/recorder.js";
import { sqliteStorage } from "../storage/sqlite.js";
import { isLoopbackHost, type ServeConfig } from "./args.js";
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
      /** "cluster-secret" when every connection proves the secret, else "none". */
      readonly auth: "cluster-secret" | "none";
      readonly tls: boolean;
      /** The configured members besides this replica (N = members + 1). */
      readonly members: readonly ReplicaId[];
    }
  | { readonly event: "warning"; readonly message: string }
  | {
      readonly event: "peer-rejected-frame";
      readonly peer: ReplicaId;
      readonly reason: string;
    }
  | { readonly event: "peer-connected" | "peer-disconnected"; readonly peer: ReplicaId }
  | { readonly event: "closed"; readonly id: ReplicaId };

export interface RunningServer {
  readonly id: ReplicaId;
  /** The port actually bound (useful with --port 0). */
  readonly port: number;
  /** ws:// (wss:// with TLS) URL of the sync endpoint. */
  readonly syncUrl: string;
  /** http:// (https:// with TLS) base URL of /metrics and /health. */
  readonly httpUrl: string;
  /** Graceful shutdown; idempotent. */
  close(): Promise<void>;
}

function listen(server: Server | HttpsServer, port: number, host: string): Promise<AddressInfo> {
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
    for (const message of securityWarnings(config)) log({ event: "warning", message });
    const http =
      config.tls === undefined
        ? createServer()
        : createHttpsServer({ cert: config.tls.cert, key: config.tls.key });
    const secret =
      config.clusterSecret === undefined ? undefined : new ClusterSecret(config.clusterSecret);
    const members = new Set(config.members);
    const wsServer = await listenWebSocketServer({
      localId: config.id,
      server: http,
      path: config.syncPath,
      ...(secret === undefined ? {} : { clusterSecret: secret }),
      // A configured cluster admits only its members; a node without one (standalone, or a
      // development hub for browser tabs) admits any id that passes the handshake.
      ...(members.size === 0 ? {} : { authorize: (peer: ReplicaId) => members.has(peer) }),
    });
    // Backoff capped at 2 s (not the client's 30 s default): a restarted server peer should be
    // back well inside any sensible divergence window, and a retry every 2 s costs nothing.
    const dialed = config.peers.map(({ id, url }) => ({
      member: id,
      client: nodeWebSocketClient({
        localId: config.id,
        url,
        // The dialed URL must answer as the member named for it, proven by the secret.
        expectedPeer: id,
        reconnect: { maxDelayMs: 2_000 },
        ...(secret === undefined ? {} : { clusterSecret: secret }),
        ...(config.tlsCa === undefined ? {} : { wsOptions: { ca: config.tlsCa } }),
      }),
    }));
    const routes: Transport[] = [wsServer, ...dialed.map((d) => d.client)];
    const transport = new MultiTransport(config.id, routes);
    cleanups.push(() => transport.close());
    const dialedIds = new Set(config.peers.map((p) => p.id));
    const links = new PeerLinks(
      dialed,
      config.members.filter((m) => !dialedIds.has(m)),
      transport,
      config.maxLagMs,
    );
    transport.onPeerConnected((peer) => log({ event: "peer-connected", peer }));
    transport.onPeerDisconnected((peer) => {
      log({ event: "peer-disconnected", peer });
      // A peer that dialled in and left (a closed browser tab) is not expected back; a configured
      // member is, and its growing sync age is what /health should show.
      if (!links.isConfigured(peer)) metrics.forgetPeer(peer);
    });
    const replica = await openHostedReplica({
      id: config.id,
      transport,
      storage,
      metrics,
      // N is the configured cluster, never who happens to be connected.
      peers: config.members,
    });
    cleanups.push(() => replica.close());
    // A frame the engine rejects (undecodable, over a limit, a protocol violation) closes that
    // peer's connection: a peer that sends one is broken or hostile, and what it had sent is
    // forgotten with the connection.
    replica.onRejected((peer, reason) => {
      log({ event: "peer-rejected-frame", peer, reason });
      transport.disconnect(peer, CloseCode.SYNC_PROTOCOL_ERROR, reason.slice(0, 100));
    });

    http.on(
      "request",
      httpRoutes({
        metricsText: () =>
          toPrometheus(
            { ...metrics.snapshot(), pushes: replica.pushes() },
            { labels: { replica: config.id } },
          ),
        health: () => {
          const all = metrics.snapshot();
          // Only configured members count: an id that connected and never answers cannot turn
          // the node red (and cannot connect at all once a cluster is configured).
          const snapshot = { ...all, peers: all.peers.filter((p) => links.isConfigured(p.peer)) };
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
        bearerToken: config.httpToken,
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
    const tls = config.tls !== undefined;
    const running: RunningServer = {
      id: config.id,
      port: address.port,
      syncUrl: `${tls ? "wss" : "ws"}://${shown}:${address.port}${config.syncPath}`,
      httpUrl: `${tls ? "https" : "http"}://${shown}:${address.port}`,
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
      auth: secret === undefined ? "none" : "cluster-secret",
      tls,
      members: config.members,
    });
    return running;
  } catch (error) {
    await undo().catch(() => {});
    throw error;
  }
}

/** The warnings every start logs for a configuration that weakens security. */
function securityWarnings(config: ServeConfig): string[] {
  const warnings: string[] = [];
  if (config.insecure && config.clusterSecret === undefined) {
    warnings.push(
      `INSECURE: --insecure and no cluster secret: anyone who can reach ${config.host}:${config.port} ` +
        "can connect as any member, send contexts and acknowledge writes. Use only on a network " +
        "you trust; see docs/security.md",
    );
  } else if (config.insecure) {
    warnings.push("--insecure has no effect: a cluster secret is configured");
  }
  if (
    config.clusterSecret !== undefined &&
    config.tls === undefined &&
    !isLoopbackHost(config.host)
  ) {
    warnings.push(
      "no TLS: connections are authenticated but not encrypted; use --tls-cert/--tls-key or a TLS-terminating proxy",
    );
  }
  return warnings;
}

async function shutDown(
  http: Server | HttpsServer,
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
