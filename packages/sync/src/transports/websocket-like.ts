/**
 * The part of the WebSocket API the transports use, satisfied by the browser's (and Node 22's)
 * global `WebSocket` and by the `ws` package, so one connection implementation serves both.
 */

// Handler properties are declared through a method so their parameter is checked bivariantly:
// the DOM's `(ev: MessageEvent) => any` and ws's `(event: WebSocket.MessageEvent) => void` both
// fit, although each event type carries more than the transport reads.
type Listener<E> = { bivarianceHack(event: E): void }["bivarianceHack"];

export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  onopen: Listener<unknown> | null;
  onmessage: Listener<{ readonly data: unknown }> | null;
  onclose: Listener<{ readonly code: number; readonly reason: string }> | null;
  onerror: Listener<unknown> | null;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  /** Destroys the connection without a closing handshake (ws only). */
  terminate?(): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** `readyState` values, the same in every implementation. */
export const ReadyState = { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 } as const;
