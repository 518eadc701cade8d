/**
 * A bounded per-connection send queue. Frames go straight into the socket while its own buffer
 * (`bufferedAmount`) is below a high-water mark; beyond that they wait here, up to `maxFrames`
 * and `maxBytes`, and a full queue refuses new frames instead of growing without bound. Browsers
 * have no drain event, so a backlogged queue polls `bufferedAmount` on a timer.
 */
import { InvalidArgumentError } from "@convergent/core";
import type { Scheduler, TimerHandle } from "./scheduler.js";

export interface SendQueueLimits {
  /** Most frames waiting in the queue. */
  readonly maxFrames: number;
  /** Most bytes waiting in the queue. */
  readonly maxBytes: number;
  /** Frames leave the queue only while the socket buffers fewer bytes than this. */
  readonly highWaterMarkBytes: number;
  /** How often a backlogged queue checks whether the socket has drained. */
  readonly drainPollMs: number;
}

export const DEFAULT_SEND_QUEUE_LIMITS: SendQueueLimits = {
  maxFrames: 1024,
  maxBytes: 8 * 1024 * 1024,
  highWaterMarkBytes: 1024 * 1024,
  drainPollMs: 10,
};

export function sendQueueLimits(changes: Partial<SendQueueLimits> = {}): SendQueueLimits {
  const limits = { ...DEFAULT_SEND_QUEUE_LIMITS, ...changes };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new InvalidArgumentError(`queue ${name} must be a positive integer, got ${value}`);
    }
  }
  return limits;
}

export interface SendSink {
  readonly bufferedAmount: number;
  send(frame: Uint8Array): void;
}

export class SendQueue {
  readonly #sink: SendSink;
  readonly #limits: SendQueueLimits;
  readonly #scheduler: Scheduler;
  #frames: Uint8Array[] = [];
  #head = 0;
  #bytes = 0;
  #timer: TimerHandle | undefined;

  constructor(sink: SendSink, limits: SendQueueLimits, scheduler: Scheduler) {
    this.#sink = sink;
    this.#limits = limits;
    this.#scheduler = scheduler;
  }

  get queuedFrames(): number {
    return this.#frames.length - this.#head;
  }

  get queuedBytes(): number {
    return this.#bytes;
  }

  /** Sends or queues `frame`; false when the queue is full and the frame was not taken. */
  offer(frame: Uint8Array): boolean {
    if (this.queuedFrames === 0 && this.#sink.bufferedAmount < this.#limits.highWaterMarkBytes) {
      this.#sink.send(frame);
      return true;
    }
    if (
      this.queuedFrames >= this.#limits.maxFrames ||
      this.#bytes + frame.byteLength > this.#limits.maxBytes
    ) {
      return false;
    }
    this.#frames.push(frame);
    this.#bytes += frame.byteLength;
    this.#arm();
    return true;
  }

  /** Moves queued frames into the socket while it is below the high-water mark. */
  flush(): void {
    while (
      this.#head < this.#frames.length &&
      this.#sink.bufferedAmount < this.#limits.highWaterMarkBytes
    ) {
      const frame = this.#frames[this.#head]!;
      this.#frames[this.#head] = EMPTY;
      this.#head++;
      this.#bytes -= frame.byteLength;
      this.#sink.send(frame);
    }
    // Drop the consumed prefix once it dominates, keeping shifts amortised O(1).
    if (this.#head > 64 && this.#head * 2 > this.#frames.length) {
      this.#frames = this.#frames.slice(this.#head);
      this.#head = 0;
    }
    if (this.queuedFrames > 0) this.#arm();
  }

  /** Empties the queue and stops polling; returns what was thrown away. */
  discard(): { frames: number; bytes: number } {
    const discarded = { frames: this.queuedFrames, bytes: this.#bytes };
    this.#frames = [];
    this.#head = 0;
    this.#bytes = 0;
    if (this.#timer !== undefined) this.#scheduler.clearTimeout(this.#timer);
    this.#timer = undefined;
    return discarded;
  }

  #arm(): void {
    if (this.#timer !== undefined) return;
    this.#timer = this.#scheduler.setTimeout(() => {
      this.#timer = undefined;
      this.flush();
    }, this.#limits.drainPollMs);
  }
}

const EMPTY = new Uint8Array(0);
