/**
 * A `Transport` between tabs of one origin over a `BroadcastChannel`: every tab posts to one
 * channel, and a message names its sender, its sender's instance and (for frames) its receiver.
 * Peers find each other by announcements; a tab that goes silent for `silenceMs` (closed without
 * `pagehide`, frozen) is disconnected, and a reloaded tab (same id, new instance) is a new
 * connection, so the sync engine resynchronises with it as the Transport contract expects.
 */
import { compareReplicaIds, type ReplicaId, replicaIdProblem } from "@convergent/clocks";
import {
  Emitter,
  realTimeScheduler,
  type Scheduler,
  type SendResult,
  type TimerHandle,
  type Transport,
  type TransportStats,
  type Unsubscribe,
} from "@convergent/sync";

export interface BroadcastChannelTransportOptions {
  readonly localId: ReplicaId;
  /** Channel name; every tab using the same name can reach the others. */
  readonly channel?: string;
  /** How often this tab announces itself (default 1000 ms). */
  readonly announceMs?: number;
  /** A peer unheard for this long is disconnected (default 4000 ms). */
  readonly silenceMs?: number;
  readonly scheduler?: Scheduler;
}

type Message =
  | { readonly kind: "hello" | "bye"; readonly from: string; readonly instance: string }
  | {
      readonly kind: "frame";
      readonly from: string;
      readonly instance: string;
      readonly to: string;
      readonly frame: Uint8Array;
    };

type Events = {
  frame: [peer: ReplicaId, frame: Uint8Array];
  connected: [peer: ReplicaId];
  disconnected: [peer: ReplicaId];
};

interface PeerState {
  instance: string;
  lastHeardMs: number;
}

export class BroadcastChannelTransport implements Transport {
  readonly localId: ReplicaId;
  readonly #channel: BroadcastChannel;
  readonly #instance = crypto.randomUUID();
  readonly #scheduler: Scheduler;
  readonly #announceMs: number;
  readonly #silenceMs: number;
  readonly #peers = new Map<ReplicaId, PeerState>();
  readonly #events = new Emitter<Events>();
  readonly #stats = { framesSent: 0, bytesSent: 0, framesReceived: 0, bytesReceived: 0 };
  #dropped = { frames: 0, bytes: 0 };
  #timer: TimerHandle | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: BroadcastChannelTransportOptions) {
    const problem = replicaIdProblem(options.localId);
    if (problem !== undefined) throw new TypeError(`localId: ${problem}`);
    this.localId = options.localId;
    this.#scheduler = options.scheduler ?? realTimeScheduler;
    this.#announceMs = options.announceMs ?? 1000;
    this.#silenceMs = options.silenceMs ?? 4000;
    this.#channel = new BroadcastChannel(options.channel ?? "convergent");
    this.#channel.onmessage = (event: MessageEvent<Message>) => this.#receive(event.data);
    this.#announce();
  }

  send(peer: ReplicaId, frame: Uint8Array): SendResult {
    const refusal =
      this.#closing !== undefined ? "closed" : this.#peers.has(peer) ? undefined : "unreachable";
    if (refusal !== undefined) {
      this.#dropped = {
        frames: this.#dropped.frames + 1,
        bytes: this.#dropped.bytes + frame.byteLength,
      };
      return refusal;
    }
    this.#post({ kind: "frame", from: this.localId, instance: this.#instance, to: peer, frame });
    this.#stats.framesSent += 1;
    this.#stats.bytesSent += frame.byteLength;
    return "queued";
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

  stats(): TransportStats {
    return {
      ...this.#stats,
      framesDropped: this.#dropped.frames,
      bytesDropped: this.#dropped.bytes,
    };
  }

  /** Says goodbye (so other tabs disconnect at once rather than after `silenceMs`) and stops. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#timer !== undefined) this.#scheduler.clearTimeout(this.#timer);
      this.#post({ kind: "bye", from: this.localId, instance: this.#instance });
      this.#events.clear();
      this.#peers.clear();
      this.#channel.close();
    })();
    return this.#closing;
  }

  #post(message: Message): void {
    this.#channel.postMessage(message);
  }

  #announce(): void {
    this.#post({ kind: "hello", from: this.localId, instance: this.#instance });
    const now = this.#scheduler.now();
    for (const [peer, state] of [...this.#peers]) {
      if (now - state.lastHeardMs > this.#silenceMs) this.#drop(peer);
    }
    this.#timer = this.#scheduler.setTimeout(() => this.#announce(), this.#announceMs);
  }

  #receive(message: Message): void {
    if (this.#closing !== undefined || replicaIdProblem(message.from) !== undefined) return;
    const peer = message.from as ReplicaId;
    if (peer === this.localId) return;
    if (message.kind === "bye") {
      if (this.#peers.get(peer)?.instance === message.instance) this.#drop(peer);
      return;
    }
    if (message.kind === "frame" && message.to !== this.localId) return;
    const known = this.#peers.get(peer);
    if (known !== undefined && known.instance !== message.instance) this.#drop(peer);
    const state = this.#peers.get(peer);
    if (state === undefined) {
      this.#peers.set(peer, { instance: message.instance, lastHeardMs: this.#scheduler.now() });
      // Answer at once, so the newcomer need not wait for our next announcement.
      this.#post({ kind: "hello", from: this.localId, instance: this.#instance });
      this.#events.emit("connected", peer);
    } else {
      state.lastHeardMs = this.#scheduler.now();
    }
    if (message.kind === "frame" && message.frame instanceof Uint8Array) {
      this.#stats.framesReceived += 1;
      this.#stats.bytesReceived += message.frame.byteLength;
      this.#events.emit("frame", peer, message.frame);
    }
  }

  #drop(peer: ReplicaId): void {
    if (!this.#peers.delete(peer)) return;
    this.#events.emit("disconnected", peer);
  }
}
