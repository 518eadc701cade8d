/**
 * The WebSocket transports for real, on 127.0.0.1 with port 0: the browser-safe client (given
 * ws's constructor, as on Node 20) and the Node client against the Node server.
 */
import { createServer } from "node:net";
import { type ReplicaId, replicaId } from "@convergent/clocks";
import { afterEach, describe, expect, test } from "vitest";
import { WebSocket } from "ws";
import { CloseCode, type ConnectionCloseInfo, encodeHello } from "./handshake.js";
import { TcpProxy } from "./test-support/tcp-proxy.js";
import { TrackingScheduler } from "./test-support/tracking-scheduler.js";
import { activeResources, sleep, waitFor } from "./test-support/wait.js";
import type { Transport } from "./transport.js";
import { type WebSocketClientOptions, WebSocketClientTransport } from "./websocket-client.js";
import {
  listenWebSocketServer,
  nodeWebSocketClient,
  type WebSocketServerOptions,
  type WebSocketServerTransport,
} from "./websocket-node.js";

const SERVER = replicaId("server");
const cleanups: (() => Promise<unknown> | undefined)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(
  options: Partial<WebSocketServerOptions> = {},
): Promise<WebSocketServerTransport> {
  const transport = await listenWebSocketServer({ localId: SERVER, port: 0, ...options });
  cleanups.push(() => transport.close());
  return transport;
}

/** Alternates the two client flavours so both are exercised everywhere. */
function client(
  id: string,
  url: string,
  flavour: "browser" | "node",
  options: Partial<WebSocketClientOptions> = {},
): WebSocketClientTransport {
  const common = {
    localId: replicaId(id),
    url,
    reconnect: { baseDelayMs: 10, maxDelayMs: 50 },
    ...options,
  };
  const transport =
    flavour === "browser"
      ? new WebSocketClientTransport({ ...common, WebSocket })
      : nodeWebSocketClient(common);
  cleanups.push(() => transport.close());
  return transport;
}

const frameOf = (...values: number[]) => new Uint8Array(Uint32Array.from(values).buffer);
const valuesOf = (frame: Uint8Array) => [
  ...new Uint32Array(frame.buffer, frame.byteOffset, frame.byteLength / 4),
];

interface RawClient {
  socket: WebSocket;
  messages: Uint8Array[];
  closed: Promise<{ code: number; reason: string }>;
}

/** A bare ws client that speaks (or breaks) the handshake by hand. */
async function rawClient(url: string): Promise<RawClient> {
  const socket = new WebSocket(url);
  const messages: Uint8Array[] = [];
  socket.on("message", (data: Buffer) => messages.push(new Uint8Array(data)));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  cleanups.push(() => {
    socket.terminate();
    return closed;
  });
  await new Promise((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  return { socket, messages, closed };
}

async function connected(server: Transport, ...clients: Transport[]): Promise<void> {
  await waitFor(
    () =>
      server.peers().length === clients.length &&
      clients.every((c) => c.peers().length === 1 && c.peers()[0] === server.localId),
    "all clients to connect",
  );
}

describe("WebSocket transport on loopback", () => {
  test("a server and two clients exchange frames both ways, attributed by connection", async () => {
    const s = await server();
    const url = s.url()!;
    const c1 = client("c1", url, "browser");
    const c2 = client("c2", url, "node");
    await connected(s, c1, c2);
    expect(s.peers()).toEqual(["c1", "c2"]);

    const atServer: [ReplicaId, number[]][] = [];
    s.onFrame((peer, frame) => {
      atServer.push([peer, valuesOf(frame)]);
      s.send(peer, frameOf(...valuesOf(frame), 999));
    });
    const echoes = new Map<ReplicaId, number[][]>([
      [c1.localId, []],
      [c2.localId, []],
    ]);
    for (const c of [c1, c2]) {
      c.onFrame((peer, frame) => {
        expect(peer).toBe(SERVER);
        echoes.get(c.localId)!.push(valuesOf(frame));
      });
    }
    for (let i = 0; i < 100; i++) {
      expect(c1.send(SERVER, frameOf(1, i))).toBe("queued");
      expect(c2.send(SERVER, frameOf(2, i))).toBe("queued");
    }
    await waitFor(
      () => echoes.get(c1.localId)!.length === 100 && echoes.get(c2.localId)!.length === 100,
      "echoes",
    );
    const range = Array.from({ length: 100 }, (_, i) => i);
    expect(echoes.get(c1.localId)).toEqual(range.map((i) => [1, i, 999]));
    expect(echoes.get(c2.localId)).toEqual(range.map((i) => [2, i, 999]));
    for (const [peer, [origin]] of atServer) expect(peer).toBe(origin === 1 ? "c1" : "c2");
    expect(s.stats()).toMatchObject({ framesReceived: 200, framesSent: 200, framesDropped: 0 });
    expect(c1.stats()).toMatchObject({ framesSent: 100, framesReceived: 100 });
  });

  test("a server relays between three clients", async () => {
    const s = await server();
    const url = s.url()!;
    const clients = [
      client("alpha", url, "browser"),
      client("beta", url, "node"),
      client("gamma", url, "browser"),
    ];
    await connected(s, ...clients);
    s.onFrame((from, frame) => {
      for (const peer of s.peers()) if (peer !== from) s.send(peer, frame.slice());
    });
    const received = clients.map(() => [] as number[][]);
    clients.forEach((c, index) => {
      c.onFrame((_peer, frame) => received[index]!.push(valuesOf(frame)));
    });
    for (let i = 0; i < 30; i++) {
      for (const [index, c] of clients.entries()) c.send(SERVER, frameOf(index, i));
    }
    await waitFor(() => received.every((r) => r.length === 60), "relayed frames");
    received.forEach((frames, index) => {
      for (const other of [0, 1, 2].filter((o) => o !== index)) {
        const fromOther = frames.filter(([origin]) => origin === other).map(([, i]) => i);
        expect(fromOther).toEqual(Array.from({ length: 30 }, (_, i) => i));
      }
    });
    expect(s.stats()).toMatchObject({ framesReceived: 90, framesSent: 180 });
  });

  test("a connection cut mid-stream reconnects with a new handshake and frames flow again", async () => {
    const s = await server();
    const proxy = await TcpProxy.start(s.address()!.port);
    cleanups.push(() => proxy.close());
    const c = client("mobile", `ws://127.0.0.1:${proxy.port}`, "browser");
    const events: string[] = [];
    s.onPeerConnected((peer) => events.push(`server+${peer}`));
    s.onPeerDisconnected((peer) => events.push(`server-${peer}`));
    c.onPeerConnected((peer) => events.push(`client+${peer}`));
    c.onPeerDisconnected((peer) => events.push(`client-${peer}`));
    const closes: ConnectionCloseInfo[] = [];
    c.onConnectionClosed((info) => closes.push(info));
    const atServer: number[] = [];
    s.onFrame((_peer, frame) => atServer.push(valuesOf(frame)[0]!));
    const atClient: number[] = [];
    c.onFrame((_peer, frame) => atClient.push(valuesOf(frame)[0]!));
    await connected(s, c);

    let next = 0;
    const stream = setInterval(() => c.send(SERVER, frameOf(next++)), 1);
    try {
      await waitFor(() => atServer.length >= 30, "frames before the cut");
      proxy.dropAll();
      await waitFor(() => events.includes("client-server"), "the client to notice the cut");
      const lastBeforeCut = atServer.at(-1)!;
      await waitFor(
        () => events.filter((e) => e === "server+mobile").length === 2,
        "the server to see the client again",
      );
      await waitFor(
        () => atServer.some((n) => n > lastBeforeCut + 30),
        "frames after the reconnect",
      );
    } finally {
      clearInterval(stream);
    }
    const count = (event: string) => events.filter((e) => e === event).length;
    expect([count("client+server"), count("server+mobile")]).toEqual([2, 2]);
    expect([count("client-server"), count("server-mobile")]).toEqual([1, 1]);
    expect(events.indexOf("client-server")).toBeLessThan(events.lastIndexOf("client+server"));
    expect(closes).toEqual([{ peer: SERVER, code: 1006, reason: "", local: false }]);
    // Per connection the stream is in order and nothing arrives twice.
    for (let i = 1; i < atServer.length; i++)
      expect(atServer[i]!).toBeGreaterThan(atServer[i - 1]!);
    // The other direction works on the new connection too.
    expect(s.send(c.localId, frameOf(42))).toBe("queued");
    await waitFor(() => atClient.includes(42), "a frame from the server after the reconnect");
  });

  test("bad handshakes are rejected with their close codes; the good connection is untouched", async () => {
    const s = await server({ handshakeTimeoutMs: 200 });
    const url = s.url()!;
    const good = client("good", url, "node");
    await connected(s, good);
    const serverCloses: ConnectionCloseInfo[] = [];
    s.onConnectionClosed((info) => serverCloses.push(info));

    const cases: [string, (raw: RawClient) => void, number][] = [
      ["garbage", (raw) => raw.socket.send(Uint8Array.of(1, 2, 3)), CloseCode.BAD_HANDSHAKE],
      ["text", (raw) => raw.socket.send("hello"), CloseCode.PROTOCOL_ERROR],
      ["invalid id", (raw) => raw.socket.send(helloBytes("bad\nid")), CloseCode.BAD_HANDSHAKE],
      ["server's id", (raw) => raw.socket.send(encodeHello(SERVER)), CloseCode.DUPLICATE_REPLICA],
      [
        "duplicate id",
        (raw) => raw.socket.send(encodeHello(good.localId)),
        CloseCode.DUPLICATE_REPLICA,
      ],
      ["silence", () => {}, CloseCode.HANDSHAKE_TIMEOUT],
    ];
    for (const [name, misbehave, code] of cases) {
      const raw = await rawClient(url);
      misbehave(raw);
      expect((await raw.closed).code, name).toBe(code);
      expect(raw.messages, name).toEqual([]);
    }
    await waitFor(() => serverCloses.length === cases.length, "the server to record every close");
    expect(serverCloses.map((info) => [info.code, info.peer, info.local])).toEqual(
      cases.map(([, , code]) => [code, undefined, true]),
    );
    expect(s.peers()).toEqual(["good"]);
    const atServer: ReplicaId[] = [];
    s.onFrame((peer) => atServer.push(peer));
    good.send(SERVER, frameOf(1));
    await waitFor(() => atServer.length === 1, "a frame from the good client");

    // A transport that announces a taken id hears why and keeps retrying, without connecting.
    const twin = client("good", url, "browser");
    const twinCloses: ConnectionCloseInfo[] = [];
    twin.onConnectionClosed((info) => twinCloses.push(info));
    await waitFor(() => twinCloses.length >= 2, "the twin to be rejected twice");
    expect(twinCloses[0]).toMatchObject({ code: CloseCode.DUPLICATE_REPLICA, local: false });
    expect(twin.peers()).toEqual([]);
  });

  test("authorize decides on the announced id", async () => {
    const s = await server({
      authorize: (peer, request) => peer !== "banned" && request.url === "/",
    });
    const raw = await rawClient(s.url()!);
    raw.socket.send(encodeHello(replicaId("banned")));
    expect((await raw.closed).code).toBe(CloseCode.NOT_AUTHORIZED);
    const ok = client("welcome", s.url()!, "node");
    await connected(s, ok);
  });

  test("frames are attributed to the handshake's id, never to an id inside a frame", async () => {
    const s = await server();
    const raw = await rawClient(s.url()!);
    raw.socket.send(encodeHello(replicaId("mallory")));
    await waitFor(() => raw.messages.length === 1, "the server's hello");
    const frames: [ReplicaId, Uint8Array][] = [];
    s.onFrame((peer, frame) => frames.push([peer, frame]));
    const forged = encodeHello(replicaId("alice"));
    raw.socket.send(forged);
    await waitFor(() => frames.length === 1, "the forged frame");
    expect(frames[0]).toEqual([replicaId("mallory"), forged]);
    expect(s.peers()).toEqual(["mallory"]);
  });

  test("the bounded send queue drops frames while the peer does not read, then drains", async () => {
    const s = await server({
      queue: { maxFrames: 8, maxBytes: 512 * 1024, highWaterMarkBytes: 64 * 1024, drainPollMs: 5 },
    });
    const raw = await rawClient(s.url()!);
    raw.socket.send(encodeHello(replicaId("slow")));
    await waitFor(() => raw.messages.length === 1, "the server's hello");
    raw.socket.pause();
    const slow = replicaId("slow");
    const chunk = new Uint8Array(64 * 1024).fill(7);
    let firstRefusal = -1;
    for (let i = 0; i < 5000 && firstRefusal < 0; i++) {
      if (s.send(slow, chunk) === "queue-full") firstRefusal = i;
    }
    expect(firstRefusal).toBeGreaterThan(0);
    const accepted = s.stats().framesSent;
    expect(accepted).toBe(firstRefusal);
    // Time passes, the peer still reads nothing: the queue stays full and keeps refusing.
    await sleep(100);
    expect(s.send(slow, chunk)).toBe("queue-full");
    expect(s.stats().framesDropped).toBe(2);
    expect(s.stats().bytesDropped).toBe(2 * chunk.length);
    // Once the peer reads again, everything accepted arrives and sending works again.
    raw.socket.resume();
    await waitFor(() => raw.messages.length - 1 === accepted, "the queue to drain", 10_000);
    expect(s.send(slow, chunk)).toBe("queued");
    await waitFor(() => raw.messages.length - 1 === accepted + 1, "the last frame");
  });

  test("frames over maxFrameBytes are refused by send and close the connection when received", async () => {
    const s = await server({ maxFrameBytes: 1024 });
    const c = client("big", s.url()!, "node", { reconnect: false });
    await connected(s, c);
    const closes: ConnectionCloseInfo[] = [];
    c.onConnectionClosed((info) => closes.push(info));
    expect(s.send(c.localId, new Uint8Array(1025))).toBe("too-large");
    expect(s.stats().framesDropped).toBe(1);
    expect(c.send(SERVER, new Uint8Array(2048))).toBe("queued"); // the client's own limit is 16 MiB
    await waitFor(() => closes.length === 1, "the server to close the connection");
    // ws enforces the limit from the frame header; the close carries the documented 4413.
    expect(closes[0]).toMatchObject({
      peer: SERVER,
      code: CloseCode.FRAME_TOO_LARGE,
      local: false,
    });
    expect(s.peers()).toEqual([]);
  });

  test("the heartbeat destroys a connection whose peer stopped answering pings", async () => {
    const s = await server({ heartbeatIntervalMs: 40 });
    const gone: ReplicaId[] = [];
    s.onPeerDisconnected((peer) => gone.push(peer));
    const raw = await rawClient(s.url()!);
    raw.socket.send(encodeHello(replicaId("frozen")));
    await waitFor(() => s.peers().includes(replicaId("frozen")), "the handshake");
    const alive = client("alive", s.url()!, "node");
    await waitFor(() => s.peers().length === 2, "a healthy client");
    raw.socket.pause(); // its pongs stop, as if the process hung or the network vanished
    await waitFor(() => gone.includes(replicaId("frozen")), "the frozen peer to be dropped");
    await sleep(150);
    expect(s.peers()).toEqual([alive.localId]);
  });

  test("close() leaves no sockets, servers or timers behind", async () => {
    // A closed handle leaves the list in libuv's close phase, one loop turn after its callback.
    await nextLoopTurns();
    const before = activeResources();
    const scheduler = new TrackingScheduler();
    const s = await listenWebSocketServer({ localId: SERVER, scheduler, heartbeatIntervalMs: 100 });
    const url = s.url()!;
    const c1 = client("one", url, "browser", { scheduler, queue: { highWaterMarkBytes: 16_384 } });
    const c2 = client("two", url, "node", { scheduler });
    const deadPort = await freePort();
    const c3 = client("three", `ws://127.0.0.1:${deadPort}`, "node", { scheduler });
    await connected(s, c1, c2);
    await waitFor(() => c3.state === "waiting", "the client with no server to wait for a retry");
    // Leave frames in a send queue and in flight, to be discarded by close().
    for (let i = 0; i < 30; i++) c1.send(SERVER, new Uint8Array(50_000));
    await sleep(250); // let heartbeats run
    for (let i = 0; i < 30; i++) c1.send(SERVER, new Uint8Array(50_000));
    expect(s.peers()).toEqual(["one", "two"]);

    await Promise.all([c1.close(), c2.close(), c3.close(), s.close()]);
    expect(scheduler.pending).toBe(0);
    await nextLoopTurns();
    const check = () => {
      const after = activeResources();
      // Vitest keeps a timer of its own that may or may not be pending at either moment.
      expect(after["Timeout"] ?? 0).toBeLessThanOrEqual(before["Timeout"] ?? 0);
      for (const type of ["TCPSocketWrap", "TCPServerWrap"]) {
        expect(after[type] ?? 0, type).toBe(before[type] ?? 0);
      }
    };
    check();
    // Nothing wakes up later either (no reconnect, no heartbeat).
    await sleep(150);
    check();
    expect(s.peers()).toEqual([]);
    expect(c1.send(SERVER, frameOf(1))).toBe("closed");
  });
});

async function nextLoopTurns(): Promise<void> {
  for (let i = 0; i < 2; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** A well-formed hello around an id that need not be valid. */
function helloBytes(id: string): Uint8Array {
  return encodeHello(id as ReplicaId);
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}
