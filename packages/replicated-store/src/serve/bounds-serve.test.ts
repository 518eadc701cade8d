/**
 * Issue 12's attacks on the protocol against real `convergent serve` processes on loopback: a
 * raw WebSocket peer (unauthenticated, as loopback allows) sends frames built with the real
 * encoder. Each test is one item of the issue; the node must keep writing, keep serving its
 * keys to honest peers, stay within its bounds and restart on what it persisted.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type CausalContext,
  emptyCausalContext,
  HybridLogicalClock,
  type ReplicaId,
  replicaId,
} from "@convergent/clocks";
import { lwwRegister, set } from "@convergent/lww-register";
import { embedded, embeddedUpdate } from "@convergent/or-map";
import {
  type DottedEntry,
  encodeMessage,
  type SyncMessage,
  type WebSocketClientTransport,
  wholeStateDeltas,
} from "@convergent/sync";
import { nodeWebSocketClient } from "@convergent/sync/websocket-node";
import { afterAll, beforeAll, expect, test } from "vitest";
import { storeKey } from "../store/keys.js";
import { StoreTypes } from "../store/types.js";
import {
  bundleCli,
  eventually,
  type ServeProcess,
  type Started,
  startServe,
} from "./test-support/serve-process.js";

const TOP = Number.MAX_SAFE_INTEGER;
const { registry } = new StoreTypes([]);
const register = embedded(lwwRegister);

let cli: { file: string; remove: () => void };
let root: string;
const started: ServeProcess[] = [];
const clients: WebSocketClientTransport[] = [];

beforeAll(async () => {
  cli = await bundleCli();
  root = mkdtempSync(join(tmpdir(), "convergent-bounds-"));
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  for (const serve of started) if (serve.running) serve.child.kill("SIGKILL");
  await Promise.all(started.map((serve) => serve.exited));
  cli.remove();
  rmSync(root, { recursive: true, force: true });
});

async function start(id: string, extra: string[] = []): Promise<Started> {
  const args = ["--id", id, "--port", "0", "--data", join(root, id), "--debug", ...extra];
  const server = await startServe(cli.file, args);
  started.push(server.process);
  return server;
}

async function stop(server: Started): Promise<void> {
  server.process.child.kill("SIGTERM");
  await server.process.exited;
}

async function put(server: Started, key: string, value: unknown, level = "one"): Promise<number> {
  const url = `${server.http}/debug/put?key=${encodeURIComponent(key)}&level=${level}`;
  const response = await fetch(url, { method: "POST", body: JSON.stringify(value) });
  await response.arrayBuffer();
  return response.status;
}

async function get(server: Started, key: string): Promise<unknown> {
  const response = await fetch(`${server.http}/debug/get?key=${encodeURIComponent(key)}`);
  const body = (await response.json()) as { found: boolean; value?: unknown };
  return body.found ? body.value : undefined;
}

async function connect(server: Started, node: ReplicaId, localId: ReplicaId) {
  const client = nodeWebSocketClient({
    localId,
    url: server.sync,
    reconnect: false,
    maxFrameBytes: 64 * 1024 * 1024,
  });
  clients.push(client);
  let bytesIn = 0;
  client.onFrame((_, frame) => {
    bytesIn += frame.length;
  });
  await new Promise<void>((resolve) => {
    if (client.peers().includes(node)) resolve();
    else client.onPeerConnected(() => resolve());
  });
  const send = (message: SyncMessage) =>
    client.send(node, encodeMessage(message, registry, { sender: localId, receiver: node }));
  return { client, send, bytesIn: () => bytesIn };
}

/** A register entry under `name` claiming keyspace dot (origin, counter). */
function entry(name: string, origin: ReplicaId, counter: number): DottedEntry {
  const clock = new HybridLogicalClock(origin);
  const empty = register.empty();
  const state = embeddedUpdate(empty, origin, set(empty.state, clock, `junk ${name}`));
  const key = storeKey(name, lwwRegister.name);
  return { key, tag: register.name, state, dots: [{ replica: origin, counter }] };
}

function context(vector: [ReplicaId, number][], cloud: [ReplicaId, number[]][] = []) {
  const c = emptyCausalContext();
  for (const [r, n] of vector) c.versionVector.set(r, n);
  for (const [r, ns] of cloud) c.cloud.set(r, new Set(ns));
  return c as CausalContext;
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test("items 1, 3, 4: own-id claims and huge clouds neither wedge, crash nor poison the restart", async () => {
  const n = replicaId("n1");
  let node = await start(n);
  expect(await put(node, "before", 1)).toBe(200);
  const mallory = await connect(node, n, replicaId("mallory"));
  // Item 1: a response claiming the node's own counter at 2^53 - 1, in its context and entries.
  mallory.send({
    kind: "sync-response",
    context: context([[n, TOP]]),
    entries: [entry("own-claim", n, TOP), entry("m", replicaId("mallory"), 1)],
  });
  // Item 4: two responses whose cloud claims together pass the keyspace's cloud bound; item 3:
  // a request of 2.5 million cloud dots, over the per-frame bound.
  const many = (count: number, from: number) =>
    Array.from({ length: count }, (_, i) => from + 2 * i);
  const mallet = replicaId("mallet");
  for (const from of [3, 2_000_003]) {
    mallory.send({
      kind: "sync-response",
      context: context([], [[mallet, many(900_000, from)]]),
      entries: [entry(`backing-${from}`, mallet, 4_000_001)],
    });
  }
  // Last, since a frame refused at decode closes the connection (4422) and drops what follows.
  mallory.send({ kind: "sync-request", context: context([], [[mallet, many(2_500_000, 3)]]) });
  await settle(3000);
  expect(node.process.running, node.process.stderr).toBe(true);
  expect(await put(node, "after", 2)).toBe(200);
  expect(node.process.stderr).toBe("");
  await stop(node);
  node = await start(n);
  expect(await get(node, "before")).toBe(1);
  expect(await put(node, "after-restart", 3)).toBe(200);
}, 40_000);

test("items 2 and 7: far-future claims and junk keys for another replica do not hide its writes", async () => {
  const n = replicaId("n2");
  const victim = replicaId("v2");
  const node = await start(n);
  const mallory = await connect(node, n, replicaId("mallory"));
  mallory.send({ kind: "sync-response", context: context([[victim, 1_000_000_000]]), entries: [] });
  // Junk keys carrying the victim's first dots, pushed before the victim ever writes.
  mallory.send({
    kind: "delta-push",
    seq: 1,
    deps: undefined,
    entries: wholeStateDeltas([entry("junk-a", victim, 1_000_000_000)]),
  });
  await settle(300);
  // Mallory leaves; what it claimed stays. (A connected peer that never answers would also
  // send the node's gossip into backoff, which is not what this test is about.)
  await mallory.client.close();
  expect(await get(node, "junk-a")).toBe("junk junk-a");
  const v = await start(victim, ["--peers", `${n}=${node.sync}`]);
  expect(await put(v, "real", "from the victim")).toBe(200);
  await eventually(
    async () => ((await get(node, "real")) === "from the victim" ? true : undefined),
    40_000,
    "the victim's write at the node",
  );
  // A fresh replica syncing from the node gets it too.
  const fresh = await start("f2", ["--peers", `${n}=${node.sync}`]);
  await eventually(
    async () => ((await get(fresh, "real")) === "from the victim" ? true : undefined),
    40_000,
    "the victim's write at a fresh replica",
  );
}, 100_000);

test("item 5: an id that announced a context and left does not acknowledge writes at all", async () => {
  const n = replicaId("n3");
  const node = await start(n, ["--members", "b3"]);
  const impostor = await connect(node, n, replicaId("b3"));
  impostor.send({ kind: "sync-request", context: context([[n, TOP]]) });
  await settle(300);
  await impostor.client.close();
  await settle(300);
  const started = Date.now();
  const status = await put(node, "acked?", 1, "all");
  expect(status).not.toBe(200);
  expect(Date.now() - started).toBeGreaterThan(500);
}, 30_000);

test("item 9 and item 10: a flood of requests and unmet causal pushes stay within bounds", async () => {
  const n = replicaId("n4");
  const node = await start(n);
  const payload = "x".repeat(2_000);
  for (let i = 0; i < 50; i++) expect(await put(node, `big-${i}`, `${payload}${i}`)).toBe(200);
  const mallory = await connect(node, n, replicaId("mallory"));
  // One answer, to size the flood against.
  mallory.send({ kind: "sync-request", context: emptyCausalContext() });
  await eventually(async () => (mallory.bytesIn() > 50 * 2_000 ? true : undefined), 5_000, "one");
  const one = mallory.bytesIn();
  for (let i = 0; i < 300; i++)
    mallory.send({ kind: "sync-request", context: emptyCausalContext() });
  await settle(2000);
  const answers = (mallory.bytesIn() - one) / one;
  // 300 requests; the defaults answer a burst of 16 and 8 a second after it.
  expect(answers).toBeLessThanOrEqual(16 + 2 * 8 + 2);
  // Pushes whose dependencies never arrive: bounded per connection, dropped when it closes.
  const pad = "p".repeat(100_000);
  for (let seq = 1; seq <= 300; seq++) {
    mallory.send({
      kind: "delta-push",
      seq,
      deps: context([[replicaId("nobody"), 1_000_000]]),
      entries: wholeStateDeltas([
        entry(`unmet-${seq}-${pad}`.slice(0, 3000), replicaId("mallory"), seq),
      ]),
    });
  }
  await settle(1000);
  await mallory.client.close();
  const honest = await start("h4", ["--peers", `${n}=${node.sync}`]);
  expect(await put(honest, "honest", 1)).toBe(200);
  await eventually(
    async () => ((await get(node, "honest")) === 1 ? true : undefined),
    5_000,
    "honest",
  );
  expect(node.process.running, node.process.stderr).toBe(true);
}, 40_000);
