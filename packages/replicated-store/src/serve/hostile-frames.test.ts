/**
 * Hostile input against a live `convergent serve` process: a client with a valid handshake sends
 * thousands of random frames, mutated valid frames, oversized frames and frames claiming other
 * replicas' dots. The node must keep serving, keep every key it was given, count the frames, and
 * still sync with a legit peer afterwards.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { type ReplicaId, replicaId } from "@convergent/clocks";
import type { ConnectionCloseInfo, WebSocketClientTransport } from "@convergent/sync";
import { nodeWebSocketClient } from "@convergent/sync/websocket-node";
import { afterAll, beforeAll, expect, test } from "vitest";
import {
  HOSTILE_ID,
  HOSTILE_PREFIX,
  hex,
  mutatedFrames,
  randomFrames,
  validFrames,
} from "./test-support/hostile-frames.js";
import {
  bundleCli,
  eventually,
  type ServeProcess,
  type Started,
  startServe,
} from "./test-support/serve-process.js";

const SEED = 0x5eed;
const RANDOM_FRAMES = 2_500;
const MUTATED_FRAMES = 1_500;

let cli: { file: string; remove: () => void };
let root: string;
const started: ServeProcess[] = [];
const clients: WebSocketClientTransport[] = [];

beforeAll(async () => {
  cli = await bundleCli();
  root = mkdtempSync(join(tmpdir(), "convergent-hostile-"));
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  for (const serve of started) if (serve.running) serve.child.kill("SIGKILL");
  await Promise.all(started.map((serve) => serve.exited));
  cli.remove();
  rmSync(root, { recursive: true, force: true });
});

async function start(args: string[]): Promise<Started> {
  const server = await startServe(cli.file, args);
  started.push(server.process);
  return server;
}

async function put(server: Started, key: string, value: unknown): Promise<void> {
  const response = await fetch(`${server.http}/debug/put?key=${encodeURIComponent(key)}`, {
    method: "POST",
    body: JSON.stringify(value),
  });
  expect(response.status).toBe(200);
}

async function get(server: Started, key: string): Promise<unknown> {
  const response = await fetch(`${server.http}/debug/get?key=${encodeURIComponent(key)}`);
  const body = (await response.json()) as { found: boolean; value?: unknown };
  return body.found ? body.value : undefined;
}

/** Every sample of /metrics, by its full name with labels. */
async function metrics(server: Started): Promise<Map<string, number>> {
  const text = await (await fetch(`${server.http}/metrics`)).text();
  const samples = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

async function connectHostile(
  url: string,
  server: ReplicaId,
  localId: ReplicaId = HOSTILE_ID,
): Promise<{ client: WebSocketClientTransport; closes: ConnectionCloseInfo[] }> {
  const client = nodeWebSocketClient({
    localId,
    url,
    reconnect: false,
    // Lets the client hand the node frames beyond the node's own 16 MiB limit.
    maxFrameBytes: 64 * 1024 * 1024,
  });
  clients.push(client);
  const closes: ConnectionCloseInfo[] = [];
  client.onConnectionClosed((info) => closes.push(info));
  await new Promise<void>((resolve) => {
    if (client.peers().includes(server)) resolve();
    else client.onPeerConnected(() => resolve());
  });
  return { client, closes };
}

/** Sends every frame, waiting out a full send queue; returns how many were queued. */
async function sendAll(
  client: WebSocketClientTransport,
  peer: ReplicaId,
  frames: readonly Uint8Array[],
): Promise<number> {
  let queued = 0;
  for (const frame of frames) {
    for (;;) {
      const result = client.send(peer, frame);
      if (result === "queued") {
        queued += 1;
        break;
      }
      if (result !== "queue-full")
        throw new Error(`send refused the frame: ${result} ${hex(frame)}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  return queued;
}

/**
 * Sends each frame on its own connection: the node closes a connection with 4422 at the first
 * frame it rejects, so frames queued behind a rejected one would never be read. `parallel`
 * workers, each under its own id, connect, send one frame, and wait for the node to close the
 * socket (a rejected frame) or, after `settleMs`, close it themselves (an accepted frame: frames
 * before a close are always read). Returns the close codes the node sent, by code.
 */
async function fuzz(
  url: string,
  node: ReplicaId,
  frames: readonly Uint8Array[],
  parallel = 16,
  settleMs = 40,
): Promise<Map<number, number>> {
  const codes = new Map<number, number>();
  let next = 0;
  const worker = async (w: number) => {
    const id = replicaId(`${HOSTILE_ID}-${w}`);
    for (;;) {
      const i = next++;
      const frame = frames[i];
      if (frame === undefined) return;
      const { client, closes } = await connectHostile(url, node, id);
      const closed = new Promise<void>((resolve) => client.onConnectionClosed(() => resolve()));
      expect(client.send(node, frame)).toBe("queued");
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, settleMs))]);
      const remote = closes.find((c) => !c.local);
      if (remote !== undefined) codes.set(remote.code, (codes.get(remote.code) ?? 0) + 1);
      await client.close();
      clients.splice(clients.indexOf(client), 1);
    }
  };
  await Promise.all(Array.from({ length: parallel }, (_, w) => worker(w)));
  return codes;
}

/** A process-wide counter (departed peers included), by its name without labels. */
function total(samples: Map<string, number>, name: string): number {
  for (const [sample, value] of samples) if (sample.split("{")[0] === name) return value;
  return 0;
}

test("random and mutated frames from a handshaken client change nothing and are counted", async () => {
  const nodeId = replicaId("a");
  const peerId = replicaId("b");
  const a = await start(["--id", nodeId, "--port", "0", "--data", join(root, "a"), "--debug"]);

  // Guarded keys: every valid frame the hostile client starts from writes only keys under
  // HOSTILE_PREFIX, so a guarded key could change only if a mutation turned "hostile/..." into
  // "guarded-..." (at least 7 bytes rewritten) *and* left a frame that still decodes, sorts and
  // passes lww-register's fromWire, or if random bytes spelled such a frame: not something a
  // few thousand draws produce. A guarded key that changes is therefore a bug, not luck.
  const guarded = new Map<string, unknown>([
    ["guarded-0", "plain"],
    ["guarded-1", { nested: [1, 2, 3], n: 1.5 }],
    ["guarded-2", 42],
    ["guarded-3", null],
    ["guarded-4", ["x", { y: true }]],
  ]);
  for (const [key, value] of guarded) await put(a, key, value);
  for (const [key, value] of guarded) expect(await get(a, key)).toEqual(value);
  const before = await metrics(a);

  // The valid frames also claim dots of the legit peer that joins later (a relay may carry
  // them). Claims on the node's own dots are the next test's subject.
  // Some are protocol violations when unsolicited (a read response, an acknowledgement).
  const messagesBefore = total(before, "convergent_messages_in_since_start_total");
  const valid = validFrames(HOSTILE_ID, nodeId, [peerId]);
  const validCodes = await fuzz(a.sync, nodeId, valid);
  expect([...validCodes.keys()].filter((code) => code !== 4422)).toEqual([]);
  const mutated = mutatedFrames(valid, MUTATED_FRAMES, SEED);
  const random = randomFrames(RANDOM_FRAMES, SEED + 1);
  // Large but under the transport's 16 MiB: they reach the decoder, which must refuse them
  // without hanging the event loop for long.
  const big = [1, 4, 15].map((mib) => {
    const frame = new Uint8Array(mib * 1024 * 1024).fill(0xa5);
    frame[0] = (2 << 5) | 5; // a delta-push header, then garbage
    return frame;
  });
  const hostile = [...random, ...mutated.map((m) => m.frame), ...big];
  const codes = await fuzz(a.sync, nodeId, hostile);
  // Every frame was read (each on its own connection), and every rejection closed its
  // connection with the documented code, nothing else.
  const read = valid.length + hostile.length;
  await eventually(
    async () =>
      total(await metrics(a), "convergent_messages_in_since_start_total") - messagesBefore >= read
        ? true
        : undefined,
    30_000,
    `${read} frames counted in`,
  );
  const rejected = total(await metrics(a), "convergent_frames_rejected_since_start_total");
  // Every 4422 close is a rejected frame (a slow rejection may land after the worker left).
  const closedFor = [...codes.values(), ...validCodes.values()].reduce((x, y) => x + y, 0);
  expect(rejected).toBeGreaterThanOrEqual(closedFor);
  const { client } = await connectHostile(a.sync, nodeId);
  expect([...codes.keys()].filter((code) => code !== 4422)).toEqual([]);
  expect(codes.get(4422) ?? 0).toBeGreaterThan(hostile.length / 2);

  // A frame over the node's 16 MiB limit closes that connection with 4413, and only that one.
  const oversized = await connectHostile(a.sync, nodeId, replicaId("mallory-2"));
  expect(oversized.client.send(nodeId, new Uint8Array(17 * 1024 * 1024))).toBe("queued");
  await eventually(async () => (oversized.closes.length > 0 ? true : undefined), 10_000, "close");
  expect(oversized.closes[0]?.code).toBe(4413);
  expect(client.peers()).toEqual([nodeId]);

  // Still alive, still serving, every guarded key as it was.
  expect(a.process.running, a.process.stderr).toBe(true);
  expect(a.process.stderr).toBe("");
  // Health still answers. It may be red for one reason only: a member's mutated LWW writes can
  // carry timestamps days in the past, which count as replication lag (docs/security.md).
  const health = await fetch(`${a.http}/health`);
  const report = (await health.json()) as { healthy: boolean; reasons: string[] };
  expect(health.status).toBe(report.healthy ? 200 : 503);
  for (const reason of report.reasons) expect(reason).toMatch(/^replication lag p99 is /);
  for (const [key, value] of guarded) expect(await get(a, key), key).toEqual(value);
  // The valid frames' keys arrived: the node was not just ignoring the connection. Their values
  // may differ from what was sent: a mutation that keeps a frame valid (a flipped bit in a
  // string, a later timestamp) is a legitimate write of a hostile key.
  expect(await get(a, `${HOSTILE_PREFIX}${HOSTILE_ID}/0`)).toBeDefined();
  const after = await metrics(a);
  expect(after.get(`convergent_writes_total{replica="a",level="one"}`)).toBe(
    before.get(`convergent_writes_total{replica="a",level="one"}`),
  );

  // A legit peer joins afterwards and receives every guarded key and a new write, although the
  // hostile frames claimed dots of b.
  const b = await start([
    ...["--id", peerId, "--port", "0", "--data", join(root, "b"), "--debug"],
    ...["--peers", `a=${a.sync}`],
  ]);
  await put(a, "after-attack", "still syncing");
  guarded.set("after-attack", "still syncing");
  for (const [key, value] of guarded) {
    await eventually(
      async () => (isDeepStrictEqual(await get(b, key), value) ? true : undefined),
      30_000,
      `${key} at b`,
    );
  }
  await put(b, "from-b", 7);
  await eventually(
    async () => ((await get(a, "from-b")) === 7 ? true : undefined),
    60_000,
    "from-b at a",
  );
  expect(a.process.running).toBe(true);
}, 180_000);

test("the node's /metrics counts rejected frames", async () => {
  const server = await start(["--id", "r", "--port", "0", "--data", join(root, "r")]);
  const frames = randomFrames(200, SEED + 2).map((f) => Uint8Array.of(0xff, ...f));
  const codes = await fuzz(server.sync, replicaId("r"), frames);
  // A worker that gave up waiting may leave before its 4422 arrives; the node still read the
  // frame (frames before a close always are) and counted it.
  expect([...codes.keys()].filter((code) => code !== 4422)).toEqual([]);
  await eventually(
    async () =>
      total(await metrics(server), "convergent_frames_rejected_since_start_total") === frames.length
        ? true
        : undefined,
    10_000,
    `${frames.length} rejections counted`,
  );
}, 30_000);

test("a peer claiming the node's own keyspace dots does not hide the node's writes from others", async () => {
  const nodeId = replicaId("s");
  const s = await start(["--id", nodeId, "--port", "0", "--data", join(root, "s"), "--debug"]);
  for (let i = 0; i < 3; i++) await put(s, `own-${i}`, i);
  const { client } = await connectHostile(s.sync, nodeId);
  // Valid frames whose entries carry dots (s, 1..3) on hostile keys: s wrote own-0..2 with
  // exactly those dots, and afterwards no longer offers own-0..2 on the fast path.
  await sendAll(client, nodeId, validFrames(HOSTILE_ID, nodeId, [nodeId]));
  await eventually(
    async () => ((await get(s, `${HOSTILE_PREFIX}s/0`)) !== undefined ? true : undefined),
    10_000,
    "spoofed entries applied",
  );
  const peer = await start([
    ...["--id", "t", "--port", "0", "--data", join(root, "t"), "--debug", "--peers", `s=${s.sync}`],
  ]);
  for (let i = 0; i < 3; i++) {
    await eventually(
      async () => ((await get(peer, `own-${i}`)) === i ? true : undefined),
      5_000,
      `own-${i} at t`,
    );
  }
}, 20_000);
