import { type ReplicaId, replicaId } from "@convergent/clocks";
import { InvalidArgumentError } from "@convergent/core";
import { beforeEach, describe, expect, test } from "vitest";
import { CloseCode, type ConnectionCloseInfo, decodeHello, encodeHello } from "./handshake.js";
import { FakeWebSocket } from "./test-support/fake-websocket.js";
import { VirtualScheduler } from "./virtual-scheduler.js";
import { type WebSocketClientOptions, WebSocketClientTransport } from "./websocket-client.js";

const CLIENT = replicaId("client");
const SERVER = replicaId("server");
let scheduler: VirtualScheduler;

beforeEach(() => {
  scheduler = new VirtualScheduler();
  FakeWebSocket.reset(scheduler);
});

function client(options: Partial<WebSocketClientOptions> = {}): WebSocketClientTransport {
  return new WebSocketClientTransport({
    localId: CLIENT,
    url: "ws://server.test/sync",
    WebSocket: FakeWebSocket,
    scheduler,
    random: () => 0.5,
    reconnect: { baseDelayMs: 100, maxDelayMs: 1000 },
    ...options,
  });
}

/** Plays a server that accepts the latest socket and answers its hello with `serverId`. */
function handshake(serverId: ReplicaId = SERVER): FakeWebSocket {
  const socket = FakeWebSocket.latest;
  socket.accept();
  scheduler.advance(0);
  socket.receive(encodeHello(serverId));
  scheduler.advance(0);
  return socket;
}

/** Lets pending promise callbacks run (a real macrotask boundary). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

function closes(transport: WebSocketClientTransport): ConnectionCloseInfo[] {
  const infos: ConnectionCloseInfo[] = [];
  transport.onConnectionClosed((info) => infos.push(info));
  return infos;
}

describe("WebSocketClientTransport (scripted sockets)", () => {
  test("sends its hello first, then connects to the id the server announced", () => {
    const transport = client();
    const connected: ReplicaId[] = [];
    transport.onPeerConnected((peer) => connected.push(peer));
    expect(transport.state).toBe("connecting");
    expect(transport.send(SERVER, Uint8Array.of(1))).toBe("unreachable");
    const socket = handshake();
    expect(socket.binaryType).toBe("arraybuffer");
    expect(decodeHello(socket.sent[0]!)).toMatchObject({
      ok: true,
      replica: CLIENT,
      party: "replica",
      auth: "none",
    });
    expect(connected).toEqual([SERVER]);
    expect(transport.peers()).toEqual([SERVER]);
    expect(transport.state).toBe("open");
    expect(transport.send(SERVER, Uint8Array.of(7, 7))).toBe("queued");
    expect(transport.send(replicaId("other"), Uint8Array.of(1))).toBe("unreachable");
    expect(socket.sent.slice(1)).toEqual([Uint8Array.of(7, 7)]);
    expect(transport.stats()).toMatchObject({ framesSent: 1, bytesSent: 2, framesDropped: 2 });
  });

  test("frames are attributed to the connection's peer, whatever they contain", () => {
    const transport = client();
    const frames: [ReplicaId, number[]][] = [];
    transport.onFrame((peer, frame) => frames.push([peer, [...frame]]));
    const socket = handshake();
    const impostor = encodeHello(replicaId("mallory"));
    socket.receive(impostor.buffer);
    socket.receive(Uint8Array.of(1, 2, 3));
    scheduler.advance(0);
    expect(frames).toEqual([
      [SERVER, [...impostor]],
      [SERVER, [1, 2, 3]],
    ]);
    expect(transport.stats().framesReceived).toBe(2);
  });

  test("a bad or unexpected server hello is refused with the matching close code", () => {
    const cases: [string, () => void, number, Partial<WebSocketClientOptions>][] = [
      [
        "garbage",
        () => FakeWebSocket.latest.receive(Uint8Array.of(1, 2)),
        CloseCode.BAD_HANDSHAKE,
        {},
      ],
      ["text", () => FakeWebSocket.latest.receive("hello"), CloseCode.PROTOCOL_ERROR, {}],
      [
        "own id",
        () => FakeWebSocket.latest.receive(encodeHello(CLIENT)),
        CloseCode.DUPLICATE_REPLICA,
        {},
      ],
      [
        "unexpected peer",
        () => FakeWebSocket.latest.receive(encodeHello(replicaId("evil"))),
        CloseCode.NOT_AUTHORIZED,
        { expectedPeer: SERVER },
      ],
    ];
    for (const [name, misbehave, code, options] of cases) {
      FakeWebSocket.reset(scheduler);
      const transport = client(options);
      const connected: ReplicaId[] = [];
      transport.onPeerConnected((peer) => connected.push(peer));
      const infos = closes(transport);
      FakeWebSocket.latest.accept();
      scheduler.advance(0);
      misbehave();
      scheduler.advance(0);
      expect(FakeWebSocket.latest.closedWith?.code, name).toBe(code);
      expect(infos, name).toEqual([
        { peer: undefined, code, reason: expect.any(String), local: true },
      ]);
      expect(connected, name).toEqual([]);
      expect(transport.state, name).toBe("waiting");
      void transport.close();
    }
  });

  test("a silent server is closed after handshakeTimeoutMs", () => {
    const transport = client({ handshakeTimeoutMs: 500 });
    const infos = closes(transport);
    FakeWebSocket.latest.accept();
    scheduler.advance(499);
    expect(infos).toEqual([]);
    scheduler.advance(1);
    scheduler.advance(0);
    expect(infos.map((info) => info.code)).toEqual([CloseCode.HANDSHAKE_TIMEOUT]);
  });

  test("a received frame over maxFrameBytes closes the connection", () => {
    const transport = client({ maxFrameBytes: 4 });
    const frames: number[] = [];
    transport.onFrame((_peer, frame) => frames.push(frame.length));
    const gone: ReplicaId[] = [];
    transport.onPeerDisconnected((peer) => gone.push(peer));
    const socket = handshake();
    socket.receive(new Uint8Array(4));
    socket.receive(new Uint8Array(5));
    scheduler.advance(0);
    expect(frames).toEqual([4]);
    expect(socket.closedWith?.code).toBe(CloseCode.FRAME_TOO_LARGE);
    expect(gone).toEqual([SERVER]);
    expect(transport.send(SERVER, new Uint8Array(5))).toBe("too-large");
  });

  test("reconnects with exponential backoff and full jitter, resetting after a handshake", () => {
    // random() = 0.5, so each delay is half its ceiling: 50, 100, 200, 400, then capped at 500.
    const transport = client();
    const infos = closes(transport);
    for (let i = 0; i < 6; i++) {
      FakeWebSocket.latest.fail();
      scheduler.advance(0);
      scheduler.advance(scheduler.nextDue()! - scheduler.now());
    }
    const starts = FakeWebSocket.created.map((socket) => socket.createdAt);
    const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
    expect(gaps).toEqual([50, 100, 200, 400, 500, 500]);
    expect(infos.every((info) => info.code === 1006 && !info.local)).toBe(true);

    const connected: ReplicaId[] = [];
    const disconnected: ReplicaId[] = [];
    transport.onPeerConnected((peer) => connected.push(peer));
    transport.onPeerDisconnected((peer) => disconnected.push(peer));
    handshake();
    FakeWebSocket.latest.fail();
    scheduler.advance(0);
    expect(disconnected).toEqual([SERVER]);
    scheduler.advance(50);
    expect(FakeWebSocket.created.length).toBe(8);
    // The new connection repeats the handshake and announces the peer again.
    handshake();
    expect(decodeHello(FakeWebSocket.latest.sent[0]!)).toMatchObject({ ok: true, replica: CLIENT });
    expect(connected).toEqual([SERVER, SERVER]);
  });

  test("a throwing handler surfaces its error but does not stop reconnecting", () => {
    const transport = client();
    transport.onConnectionClosed(() => {
      throw new Error("handler bug");
    });
    FakeWebSocket.latest.fail();
    expect(() => scheduler.advance(0)).toThrow("handler bug");
    expect(transport.state).toBe("waiting");
    scheduler.advance(50);
    expect(FakeWebSocket.created.length).toBe(2);
  });

  test("reconnect: false stays closed after the first break", () => {
    const transport = client({ reconnect: false });
    FakeWebSocket.latest.fail();
    scheduler.runUntilIdle();
    expect(FakeWebSocket.created.length).toBe(1);
    expect(transport.state).toBe("closed");
  });

  test("close() cancels a pending reconnect and leaves no timers; later sends say closed", async () => {
    const transport = client();
    FakeWebSocket.latest.fail();
    scheduler.advance(0);
    expect(transport.state).toBe("waiting");
    expect(scheduler.pending()).toBe(1);
    await transport.close();
    expect(scheduler.pending()).toBe(0);
    expect(transport.state).toBe("closed");
    expect(transport.send(SERVER, Uint8Array.of(1))).toBe("closed");
    expect(transport.close()).toBe(transport.close());
  });

  test("close() on an open connection runs the closing handshake without firing events", async () => {
    const transport = client();
    const disconnected: ReplicaId[] = [];
    transport.onPeerDisconnected((peer) => disconnected.push(peer));
    const socket = handshake();
    const closing = transport.close();
    scheduler.advance(0);
    await closing;
    expect(socket.closedWith?.code).toBe(CloseCode.NORMAL);
    expect(disconnected).toEqual([]);
    expect(scheduler.pending()).toBe(0);
    expect(FakeWebSocket.created.length).toBe(1);
  });

  test("close() destroys a socket whose closing handshake does not finish", async () => {
    const transport = client({ closeTimeoutMs: 100 });
    const socket = handshake();
    socket.close = () => {}; // a peer that never answers the close frame
    let terminated = false;
    socket.terminate = () => {
      terminated = true;
      socket.fail();
    };
    const closing = transport.close();
    scheduler.advance(99);
    await settle();
    expect(terminated).toBe(false);
    scheduler.advance(1);
    await settle();
    scheduler.advance(0);
    await closing;
    expect(terminated).toBe(true);
    expect(scheduler.pending()).toBe(0);
  });

  test("invalid options are rejected up front", () => {
    const bad: Partial<WebSocketClientOptions>[] = [
      { url: "http://example.com" },
      { url: "not a url" },
      { localId: "" as ReplicaId },
      { expectedPeer: "x".repeat(100) as ReplicaId },
      { maxFrameBytes: 0 },
      { handshakeTimeoutMs: -1 },
      { reconnect: { baseDelayMs: -5 } },
      { queue: { maxFrames: 0 } },
    ];
    for (const options of bad) {
      expect(() => client(options), JSON.stringify(options)).toThrow(InvalidArgumentError);
    }
    expect(FakeWebSocket.created.length).toBe(0);
  });

  test("without a WebSocket option or global WebSocket the constructor explains what to pass", () => {
    const global = globalThis as { WebSocket?: unknown };
    const saved = global.WebSocket;
    delete global.WebSocket;
    try {
      expect(
        () => new WebSocketClientTransport({ localId: CLIENT, url: "ws://localhost:1" }),
      ).toThrow(/WebSocket/);
    } finally {
      if (saved !== undefined) global.WebSocket = saved;
    }
  });
});
