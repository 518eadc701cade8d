/**
 * One WebSocket connection from open to close, on either side: the handshake (see
 * `handshake.ts`), binary framing, the bounded send queue and the timers, all torn down together
 * when the socket closes. The owning transport decides which peers to admit and reacts to the
 * channel's callbacks; it never sees a frame from a socket whose handshake did not complete.
 */
import type { ReplicaId } from "@convergent/clocks";
import { type ClusterSecret, randomBytes } from "./cluster-secret.js";
import {
  CloseCode,
  type ConnectionCloseInfo,
  decodeHandshake,
  encodeAccepted,
  encodeHello,
  encodeProof,
  type Hello,
  NONCE_BYTES,
  type ProofDirection,
  transcript,
} from "./handshake.js";
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
  /**
   * The cluster secret both sides must prove; undefined is insecure mode (ids are taken on
   * trust). A server with a secret refuses clients without one; a client with a secret refuses
   * a server that does not prove it.
   */
  readonly secret: ClusterSecret | undefined;
  /**
   * Decides on the id the peer announced; undefined admits it. A server with a secret asks
   * again once the peer's proof verified, so two sockets racing for one id cannot both win.
   */
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
  /** Where the handshake is: the message expected next. */
  #step: "hello" | "proof" | "accepted" = "hello";
  /** A MAC is being computed or checked; any message meanwhile breaks the handshake. */
  #verifying = false;
  readonly #nonce = randomBytes(NONCE_BYTES);
  #peerHello: Hello | undefined;

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
    if (this.#state === "handshaking") this.socket.send(this.#hello());
  }

  #hello(): Uint8Array {
    return encodeHello(this.#options.localId, {
      party: "replica",
      auth: this.#options.secret === undefined ? "none" : "cluster-secret",
      nonce: this.#nonce,
    });
  }

  /** Whether the handshake is still running (nothing closed it while a MAC was computed). */
  get #handshaking(): boolean {
    return this.#state === "handshaking" && this.#closedLocally === undefined;
  }

  #onMessage(data: unknown): void {
    if (this.#state === "closed" || this.#closedLocally !== undefined) return;
    const bytes = toBytes(data);
    if (bytes === undefined) {
      this.close(CloseCode.PROTOCOL_ERROR, "only binary messages are accepted");
      return;
    }
    if (this.#state === "handshaking") {
      this.#onHandshake(bytes);
      return;
    }
    if (bytes.byteLength > this.#options.maxFrameBytes) {
      this.close(CloseCode.FRAME_TOO_LARGE, "frame exceeds maxFrameBytes");
      return;
    }
    this.#options.stats.received(bytes.byteLength);
    this.#options.frame(this, bytes);
  }

  #onHandshake(bytes: Uint8Array): void {
    if (this.#verifying) {
      this.close(CloseCode.BAD_HANDSHAKE, "message while a handshake proof was being checked");
      return;
    }
    const message = decodeHandshake(bytes);
    if (!message.ok) {
      this.close(CloseCode.BAD_HANDSHAKE, message.problem.slice(0, 120));
      return;
    }
    if (message.kind !== this.#step) {
      this.close(CloseCode.BAD_HANDSHAKE, `expected a ${this.#step} message, got ${message.kind}`);
      return;
    }
    if (message.kind === "hello") {
      this.#onHello(message.hello);
      return;
    }
    if (message.kind === "accepted") {
      this.#open();
      return;
    }
    this.#verifying = true;
    const checked =
      this.#options.role === "server"
        ? this.#onClientProof(message.proof)
        : this.#onServerProof(message.proof);
    checked.catch(() => {
      this.close(CloseCode.BAD_HANDSHAKE, "handshake proof could not be computed");
    });
  }

  #onHello(hello: Hello): void {
    const secret = this.#options.secret;
    const server = this.#options.role === "server";
    if (hello.party !== "replica") {
      this.close(
        server ? CloseCode.PARTY_NOT_ACCEPTED : CloseCode.BAD_HANDSHAKE,
        server ? "this server accepts only cluster replicas" : "the server is not a replica",
      );
      return;
    }
    if (secret !== undefined && hello.auth !== "cluster-secret") {
      this.close(
        CloseCode.NOT_AUTHORIZED,
        server ? "this server requires the cluster secret" : "the server did not offer a proof",
      );
      return;
    }
    if (!server && secret === undefined && hello.auth === "cluster-secret") {
      this.close(CloseCode.NOT_AUTHORIZED, "the server requires a cluster secret; none is set");
      return;
    }
    const rejection = this.#options.admit(hello.replica);
    if (rejection !== undefined) {
      this.close(rejection.code, rejection.reason);
      return;
    }
    this.#peerHello = hello;
    if (secret === undefined) {
      if (server) this.socket.send(this.#hello());
      this.#open();
      return;
    }
    this.#step = "proof";
    if (!server) return;
    // The server proves itself first: its hello and its proof go out together.
    this.#verifying = true;
    secret.prove(this.#transcript("server-to-client")).then(
      (proof) => {
        if (!this.#handshaking) return;
        this.#verifying = false;
        this.socket.send(this.#hello());
        this.socket.send(encodeProof(proof));
      },
      () => this.close(CloseCode.BAD_HANDSHAKE, "handshake proof could not be computed"),
    );
  }

  async #onServerProof(proof: Uint8Array): Promise<void> {
    const secret = this.#options.secret!;
    const verified = await secret.verify(this.#transcript("server-to-client"), proof);
    if (!this.#handshaking) return;
    if (!verified) {
      this.close(CloseCode.NOT_AUTHORIZED, "the server's cluster-secret proof is wrong");
      return;
    }
    const own = await secret.prove(this.#transcript("client-to-server"));
    if (!this.#handshaking) return;
    this.#verifying = false;
    this.#step = "accepted";
    this.socket.send(encodeProof(own));
  }

  async #onClientProof(proof: Uint8Array): Promise<void> {
    const verified = await this.#options.secret!.verify(
      this.#transcript("client-to-server"),
      proof,
    );
    if (!this.#handshaking) return;
    this.#verifying = false;
    if (!verified) {
      this.close(CloseCode.NOT_AUTHORIZED, "wrong cluster-secret proof");
      return;
    }
    const rejection = this.#options.admit(this.#peerHello!.replica);
    if (rejection !== undefined) {
      this.close(rejection.code, rejection.reason);
      return;
    }
    this.socket.send(encodeAccepted());
    this.#open();
  }

  #transcript(direction: ProofDirection): Uint8Array {
    const peer = this.#peerHello!;
    const local = { nonce: this.#nonce, id: this.#options.localId };
    const remote = { nonce: peer.nonce, id: peer.replica };
    const [client, server] = this.#options.role === "client" ? [local, remote] : [remote, local];
    return transcript({
      direction,
      party: "replica",
      clientNonce: client.nonce,
      serverNonce: server.nonce,
      clientId: client.id,
      serverId: server.id,
    });
  }

  #open(): void {
    if (this.#handshakeTimer !== undefined)
      this.#options.scheduler.clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = undefined;
    this.#peer = this.#peerHello!.replica;
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
