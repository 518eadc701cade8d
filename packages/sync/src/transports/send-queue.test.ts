import { InvalidArgumentError } from "@convergent/core";
import { describe, expect, test } from "vitest";
import { SendQueue, type SendSink, sendQueueLimits } from "./send-queue.js";
import { VirtualScheduler } from "./virtual-scheduler.js";

/** A socket whose buffer the test drains by hand. */
class FakeSink implements SendSink {
  bufferedAmount = 0;
  readonly sent: number[] = [];
  send(frame: Uint8Array): void {
    this.sent.push(frame[0]!);
    this.bufferedAmount += frame.byteLength;
  }
}

const frame = (id: number, size = 10) => new Uint8Array(size).fill(id);

describe("SendQueue", () => {
  const limits = sendQueueLimits({
    maxFrames: 3,
    maxBytes: 25,
    highWaterMarkBytes: 20,
    drainPollMs: 5,
  });

  test("writes through below the high-water mark, queues above it, refuses when full", () => {
    const sink = new FakeSink();
    const scheduler = new VirtualScheduler();
    const queue = new SendQueue(sink, limits, scheduler);
    expect(queue.offer(frame(1))).toBe(true);
    expect(queue.offer(frame(2))).toBe(true);
    expect(sink.sent).toEqual([1, 2]);
    // The socket now buffers 20 bytes, at the mark: further frames wait.
    expect(queue.offer(frame(3))).toBe(true);
    expect(queue.offer(frame(4))).toBe(true);
    expect(queue.offer(frame(5, 6))).toBe(false); // 26 bytes > maxBytes
    expect(queue.offer(frame(6, 5))).toBe(true);
    expect(queue.offer(frame(7, 1))).toBe(false); // 3 frames = maxFrames
    expect(queue.queuedFrames).toBe(3);
    expect(queue.queuedBytes).toBe(25);
    expect(sink.sent).toEqual([1, 2]);
  });

  test("drains in order once the socket's buffer empties, polling on the scheduler", () => {
    const sink = new FakeSink();
    const scheduler = new VirtualScheduler();
    const queue = new SendQueue(sink, limits, scheduler);
    for (const id of [1, 2, 3, 4, 5]) queue.offer(frame(id, 8));
    expect(sink.sent).toEqual([1, 2, 3]);
    scheduler.advance(5);
    expect(sink.sent).toEqual([1, 2, 3]);
    sink.bufferedAmount = 0;
    scheduler.advance(5);
    expect(sink.sent).toEqual([1, 2, 3, 4, 5]);
    expect(queue.queuedFrames).toBe(0);
    expect(scheduler.pending()).toBe(0);
  });

  test("discard empties the queue, reports what it dropped and stops polling", () => {
    const sink = new FakeSink();
    sink.bufferedAmount = 100;
    const scheduler = new VirtualScheduler();
    const queue = new SendQueue(sink, limits, scheduler);
    queue.offer(frame(1));
    queue.offer(frame(2, 4));
    expect(scheduler.pending()).toBe(1);
    expect(queue.discard()).toEqual({ frames: 2, bytes: 14 });
    expect(scheduler.pending()).toBe(0);
    expect(queue.queuedBytes).toBe(0);
  });

  test("many frames pass through in order (amortised compaction)", () => {
    const sink = new FakeSink();
    const scheduler = new VirtualScheduler();
    const big = sendQueueLimits({ maxFrames: 10_000, maxBytes: 1e9, highWaterMarkBytes: 1 });
    const queue = new SendQueue(sink, big, scheduler);
    sink.bufferedAmount = 1;
    for (let i = 0; i < 1000; i++) queue.offer(frame(i % 256, 1));
    let rounds = 0;
    while (queue.queuedFrames > 0) {
      sink.bufferedAmount = 0;
      queue.flush();
      rounds++;
    }
    expect(rounds).toBe(1000);
    expect(sink.sent).toEqual(Array.from({ length: 1000 }, (_, i) => i % 256));
  });

  test("invalid limits are rejected", () => {
    expect(() => sendQueueLimits({ maxFrames: 0 })).toThrow(InvalidArgumentError);
    expect(() => sendQueueLimits({ maxBytes: 1.5 })).toThrow(InvalidArgumentError);
  });
});
