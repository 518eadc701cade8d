/**
 * The challenge-response handshake on real sockets (127.0.0.1, port 0): both sides prove the
 * cluster secret, a wrong or missing secret fails in either direction with 4403, a recorded
 * hello and proof do not verify on a new connection, malformed proofs fail with 4400, a client
 * party is refused with 4406, and no unauthenticated socket ever reaches the frame handlers.
 */
import { type ReplicaId, replicaId } from "@convergent/clocks";
import { afterEach, describe, expect, test } from "vitest";
import { WebSocket } from "ws";
import { ClusterSecret } from "./cluster-secret.js";
import {
  CloseCode,
  type ConnectionCloseInfo,
  decodeHandshake,
  encodeHello,
  encodeProof,
  transcript,
} from "./handshake.js";
import { sleep, waitFor } from "./test-support/wait.js";
import type { Transport } from "./transport.js";
import { WebSocketClientTransport } from "./websocket-client.js";
import {
  listenWebSocketServer,
  nodeWebSocketClient,
  type WebSocketServerOptions,
} from "./websocket-node.js";

const SERVER = replicaId("server");
const SECRET = "correct horse battery staple, 32+ bytes long";
const WRONG = "incorrect horse battery staple, 32+ bytes!!";
const cleanups: (() => Promise<unknown> | undefined)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Everything a transport reports, to show that nothing unauthenticated reached it. */
function watch(
  transport: Transport & { onConnectionClosed(h: (i: ConnectionCloseInfo) => void): unknown },
) {
  const seen = { connected: [] as ReplicaId[], frames: 0, closes: [] as ConnectionCloseInfo[] };
  transport.onPeerConnected((peer) => seen.connected.push(peer));
  transport.onFrame(() => {
    seen.frames++;
  });
  transport.onConnectionClosed((info) => seen.closes.push(info));
  return seen;
}

async function server(options: Partial<WebSocketServerOptions> = {}) {
  const transport = await listenWebSocketServer({ localId: SERVER, port: 0, ...options });
  cleanups.push(() => transport.close());
  return { transport, seen: watch(transport) };
}

function client(id: string, url: string, secret: string | undefined, browser = false) {
  const common = {
    localId: replicaId(id),
    url,
    reconnect: { baseDelayMs: 10, maxDelayMs: 50 },
    ...(secret === undefined ? {} : { clusterSecret: secret }),
  };
  const transport = browser
    ? new WebSocketClientTransport({ ...common, WebSocket })
    : nodeWebSocketClient(common);
  cleanups.push(() => transport.close());
  return { transport, seen: watch(transport) };
}

interface Raw {
  socket: WebSocket;
  messages: Uint8Array[];
  closed: Promise<{ code: number; reason: string }>;
}

async function raw(url: string): Promise<Raw> {
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

/** Plays an honest client by hand; returns what it sent, for replaying. */
async function honestByHand(url: string, id: ReplicaId): Promise<Uint8Array[]> {
  const secret = new ClusterSecret(SECRET);
  const nonce = crypto.getRandomValues(new Uint8Array(32));
  const r = await raw(url);
  const hello = encodeHello(id, { auth: "cluster-secret", nonce });
  r.socket.send(hello);
  await waitFor(() => r.messages.length === 2, "the server's hello and proof");
  const serverHello = decodeHandshake(r.messages[0]!);
  if (!serverHello.ok || serverHello.kind !== "hello") throw new Error("no server hello");
  const fields = {
    party: "replica" as const,
    clientNonce: nonce,
    serverNonce: serverHello.hello.nonce,
    clientId: id,
    serverId: SERVER,
  };
  const serverProof = decodeHandshake(r.messages[1]!);
  if (!serverProof.ok || serverProof.kind !== "proof") throw new Error("no server proof");
  expect(
    await secret.verify(
      transcript({ ...fields, direction: "server-to-client" }),
      serverProof.proof,
    ),
  ).toBe(true);
  const proof = encodeProof(
    await secret.prove(transcript({ ...fields, direction: "client-to-server" })),
  );
  r.socket.send(proof);
  await waitFor(() => r.messages.length === 3, "accepted");
  expect(decodeHandshake(r.messages[2]!)).toEqual({ ok: true, kind: "accepted" });
  r.socket.close();
  await r.closed;
  return [hello, proof];
}

describe("cluster-secret handshake", () => {
  test("members with the same secret connect both ways (node and browser clients) and exchange frames", async () => {
    const s = await server({ clusterSecret: SECRET });
    const a = client("a", s.transport.url()!, SECRET);
    const b = client("b", s.transport.url()!, SECRET, true);
    // The server counts a member once it verified its proof; the member, once "accepted"
    // arrives a moment later: wait for both sides.
    await waitFor(
      () =>
        s.transport.peers().length === 2 &&
        a.transport.peers().length === 1 &&
        b.transport.peers().length === 1,
      "both members, on both sides",
    );
    expect(a.transport.peers()).toEqual([SERVER]);
    expect(b.transport.peers()).toEqual([SERVER]);
    expect(a.transport.send(SERVER, Uint8Array.of(1, 2))).toBe("queued");
    expect(s.transport.send(replicaId("b"), Uint8Array.of(3))).toBe("queued");
    await waitFor(() => s.seen.frames === 1 && b.seen.frames === 1, "frames both ways");
  });

  test("a client with the wrong secret is refused with 4403 and never reaches the server's handlers", async () => {
    const s = await server({ clusterSecret: SECRET });
    const intruder = client("a", s.transport.url()!, WRONG);
    await waitFor(() => s.seen.closes.length >= 2, "two refused attempts");
    // The server proves itself first, so the client with the other secret is the one to see it.
    expect(intruder.seen.closes[0]).toMatchObject({ code: CloseCode.NOT_AUTHORIZED, local: true });
    expect(s.seen.closes[0]).toMatchObject({ code: CloseCode.NOT_AUTHORIZED, peer: undefined });
    expect(s.seen.connected).toEqual([]);
    expect(intruder.seen.connected).toEqual([]);
    expect(s.transport.peers()).toEqual([]);
  });

  test("a client without a secret is refused by a server that has one", async () => {
    const s = await server({ clusterSecret: SECRET });
    const anonymous = client("a", s.transport.url()!, undefined);
    await waitFor(() => anonymous.seen.closes.length >= 1, "a refusal");
    expect(anonymous.seen.closes[0]).toMatchObject({
      code: CloseCode.NOT_AUTHORIZED,
      local: false,
    });
    expect(s.seen.connected).toEqual([]);
  });

  test("the server proves itself: a client refuses a server with the wrong secret, or with none", async () => {
    for (const serverSecret of [WRONG, undefined]) {
      const s = await server(serverSecret === undefined ? {} : { clusterSecret: serverSecret });
      const member = client("a", s.transport.url()!, SECRET);
      await waitFor(() => member.seen.closes.length >= 1, "the client to refuse the server");
      expect(member.seen.closes[0]).toMatchObject({ code: CloseCode.NOT_AUTHORIZED, local: true });
      expect(member.seen.connected).toEqual([]);
      expect(member.transport.send(SERVER, Uint8Array.of(1))).toBe("unreachable");
      await member.transport.close();
    }
  });

  test("a recorded hello and proof, replayed on a new connection, are refused", async () => {
    const s = await server({ clusterSecret: SECRET });
    const url = s.transport.url()!;
    const [hello, proof] = await honestByHand(url, replicaId("a"));
    await waitFor(() => s.seen.closes.length === 1, "the honest connection to close");
    expect(s.seen.connected).toEqual(["a"]);
    const replay = await raw(url);
    replay.socket.send(hello!);
    await waitFor(() => replay.messages.length === 2, "a fresh challenge");
    replay.socket.send(proof!);
    expect((await replay.closed).code).toBe(CloseCode.NOT_AUTHORIZED);
    expect(s.seen.connected).toEqual(["a"]);
    expect(s.seen.frames).toBe(0);
  });

  test("truncated proofs, frames before the proof and a second hello break the handshake (4400)", async () => {
    const s = await server({ clusterSecret: SECRET });
    const url = s.transport.url()!;
    const hello = () =>
      encodeHello(replicaId("m"), { auth: "cluster-secret", nonce: new Uint8Array(32) });
    const cases: [string, Uint8Array][] = [
      ["truncated proof", encodeProof(new Uint8Array(16))],
      ["empty proof", encodeProof(new Uint8Array(0))],
      ["a sync frame instead of the proof", Uint8Array.of(0x22, 1, 2, 3)],
      ["a second hello", hello()],
    ];
    for (const [name, message] of cases) {
      const r = await raw(url);
      r.socket.send(hello());
      await waitFor(() => r.messages.length === 2, "the challenge");
      r.socket.send(message);
      expect((await r.closed).code, name).toBe(CloseCode.BAD_HANDSHAKE);
    }
    const early = await raw(url);
    early.socket.send(encodeProof(new Uint8Array(32)));
    expect((await early.closed).code, "a proof before the hello").toBe(CloseCode.BAD_HANDSHAKE);
    expect(s.seen.connected).toEqual([]);
    expect(s.seen.frames).toBe(0);
  });

  test("a client party (bearer token) is refused with 4406 until clients are supported", async () => {
    for (const options of [{ clusterSecret: SECRET }, {}]) {
      const s = await server(options);
      const r = await raw(s.transport.url()!);
      r.socket.send(
        encodeHello(replicaId("tab"), {
          party: "client",
          auth: "bearer-token",
          credential: new TextEncoder().encode("token"),
        }),
      );
      expect((await r.closed).code).toBe(CloseCode.PARTY_NOT_ACCEPTED);
      expect(s.seen.connected).toEqual([]);
    }
  });

  test("membership (authorize) is checked for proven ids too; an unproven socket holds no id", async () => {
    const s = await server({ clusterSecret: SECRET, authorize: (peer) => peer !== "outsider" });
    const outsider = client("outsider", s.transport.url()!, SECRET);
    await waitFor(() => outsider.seen.closes.length >= 1, "the outsider's refusal");
    expect(outsider.seen.closes[0]).toMatchObject({ code: CloseCode.NOT_AUTHORIZED });
    // A socket that sent a hello for "a" but never proves it does not keep "a" out.
    const squatter = await raw(s.transport.url()!);
    squatter.socket.send(
      encodeHello(replicaId("a"), { auth: "cluster-secret", nonce: new Uint8Array(32) }),
    );
    await sleep(50);
    const a = client("a", s.transport.url()!, SECRET);
    await waitFor(() => a.transport.peers().length === 1, "the real a to connect");
    expect(s.transport.peers()).toEqual(["a"]);
  });
});

describe("disconnect", () => {
  test("closes one peer's connection with the given code", async () => {
    const s = await server();
    const a = client("a", s.transport.url()!, undefined);
    await waitFor(() => s.transport.peers().length === 1, "a");
    expect(s.transport.disconnect(replicaId("a"), CloseCode.SYNC_PROTOCOL_ERROR, "bad frame")).toBe(
      true,
    );
    await waitFor(() => a.seen.closes.length === 1, "the close");
    expect(a.seen.closes[0]).toMatchObject({ code: CloseCode.SYNC_PROTOCOL_ERROR, local: false });
    expect(s.transport.disconnect(replicaId("nobody"), 4422, "")).toBe(false);
  });
});
