/**
 * Output commit: a transport wrapper that holds every outgoing frame until every storage write
 * issued before the frame was sent is durable (Strom and Yemini, "Optimistic Recovery in
 * Distributed Systems", 1985: no message may reveal state that a crash could still undo). So a
 * push, a sync answer, a read answer or an acknowledgement never shows a peer a dot this replica
 * could lose, which is what makes a restarted replica's dots safe to continue from, and what
 * makes a peer's acknowledgement mean "durable there". Frames keep their order.
 */
import type { ReplicaId } from "@convergent/clocks";
import type { SendResult, Transport, Unsubscribe } from "@convergent/sync";
import type { MetricsHooks } from "../metrics-hooks.js";

interface HeldFrame {
  readonly peer: ReplicaId;
  readonly frame: Uint8Array;
  readonly needs: number;
}

export class OutputGate implements Transport {
  readonly localId: ReplicaId;
  readonly #inner: Transport;
  readonly #metrics: MetricsHooks;
  readonly #held: HeldFrame[] = [];
  /** Storage writes issued, and the longest prefix of them known committed. */
  #issued = 0;
  #durable = 0;
  /** Set after a failed commit: nothing more is released until a full rewrite commits. */
  #blocked = false;
  readonly #unsubscribe: Unsubscribe;

  constructor(inner: Transport, metrics: MetricsHooks) {
    this.#inner = inner;
    this.#metrics = metrics;
    this.localId = inner.localId;
    this.#unsubscribe = inner.onFrame((peer, frame) =>
      metrics.traffic({ peer, direction: "in", bytes: frame.length }),
    );
  }

  /** Registers a storage write about to be issued; call `durable(ticket)` once it resolved. */
  beginWrite(): number {
    this.#issued += 1;
    return this.#issued;
  }

  /** Storage resolves writes in issue order, so a resolved ticket makes its prefix durable. */
  durable(ticket: number): void {
    if (ticket > this.#durable) this.#durable = ticket;
    if (!this.#blocked) this.#release();
  }

  /** A commit failed: what it held is only in memory, so hold every frame from now on. */
  block(): void {
    this.#blocked = true;
  }

  /** A rewrite of the whole keyspace, issued after every earlier write settled, committed. */
  unblock(ticket: number): void {
    this.#blocked = false;
    this.durable(ticket);
  }

  #release(): void {
    const ticket = this.#durable;
    let released = 0;
    while (released < this.#held.length && (this.#held[released] as HeldFrame).needs <= ticket) {
      const { peer, frame } = this.#held[released] as HeldFrame;
      this.#forward(peer, frame);
      released += 1;
    }
    this.#held.splice(0, released);
  }

  get pendingFrames(): number {
    return this.#held.length;
  }

  send(peer: ReplicaId, frame: Uint8Array): SendResult {
    if (!this.#blocked && this.#durable >= this.#issued && this.#held.length === 0) {
      return this.#forward(peer, frame);
    }
    // "queued" promises nothing about delivery; a frame that later finds its peer gone is lost,
    // exactly as on a connection that breaks with frames in flight.
    this.#held.push({ peer, frame, needs: this.#issued });
    return "queued";
  }

  #forward(peer: ReplicaId, frame: Uint8Array): SendResult {
    const result = this.#inner.send(peer, frame);
    if (result === "queued") this.#metrics.traffic({ peer, direction: "out", bytes: frame.length });
    return result;
  }

  peers(): readonly ReplicaId[] {
    return this.#inner.peers();
  }

  onFrame(handler: (peer: ReplicaId, frame: Uint8Array) => void): Unsubscribe {
    return this.#inner.onFrame(handler);
  }

  onPeerConnected(handler: (peer: ReplicaId) => void): Unsubscribe {
    return this.#inner.onPeerConnected(handler);
  }

  onPeerDisconnected(handler: (peer: ReplicaId) => void): Unsubscribe {
    return this.#inner.onPeerDisconnected(handler);
  }

  stats() {
    return this.#inner.stats();
  }

  /** Detaches; the wrapped transport belongs to the caller and is not closed. */
  async close(): Promise<void> {
    this.#unsubscribe();
    this.#held.length = 0;
  }
}
