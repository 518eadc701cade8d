/**
 * One WebSocket connection from open to close, on either side: the handshake (see
 * `handshake.ts`), binary framing, the bounded send queue and the timers, all torn down together
 * when the socket closes. The owning transport decides which peers to admit and reacts to the
 * channel's callbacks; it never sees a frame from a socket whose handshake did not complete.
 */
import type { ReplicaId } from "@convergent/clocks";
import { CloseCode, type ConnectionCloseInfo, decodeHello, encodeHello } from "./handshake.js";
import type { Scheduler, TimerHandle } from "./scheduler.js";
import { SendQueue, type SendQueueLimits } from "./send-queue.js";
import type { StatsCounter } from "./stats.js";
import type { SendResult } from "./transport.js";
import { ReadyState, type WebSocketLike } from "./websocket-like.js";

export interface Rejection {
  readonly code: number;
  readonly reason: string;
}

export interface ChannelOptions {
  readonly localId: ReplicaId;
  /** The client speaks first; the server answers only an admitted hello. */
  readonly role: "client" | "server";
  readonly queue: SendQueueLimits;
  readonly maxFrameBytes: number;
  readonly handshakeTimeoutMs: number;
  readonly scheduler: Scheduler;
  readonly stats: StatsCounter;
  /** Decides on the id the peer announced; undefined admits it. */
  admit(peer: ReplicaId): Rejection | undefined;
  established(channel: SocketChannel): void;
  frame(channel: SocketChannel, frame: Uint8Array): void;
  closed(channel: SocketChannel, info: ConnectionCloseInfo): void;
}

export class SocketChannel {
  readonly socket: WebSocketLike;
  #peer: ReplicaId | undefined;
  #state: "handshaking" | "open" | "closed" = "handshaking";
  #closedLocally: Rejection | undefined;
  readonly #options: ChannelOptions;
  readonly #queue: SendQueue;
  #handshakeTimer: TimerHandle | undefined;
  #settled: (() => void)[] = [];

  constructor(socket: WebSocketLike, options: ChannelOptions) {
    this.socket = socket;
    this.#options = options;
    this.#queue = new SendQueue(socket, options.queue, options.scheduler);
    socket.binaryType = "arraybuffer";
    socket.onmessage = (event) => this.#onMessage(event.data);
    socket.onclose = (event) => this.#onClose(event.code, event.reason);
    // An error is always followed by a close event, which does the cleanup.
    socket.onerror = () => {};
    if (options.role === "client") {
      if (socket.readyState === ReadyState.OPEN) this.#sendHello();
      else socket.onopen = () => this.#sendHello();
    }
    this.#handshakeTimer = options.scheduler.setTimeout(() => {
      this.#handshakeTimer = undefined;
      this.close(CloseCode.HANDSHAKE_TIMEOUT, "handshake timed out");
    }, options.handshakeTimeoutMs);
  }

  /** The peer's id once the handshake completed. */
  get peer(): ReplicaId | undefined {
    return this.#peer;
  }

  get state(): "handshaking" | "open" | "closed" {
    return this.#state;
  }

  /** Sends or queues `frame`, counting the outcome in the transport's stats. */
  send(frame: Uint8Array): SendResult {
    const stats = this.#options.stats;
    if (this.#state !== "open" || this.#closedLocally !== undefined) {
      stats.dropped(frame.byteLength);
      return "unreachable";
    }
    if (!this.#queue.offer(frame)) {
      stats.dropped(frame.byteLength);
      return "queue-full";
    }
    stats.sent(frame.byteLength);
    return "queued";
  }

  /** Starts a closing handshake; the `closed` callback follows when the socket has closed. */
  close(code: number, reason: string): void {
    if (this.#state === "closed") return;
    this.#closedLocally ??= { code, reason };
    this.#release();
    if (this.socket.readyState === ReadyState.CLOSED) return;
    try {
      this.socket.close(code, reason);
    } catch {
      // A socket that cannot run a closing handshake is destroyed instead.
      this.terminate();
    }
  }

  /** Destroys the connection at once where the implementation allows it (ws), else closes it. */
  terminate(): void {
    if (this.#state === "closed") return;
    this.#closedLocally ??= { code: 1006, reason: "terminated" };
    this.#release();
    if (this.socket.terminate !== undefined) {
      this.socket.terminate();
      return;
    }
    try {
      if (this.socket.readyState !== ReadyState.CLOSED) this.socket.close(CloseCode.NORMAL);
    } catch {
      // Nothing more can be done from here; the socket reports its close when it happens.
    }
  }

  /** Resolves once the socket has closed and the `closed` callback has run. */
  whenClosed(): Promise<void> {
    if (this.#state === "closed") return Promise.resolve();
    return new Promise((resolve) => this.#settled.push(resolve));
  }

  /**
   * Closes with `code` and resolves once the socket has closed; a peer that does not complete
   * the closing handshake within `timeoutMs` gets its socket destroyed instead.
   */
  async shutdown(code: number, reason: string, timeoutMs: number): Promise<void> {
    this.close(code, reason);
    const scheduler = this.#options.scheduler;
    let timer: TimerHandle | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = scheduler.setTimeout(() => resolve(true), timeoutMs);
    });
    const timedOutFirst = await Promise.race([this.whenClosed().then(() => false), timedOut]);
    if (timer !== undefined) scheduler.clearTimeout(timer);
    if (timedOutFirst) {
      this.terminate();
      await this.whenClosed();
    }
  }

  #sendHello(): void {
    if (this.#state === "handshaking") this.socket.send(encodeHello(this.#options.localId));
  }

  #onMessage(data: unknown): void {
    if (this.#state === "closed" || this.#closedLocally !== undefined) return;
    const bytes = toBytes(data);
    if (bytes === undefined) {
      this.close(CloseCode.PROTOCOL_ERROR, "only binary messages are accepted");
      return;
    }
    if (this.#state === "handshaking") {
      this.#onHello(bytes);
      return;
    }
    if (bytes.byteLength > this.#options.maxFrameBytes) {
      this.close(CloseCode.FRAME_TOO_LARGE, "frame exceeds maxFrameBytes");
      return;
    }
    this.#options.stats.received(bytes.byteLength);
    this.#options.frame(this, bytes);
  }

  #onHello(bytes: Uint8Array): void {
    const hello = decodeHello(bytes);
    if (!hello.ok) {
      this.close(CloseCode.BAD_HANDSHAKE, hello.problem.slice(0, 120));
      return;
    }
    const rejection = this.#options.admit(hello.replica);
    if (rejection !== undefined) {
      this.close(rejection.code, rejection.reason);
      return;
    }
    if (this.#handshakeTimer !== undefined)
      this.#options.scheduler.clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = undefined;
    if (this.#options.role === "server") this.socket.send(encodeHello(this.#options.localId));
    this.#peer = hello.replica;
    this.#state = "open";
    this.#options.established(this);
  }

  #onClose(code: number, reason: string): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#release();
    const local = this.#closedLocally;
    try {
      this.#options.closed(this, {
        peer: this.#peer,
        code: local?.code ?? code,
        reason: local?.reason ?? reason,
        local: local !== undefined,
      });
    } finally {
      // A throwing handler must not leave close() waiting forever.
      for (const resolve of this.#settled.splice(0)) resolve();
    }
  }

  /** Cancels the handshake timer and drops the queued frames, counting them. */
  #release(): void {
    if (this.#handshakeTimer !== undefined)
      this.#options.scheduler.clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = undefined;
    const discarded = this.#queue.discard();
    if (discarded.frames > 0) this.#options.stats.dropped(discarded.bytes, discarded.frames);
  }
}

/** The bytes of a binary message, or undefined for anything else (text, Blob). */
function toBytes(data: unknown): Uint8Array | undefined {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) {
    return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  }
  return undefined;
}
