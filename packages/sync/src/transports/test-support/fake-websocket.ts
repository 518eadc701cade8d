import type { Scheduler } from "../scheduler.js";
import { ReadyState, type WebSocketLike } from "../websocket-like.js";

type Handler<E> = ((event: E) => void) | null;

/**
 * A scripted WebSocket for unit tests of the client transport: the test plays the server by
 * calling `accept`, `receive` and `fail`; events are delivered through the (virtual) scheduler
 * like a real socket's would be, asynchronously.
 */
export class FakeWebSocket implements WebSocketLike {
  static scheduler: Scheduler;
  static readonly created: FakeWebSocket[] = [];

  readonly url: string;
  binaryType = "blob";
  readyState: number = ReadyState.CONNECTING;
  bufferedAmount = 0;
  onopen: Handler<unknown> = null;
  onmessage: Handler<{ readonly data: unknown }> = null;
  onclose: Handler<{ readonly code: number; readonly reason: string }> = null;
  onerror: Handler<unknown> = null;
  readonly sent: Uint8Array[] = [];
  closedWith: { code: number | undefined; reason: string | undefined } | undefined;
  readonly createdAt: number;
  /** Absent like in browsers; a test may install one. */
  terminate?: () => void;

  constructor(url: string) {
    this.url = url;
    this.createdAt = FakeWebSocket.scheduler.now();
    FakeWebSocket.created.push(this);
  }

  static reset(scheduler: Scheduler): void {
    FakeWebSocket.scheduler = scheduler;
    FakeWebSocket.created.length = 0;
  }

  static get latest(): FakeWebSocket {
    const socket = FakeWebSocket.created.at(-1);
    if (socket === undefined) throw new Error("no socket was created");
    return socket;
  }

  send(data: Uint8Array): void {
    if (this.readyState !== ReadyState.OPEN) throw new Error("send on a socket that is not open");
    this.sent.push(data.slice());
  }

  close(code?: number, reason?: string): void {
    if (this.readyState >= ReadyState.CLOSING) return;
    this.closedWith = { code, reason };
    this.readyState = ReadyState.CLOSING;
    this.#later(() => this.#closed(code ?? 1005, reason ?? ""));
  }

  /** The server side opens the connection. */
  accept(): void {
    this.#later(() => {
      this.readyState = ReadyState.OPEN;
      this.onopen?.({});
    });
  }

  /** The server sends a message. */
  receive(data: unknown): void {
    this.#later(() => {
      if (this.readyState === ReadyState.OPEN) this.onmessage?.({ data });
    });
  }

  /** The connection fails or the server closes it. */
  fail(code = 1006, reason = ""): void {
    this.#later(() => {
      this.onerror?.({});
      this.#closed(code, reason);
    });
  }

  #closed(code: number, reason: string): void {
    if (this.readyState === ReadyState.CLOSED) return;
    this.readyState = ReadyState.CLOSED;
    this.onclose?.({ code, reason });
  }

  #later(action: () => void): void {
    FakeWebSocket.scheduler.setTimeout(action, 0);
  }
}
