// Compiled by browser-safety.test.ts with the DOM library and no Node types: the browser's own
// WebSocket must satisfy the interface the client transport accepts.
import type { WebSocketConstructor } from "../websocket-like.js";

export const browserWebSocket: WebSocketConstructor = WebSocket;
