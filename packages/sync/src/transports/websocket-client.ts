/**
 * A browser-safe WebSocket client transport: one connection to one server replica, kept up by
 * reconnecting with exponential backoff and full jitter. Each connection repeats the handshake,
 * so the server learns the client's id again and both sides get `onPeerConnected`, which is the
 * protocol's cue to resynchronise. Frames queued when a connection breaks are dropped, not
 * carried over: a new connection starts empty, as the `Transport` contract allows.
 */
import type { ReplicaId } from "@convergent/clocks";
import { replicaIdProblem } from "@convergent/clocks";
import { InvalidArgumentError } from "@convergent/core";
import { type BackoffOptions, backoffDelay, backoffOptions } from "./backoff.js";
import { type ConnectionOptions, clusterSecretOf, positiveInteger } from "./connection-options.js";
import { Emitter } from "./emitter.js";
import { CloseCode, type ConnectionCloseInfo } from "./handshake.js";
import type { RandomSource } from "./prng.js";
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
import type { WebSocketConstructor, WebSocketLike } from "./websocket-like.js";

export interface WebSocketClientOptions extends ConnectionOptions {
  readonly localId: ReplicaId;
  /** A ws: or wss: URL. */
  readonly url: string;
  /**
   * The WebSocket implementation; the global one by default (browsers, Node 22+). On Node 20
   * pass `WebSocket` from the `ws` package, or use `nodeWebSocketClient` from
   * `@convergent/sync/websocket-node`.
   */
  readonly WebSocket?: WebSocketConstructor;
  /** Reconnect delays (default 250 ms doubling to 30 s, full jitter); false never reconnects. */
  readonly reconnect?: Partial<BackoffOptions> | false;
  /** Refuse a server that announces another id (closes with NOT_AUTHORIZED and retries). */
  readonly expectedPeer?: ReplicaId;
  /** Randomness for the jitter; `Math.random` unless given. */
  readonly random?: RandomSource;
}

export type ClientState = "connecting" | "open" | "waiting" | "closed";

type ClientEvents = TransportEvents & { connectionClosed: [info: ConnectionCloseInfo] };

export class WebSocketClientTransport implements Transport {
  readonly localId: ReplicaId;
  readonly url: string;
  readonly #WebSocket: WebSocketConstructor;
  readonly #backoff: BackoffOptions | undefined;
  readonly #expectedPeer: ReplicaId | undefined;
  readonly #random: RandomSource;
  readonly #scheduler: Scheduler;
  readonly #channelOptions: ChannelOptions;
  readonly #maxFrameBytes: number;
  readonly #closeTimeoutMs: number;
  readonly #events = new Emitter<ClientEvents>();
  readonly #stats = new StatsCounter();
  #channel: SocketChannel | undefined;
  #attempt = 0;
  #reconnectTimer: TimerHandle | undefined;
  #closing: Promise<void> | undefined;

  /** Validates the options and starts connecting; throws InvalidArgumentError. */
  constructor(options: WebSocketClientOptions) {
    const problem = replicaIdProblem(options.localId);
    if (problem !== undefined) throw new InvalidArgumentError(`localId: ${problem}`);
    if (
      options.expectedPeer !== undefined &&
      replicaIdProblem(options.expectedPeer) !== undefined
    ) {
      throw new InvalidArgumentError("expectedPeer is not a valid replica id");
    }
    checkUrl(options.url);
    const WebSocketImpl = options.WebSocket ?? globalWebSocket();
    this.localId = options.localId;
    this.url = options.url;
    this.#WebSocket = WebSocketImpl;
    this.#backoff = options.reconnect === false ? undefined : backoffOptions(options.reconnect);
    this.#expectedPeer = options.expectedPeer;
    this.#random = options.random ?? Math.random;
    this.#scheduler = options.scheduler ?? realTimeScheduler;
    this.#maxFrameBytes = positiveInteger(
      "maxFrameBytes",
      options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
    );
    this.#closeTimeoutMs = positiveInteger("closeTimeoutMs", options.closeTimeoutMs ?? 2000);
    this.#channelOptions = {
      localId: this.localId,
      role: "client",
      queue: sendQueueLimits(options.queue),
      maxFrameBytes: this.#maxFrameBytes,
      handshakeTimeoutMs: positiveInteger(
        "handshakeTimeoutMs",
        options.handshakeTimeoutMs ?? 10_000,
      ),
      scheduler: this.#scheduler,
      stats: this.#stats,
      secret: clusterSecretOf(options.clusterSecret),
      admit: (peer: ReplicaId) => this.#admit(peer),
      established: (channel: SocketChannel) => this.#onEstablished(channel),
      frame: (channel: SocketChannel, frame: Uint8Array) =>
        this.#events.emit("frame", channel.peer!, frame),
      closed: (channel: SocketChannel, info: ConnectionCloseInfo) =>
        this.#onChannelClosed(channel, info),
    };
    this.#connect();
  }

  /** `"waiting"` means a reconnect is scheduled. */
  get state(): ClientState {
    if (this.#closing !== undefined) return "closed";
    if (this.#channel === undefined)
      return this.#reconnectTimer === undefined ? "closed" : "waiting";
    return this.#channel.state === "open" ? "open" : "connecting";
  }

  send(peer: ReplicaId, frame: Uint8Array): SendResult {
    assertFrame(frame);
    const refusal =
      this.#closing !== undefined
        ? "closed"
        : frame.byteLength > this.#maxFrameBytes
          ? "too-large"
          : this.#channel?.state !== "open" || this.#channel.peer !== peer
            ? "unreachable"
            : undefined;
    if (refusal === undefined) return this.#channel!.send(frame);
    this.#stats.dropped(frame.byteLength);
    return refusal;
  }

  peers(): readonly ReplicaId[] {
    const channel = this.#channel;
    return channel?.state === "open" && channel.peer !== undefined ? [channel.peer] : [];
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

  /** Every socket close, including failed attempts and rejected handshakes, with its code. */
  onConnectionClosed(handler: (info: ConnectionCloseInfo) => void): Unsubscribe {
    return this.#events.on("connectionClosed", handler);
  }

  stats(): TransportStats {
    return this.#stats.snapshot();
  }

  /**
   * Closes the current connection to `peer` with `code` (e.g. `SYNC_PROTOCOL_ERROR`); the
   * client reconnects after its backoff. False when `peer` is not connected.
   */
  disconnect(peer: ReplicaId, code: number, reason: string): boolean {
    const channel = this.#channel;
    if (channel === undefined || channel.peer !== peer || channel.state !== "open") return false;
    channel.close(code, reason);
    return true;
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutDown();
    return this.#closing;
  }

  async #shutDown(): Promise<void> {
    this.#events.clear();
    if (this.#reconnectTimer !== undefined) this.#scheduler.clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    const channel = this.#channel;
    if (channel === undefined) return;
    await channel.shutdown(CloseCode.NORMAL, "client closed", this.#closeTimeoutMs);
  }

  #connect(): void {
    this.#reconnectTimer = undefined;
    let socket: WebSocketLike;
    try {
      socket = new this.#WebSocket(this.url);
    } catch (error) {
      try {
        this.#events.emit("connectionClosed", {
          peer: undefined,
          code: 1006,
          reason: error instanceof Error ? error.message : String(error),
          local: true,
        });
      } finally {
        this.#scheduleReconnect();
      }
      return;
    }
    this.#channel = new SocketChannel(socket, this.#channelOptions);
  }

  #admit(peer: ReplicaId): Rejection | undefined {
    if (peer === this.localId) {
      return { code: CloseCode.DUPLICATE_REPLICA, reason: "server announced the client's own id" };
    }
    if (this.#expectedPeer !== undefined && peer !== this.#expectedPeer) {
      return { code: CloseCode.NOT_AUTHORIZED, reason: "server is not the expected peer" };
    }
    return undefined;
  }

  #onEstablished(channel: SocketChannel): void {
    this.#attempt = 0;
    this.#events.emit("connected", channel.peer!);
  }

  #onChannelClosed(channel: SocketChannel, info: ConnectionCloseInfo): void {
    if (this.#channel === channel) this.#channel = undefined;
    if (this.#closing !== undefined) return;
    try {
      if (info.peer !== undefined) this.#events.emit("disconnected", info.peer);
      this.#events.emit("connectionClosed", info);
    } finally {
      this.#scheduleReconnect();
    }
  }

  #scheduleReconnect(): void {
    if (this.#backoff === undefined || this.#closing !== undefined) return;
    const delay = backoffDelay(this.#attempt, this.#backoff, this.#random);
    this.#attempt++;
    this.#reconnectTimer = this.#scheduler.setTimeout(() => this.#connect(), delay);
  }
}

function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidArgumentError(`${JSON.stringify(url)} is not a URL`);
  }
  if (parsed.protocol !== "ws:" && parsed.protocol !== "wss:") {
    throw new InvalidArgumentError(`a WebSocket URL must start with ws: or wss:, got ${url}`);
  }
}

function globalWebSocket(): WebSocketConstructor {
  const candidate = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (candidate === undefined) {
    throw new InvalidArgumentError(
      "this runtime has no global WebSocket (Node 20); pass the `WebSocket` option, e.g. from the ws package",
    );
  }
  return candidate;
}
