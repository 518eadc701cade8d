/**
 * The Node side of the WebSocket transport, on the `ws` package: a server transport that accepts
 * many client replicas, and a client factory that plugs `ws` into the browser-safe
 * `WebSocketClientTransport`. This is the only module of the package that imports Node or `ws`;
 * it is published as the `@convergent/sync/websocket-node` subpath so browser bundles never
 * reach it.
 */
import type { Server as HttpServer, IncomingMessage } from "node:http";
import type { Server as HttpsServer } from "node:https";
import type { SecureContextOptions } from "node:tls";
import type { ReplicaId } from "@convergent/clocks";
import { compareReplicaIds, replicaIdProblem } from "@convergent/clocks";
import { InvalidArgumentError } from "@convergent/core";
import { type ClientOptions, WebSocket, WebSocketServer } from "ws";
import { type ConnectionOptions, clusterSecretOf, positiveInteger } from "./connection-options.js";
import { Emitter } from "./emitter.js";
import { CloseCode, type ConnectionCloseInfo } from "./handshake.js";
import { realTimeScheduler, type Scheduler, type TimerHandle } from "./scheduler.js";
import { sendQueueLimits } from "./send-queue.js";
import { type ChannelOptions, type Rejection, SocketChannel } from "./socket-channel.js";
import { StatsCounter } from "./stats.js";
import {
  DEFAULT_MAX_FRAME_BYTES,
  type SendResult,
  type Transport,
  type TransportStats,
  type Unsubscribe,
} from "./transport.js";
import { assertFrame, type TransportEvents } from "./transport-events.js";
import { type WebSocketClientOptions, WebSocketClientTransport } from "./websocket-client.js";

export interface WebSocketServerOptions extends ConnectionOptions {
  readonly localId: ReplicaId;
  /** Port to listen on; 0 (the default) picks a free one, which `address()` reports. */
  readonly port?: number;
  /** Interface to listen on: "127.0.0.1" unless given; use "::" or "0.0.0.0" for remote peers. */
  readonly host?: string;
  /** Serve on this HTTP(S) server's upgrade requests instead of listening; `port`/`host` are ignored. */
  readonly server?: HttpServer | HttpsServer;
  /** Accept only upgrades to this path. */
  readonly path?: string;
  /**
   * Decides whether the client that announced `peer` may connect, e.g. whether it is a
   * configured cluster member, or by a TLS client certificate. Without `clusterSecret` the hello
   * alone proves nothing about identity; with it, the id is proven before the connection opens
   * (asked at the hello and again once the proof verified).
   */
  readonly authorize?: (peer: ReplicaId, request: IncomingMessage) => boolean;
  /** Pings each client this often and destroys one that missed the previous pong; 0 disables. 30 s. */
  readonly heartbeatIntervalMs?: number;
}

type ServerEvents = TransportEvents & { connectionClosed: [info: ConnectionCloseInfo] };

/** The server side: every client that completed the handshake is a connected peer. */
export class WebSocketServerTransport implements Transport {
  readonly localId: ReplicaId;
  readonly #wss: WebSocketServer;
  readonly #options: WebSocketServerOptions;
  readonly #scheduler: Scheduler;
  readonly #maxFrameBytes: number;
  readonly #closeTimeoutMs: number;
  readonly #heartbeatMs: number;
  readonly #channelOptions: Omit<ChannelOptions, "admit">;
  readonly #events = new Emitter<ServerEvents>();
  readonly #stats = new StatsCounter();
  /** Every open socket, handshake complete or not, with whether it answered the last ping. */
  readonly #channels = new Map<SocketChannel, { socket: WebSocket; alive: boolean }>();
  readonly #peers = new Map<ReplicaId, SocketChannel>();
  #heartbeatTimer: TimerHandle | undefined;
  #closing: Promise<void> | undefined;

  /** Starts listening (or attaches to `options.server`); resolves once connections are accepted. */
  static async listen(options: WebSocketServerOptions): Promise<WebSocketServerTransport> {
    const problem = replicaIdProblem(options.localId);
    if (problem !== undefined) throw new InvalidArgumentError(`localId: ${problem}`);
    const maxPayload = positiveInteger(
      "maxFrameBytes",
      options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
    );
    const common = {
      maxPayload,
      perMessageDeflate: false,
      clientTracking: false,
      ...(options.path === undefined ? {} : { path: options.path }),
    };
    if (options.server !== undefined) {
      return new WebSocketServerTransport(
        new WebSocketServer({ ...common, server: options.server }),
        options,
      );
    }
    const wss = new WebSocketServer({
      ...common,
      port: options.port ?? 0,
      host: options.host ?? "127.0.0.1",
    });
    await new Promise<void>((resolve, reject) => {
      wss.once("listening", resolve);
      wss.once("error", reject);
    });
    return new WebSocketServerTransport(wss, options);
  }

  private constructor(wss: WebSocketServer, options: WebSocketServerOptions) {
    this.localId = options.localId;
    this.#wss = wss;
    this.#options = options;
    this.#scheduler = options.scheduler ?? realTimeScheduler;
    this.#maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.#closeTimeoutMs = positiveInteger("closeTimeoutMs", options.closeTimeoutMs ?? 2000);
    const heartbeat = options.heartbeatIntervalMs ?? 30_000;
    this.#heartbeatMs = heartbeat === 0 ? 0 : positiveInteger("heartbeatIntervalMs", heartbeat);
    this.#channelOptions = {
      localId: this.localId,
      role: "server",
      queue: sendQueueLimits(options.queue),
      maxFrameBytes: this.#maxFrameBytes,
      handshakeTimeoutMs: positiveInteger(
        "handshakeTimeoutMs",
        options.handshakeTimeoutMs ?? 10_000,
      ),
      scheduler: this.#scheduler,
      stats: this.#stats,
      secret: clusterSecretOf(options.clusterSecret),
      established: (channel) => {
        this.#peers.set(channel.peer!, channel);
        this.#events.emit("connected", channel.peer!);
      },
      frame: (channel, frame) => this.#events.emit("frame", channel.peer!, frame),
      closed: (channel, info) => this.#onChannelClosed(channel, info),
    };
    // Errors of the listening socket after startup have nowhere useful to go; without a listener
    // ws would rethrow them and crash the process.
    wss.on("error", () => {});
    wss.on("connection", (socket, request) => this.#accept(socket, request));
    this.#armHeartbeat();
  }

  /** Where the server listens; undefined when attached to an external server. */
  address(): { host: string; port: number } | undefined {
    const address = this.#options.server === undefined ? this.#wss.address() : null;
    if (address === null || typeof address === "string") return undefined;
    return { host: address.address, port: address.port };
  }

  /** The ws: URL clients should connect to; undefined when attached to an external server. */
  url(): string | undefined {
    const address = this.address();
    if (address === undefined) return undefined;
    const host = address.host.includes(":") ? `[${address.host}]` : address.host;
    return `ws://${host}:${address.port}${this.#options.path ?? ""}`;
  }

  send(peer: ReplicaId, frame: Uint8Array): SendResult {
    assertFrame(frame);
    const channel = this.#peers.get(peer);
    const refusal =
      this.#closing !== undefined
        ? "closed"
        : frame.byteLength > this.#maxFrameBytes
          ? "too-large"
          : channel === undefined
            ? "unreachable"
            : undefined;
    if (refusal === undefined && channel !== undefined) return channel.send(frame);
    this.#stats.dropped(frame.byteLength);
    return refusal ?? "unreachable";
  }

  peers(): readonly ReplicaId[] {
    return [...this.#peers.keys()].sort(compareReplicaIds);
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

  /** Every socket close, including rejected handshakes, with its code. */
  onConnectionClosed(handler: (info: ConnectionCloseInfo) => void): Unsubscribe {
    return this.#events.on("connectionClosed", handler);
  }

  stats(): TransportStats {
    return this.#stats.snapshot();
  }

  /**
   * Closes the connection of `peer` with `code` (e.g. `SYNC_PROTOCOL_ERROR` when the sync engine
   * rejected its frame). False when `peer` is not connected.
   */
  disconnect(peer: ReplicaId, code: number, reason: string): boolean {
    const channel = this.#peers.get(peer);
    if (channel === undefined) return false;
    channel.close(code, reason);
    return true;
  }

  /** Closes every connection with GOING_AWAY, then stops listening. */
  close(): Promise<void> {
    this.#closing ??= this.#shutDown();
    return this.#closing;
  }

  async #shutDown(): Promise<void> {
    this.#events.clear();
    if (this.#heartbeatTimer !== undefined) this.#scheduler.clearTimeout(this.#heartbeatTimer);
    this.#heartbeatTimer = undefined;
    await Promise.all(
      [...this.#channels.keys()].map((channel) =>
        channel.shutdown(CloseCode.GOING_AWAY, "server closing", this.#closeTimeoutMs),
      ),
    );
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }

  #accept(socket: WebSocket, request: IncomingMessage): void {
    if (this.#closing !== undefined) {
      socket.terminate();
      return;
    }
    reportOversizeAsFrameTooLarge(socket);
    const channel = new SocketChannel(socket, {
      ...this.#channelOptions,
      admit: (peer) => this.#admit(peer, request),
    });
    const entry = { socket, alive: true };
    this.#channels.set(channel, entry);
    socket.on("pong", () => {
      entry.alive = true;
    });
  }

  #admit(peer: ReplicaId, request: IncomingMessage): Rejection | undefined {
    if (peer === this.localId) {
      return { code: CloseCode.DUPLICATE_REPLICA, reason: "id is the server's own" };
    }
    if (this.#peers.has(peer)) {
      return { code: CloseCode.DUPLICATE_REPLICA, reason: "id is already connected" };
    }
    const authorize = this.#options.authorize;
    if (authorize !== undefined) {
      let allowed = false;
      try {
        allowed = authorize(peer, request);
      } catch {
        allowed = false;
      }
      if (!allowed) return { code: CloseCode.NOT_AUTHORIZED, reason: "not authorized" };
    }
    return undefined;
  }

  #onChannelClosed(channel: SocketChannel, info: ConnectionCloseInfo): void {
    this.#channels.delete(channel);
    const peer = channel.peer;
    if (peer !== undefined && this.#peers.get(peer) === channel) {
      this.#peers.delete(peer);
      this.#events.emit("disconnected", peer);
    }
    this.#events.emit("connectionClosed", info);
  }

  /** Destroys connections that missed a pong, so a vanished client frees its id. */
  #armHeartbeat(): void {
    if (this.#heartbeatMs === 0) return;
    this.#heartbeatTimer = this.#scheduler.setTimeout(() => {
      for (const [channel, entry] of this.#channels) {
        if (!entry.alive) {
          channel.terminate();
          continue;
        }
        entry.alive = false;
        try {
          entry.socket.ping();
        } catch {
          channel.terminate();
        }
      }
      this.#armHeartbeat();
    }, this.#heartbeatMs);
  }
}

/** `WebSocketServerTransport.listen`, as a function. */
export function listenWebSocketServer(
  options: WebSocketServerOptions,
): Promise<WebSocketServerTransport> {
  return WebSocketServerTransport.listen(options);
}

/**
 * The options of ws's `WebSocket` that a client of this transport may set, declared here so the
 * published declarations need no `@types/ws` (which would pull `@types/node` into every project
 * that installs the package, browser ones included). Each is passed to ws unchanged.
 */
export interface NodeWebSocketOptions
  extends Pick<SecureContextOptions, "ca" | "cert" | "key" | "passphrase" | "pfx"> {
  /** Verify the server's certificate against `ca` (or the system's CAs). True by default. */
  readonly rejectUnauthorized?: boolean;
  /** TLS SNI server name, when it differs from the URL's host. */
  readonly servername?: string;
  /** Extra headers of the upgrade request (e.g. `authorization`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** The `Origin` header of the upgrade request. */
  readonly origin?: string;
  /** Milliseconds to wait for the upgrade response. */
  readonly handshakeTimeout?: number;
  /** Largest message ws accepts, in bytes; defaults to `maxFrameBytes`. */
  readonly maxPayload?: number;
}

export interface NodeWebSocketClientOptions extends Omit<WebSocketClientOptions, "WebSocket"> {
  /** Passed to ws's WebSocket; `maxPayload` defaults to `maxFrameBytes`, deflate is off. */
  readonly wsOptions?: NodeWebSocketOptions;
}

/** A `WebSocketClientTransport` on the `ws` package, for Node versions without a global WebSocket. */
export function nodeWebSocketClient(options: NodeWebSocketClientOptions): WebSocketClientTransport {
  const { wsOptions, ...clientOptions } = options;
  const socketOptions: ClientOptions = {
    perMessageDeflate: false,
    maxPayload: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
    ...wsOptions,
  };
  class NodeWebSocket extends WebSocket {
    constructor(url: string) {
      super(url, socketOptions);
      reportOversizeAsFrameTooLarge(this);
    }
  }
  return new WebSocketClientTransport({ ...clientOptions, WebSocket: NodeWebSocket });
}

/**
 * ws enforces `maxPayload` itself, from the frame header and before buffering the payload (which
 * is what bounds memory), and then closes with 1009. The transport documents 4413 for a frame
 * over `maxFrameBytes`, so the close ws starts is relabelled. ws uses 1009 for nothing else here
 * (per-message deflate, the other source of it, is off).
 */
function reportOversizeAsFrameTooLarge(socket: WebSocket): void {
  const close = socket.close.bind(socket);
  socket.close = (code?: number, reason?: string | Buffer) => {
    if (code === 1009) close(CloseCode.FRAME_TOO_LARGE, "frame exceeds maxFrameBytes");
    else close(code, reason);
  };
}

export { ClusterSecret, MIN_CLUSTER_SECRET_BYTES } from "./cluster-secret.js";
