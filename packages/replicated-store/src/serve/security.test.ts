/**
 * Issue 12 against real `convergent serve` processes on 127.0.0.1: the attacks of items 5, 6,
 * 10 (transport parts) and 11 fail now; secure by default; TLS; /health redaction; bearer token.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ReplicaId, replicaId } from "@convergent/clocks";
import { CloseCode, type ConnectionCloseInfo } from "@convergent/sync";
import { nodeWebSocketClient } from "@convergent/sync/websocket-node";
import { afterAll, beforeAll, expect, test } from "vitest";
import {
  bundleCli,
  eventually,
  ServeProcess,
  type Started,
  startServe,
} from "./test-support/serve-process.js";

const SECRET = "a-cluster-secret-of-more-than-32-bytes!";
let cli: { file: string; remove: () => void };
let root: string;
let secretFile: string;
const started: ServeProcess[] = [];
const clients: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  cli = await bundleCli();
  root = mkdtempSync(join(tmpdir(), "convergent-security-"));
  secretFile = join(root, "cluster.secret");
  writeFileSync(secretFile, `${SECRET}\n`);
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  for (const serve of started) if (serve.running) serve.child.kill("SIGKILL");
  await Promise.all(started.map((serve) => serve.exited));
  cli.remove();
  rmSync(root, { recursive: true, force: true });
});

let dirs = 0;
async function start(id: string, args: string[] = []): Promise<Started> {
  const server = await startServe(cli.file, [
    ...["--id", id, "--port", "0", "--data", join(root, `${id}-${dirs++}`), "--debug"],
    ...args,
  ]);
  started.push(server.process);
  return server;
}

async function put(server: Started, key: string, value: unknown, level = "one"): Promise<number> {
  const query = `key=${encodeURIComponent(key)}&level=${level}`;
  const response = await fetch(`${server.http}/debug/put?${query}`, {
    method: "POST",
    body: JSON.stringify(value),
  });
  await response.text();
  return response.status;
}

async function get(server: Started, key: string): Promise<unknown> {
  const response = await fetch(`${server.http}/debug/get?key=${encodeURIComponent(key)}`);
  const body = (await response.json()) as { found: boolean; value?: unknown };
  return body.found ? body.value : undefined;
}

/** A hand-driven replica connection to `url` as `id`: what an attacker (or a member) runs. */
function dial(url: string, id: string, options: { secret?: string; maxFrameBytes?: number } = {}) {
  const closes: ConnectionCloseInfo[] = [];
  const connected: ReplicaId[] = [];
  const client = nodeWebSocketClient({
    localId: replicaId(id),
    url,
    reconnect: false,
    ...(options.secret === undefined ? {} : { clusterSecret: options.secret }),
    ...(options.maxFrameBytes === undefined ? {} : { maxFrameBytes: options.maxFrameBytes }),
  });
  client.onConnectionClosed((info) => closes.push(info));
  client.onPeerConnected((peer) => connected.push(peer));
  clients.push(client);
  return { client, closes, connected };
}

const closedWith = (closes: ConnectionCloseInfo[]) =>
  eventually(async () => closes[0]?.code, 10_000, "the connection to close");

test("item 6: an impostor cannot take a member's id; a wrong or missing secret is refused with 4403", async () => {
  const a = await start("a", ["--cluster-secret-file", secretFile, "--members", "b"]);
  for (const secret of [undefined, "an-impostor-guessing-the-secret-0123456789"]) {
    const impostor = dial(a.sync, "b", secret === undefined ? {} : { secret });
    expect(await closedWith(impostor.closes)).toBe(CloseCode.NOT_AUTHORIZED);
    expect(impostor.connected).toEqual([]);
  }
  // The real b (it has the secret) connects, and a write at all counts its acknowledgement.
  const b = await start("b", ["--cluster-secret-file", secretFile, "--peers", `a=${a.sync}`]);
  await a.process.waitForEvent((e) => e.event === "peer-connected" && e.peer === "b");
  expect(await put(a, "k", "v", "all")).toBe(200);
  expect(await get(b, "k")).toBe("v");
  expect(a.process.events.filter((e) => e.event === "peer-connected")).toHaveLength(1);
  // A member of the secret but not of the configured cluster is refused too.
  const outsider = dial(a.sync, "z", { secret: SECRET });
  expect(await closedWith(outsider.closes)).toBe(CloseCode.NOT_AUTHORIZED);
  // The secret never reaches the logs.
  for (const serve of [a, b]) {
    expect(JSON.stringify(serve.process.events) + serve.process.stderr).not.toContain(SECRET);
  }
}, 30_000);

test("item 5: with its configured member away, a write at all times out; a refused id acknowledges nothing", async () => {
  const a = await start("a", ["--cluster-secret-file", secretFile, "--members", "b"]);
  const ghost = dial(a.sync, "b");
  expect(await closedWith(ghost.closes)).toBe(CloseCode.NOT_AUTHORIZED);
  expect(await put(a, "lonely", 1, "all")).toBe(504);
  expect(await put(a, "alone-is-one", 1, "one")).toBe(200);
}, 20_000);

test("item 11: ids outside the configured cluster are refused; silent ids cannot redden /health or stall quorum", async () => {
  // A configured cluster (insecure, loopback): only b may connect, whatever ids try.
  const b = await start("b");
  const a = await start("a", ["--peers", `b=${b.sync}`, "--max-lag-ms", "600"]);
  const silent = ["x", "y", "z"].map((id) => dial(a.sync, id));
  for (const s of silent) expect(await closedWith(s.closes)).toBe(CloseCode.NOT_AUTHORIZED);
  expect(await put(a, "q", 1, "quorum")).toBe(200);
  // A standalone node (no configured cluster) admits any id, but N stays 1 and /health ignores
  // ids that connect and never answer.
  const hub = await start("hub", ["--max-lag-ms", "300"]);
  const quiet = ["x", "y", "z"].map((id) => dial(hub.sync, id));
  await eventually(
    async () => (quiet.every((q) => q.connected.length === 1) ? true : undefined),
    5_000,
    "the silent ids to connect",
  );
  // These bare transports run no sync engine: they never answer a sync request or acknowledge.
  expect(await put(hub, "q", 1, "quorum")).toBe(200);
  expect(await put(hub, "q", 2, "all")).toBe(200);
  await new Promise((resolve) => setTimeout(resolve, 700));
  const health = await fetch(`${hub.http}/health`);
  expect(health.status).toBe(200);
  const body = (await health.json()) as { connectedPeers: string[]; configuredPeers: unknown[] };
  expect(body.connectedPeers).toEqual(["x", "y", "z"]);
  expect(body.configuredPeers).toEqual([]);
}, 30_000);

test("item 10: an oversized frame closes with 4413, a frame the engine rejects with 4422", async () => {
  const a = await start("a", ["--cluster-secret-file", secretFile, "--members", "m"]);
  const big = dial(a.sync, "m", { secret: SECRET, maxFrameBytes: 32 * 1024 * 1024 });
  await eventually(async () => (big.connected.length === 1 ? true : undefined), 5_000, "m");
  expect(big.client.send(replicaId("a"), new Uint8Array(17 * 1024 * 1024))).toBe("queued");
  expect(await closedWith(big.closes)).toBe(CloseCode.FRAME_TOO_LARGE);

  const junk = dial(a.sync, "m", { secret: SECRET });
  await eventually(async () => (junk.connected.length === 1 ? true : undefined), 5_000, "m");
  expect(junk.client.send(replicaId("a"), Uint8Array.of(0xff, 0xff, 0xff, 0xff))).toBe("queued");
  expect(await closedWith(junk.closes)).toBe(CloseCode.SYNC_PROTOCOL_ERROR);
  await a.process.waitForEvent((e) => e.event === "peer-rejected-frame" && e.peer === "m");
  expect(a.process.running).toBe(true);
}, 30_000);

test("item 10: /health redacts credentials in configured peer URLs; a bearer token guards the routes", async () => {
  const tokenFile = join(root, "http.token");
  const token = "t0ken-for-metrics-and-health";
  writeFileSync(tokenFile, token);
  const a = await start("a", [
    ...["--peers", "b=ws://user:hunter2@127.0.0.1:9/sync?token=sekrit#frag"],
    ...["--http-token-file", tokenFile],
  ]);
  for (const path of ["/health", "/metrics"]) {
    expect((await fetch(`${a.http}${path}`)).status).toBe(401);
    const wrong = await fetch(`${a.http}${path}`, { headers: { authorization: "Bearer nope" } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toMatch(/^Bearer/);
  }
  const metrics = await fetch(`${a.http}/metrics`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(metrics.status).toBe(200);
  const health = await fetch(`${a.http}/health`, { headers: { authorization: `Bearer ${token}` } });
  const text = await health.text();
  expect(text).not.toMatch(/hunter2|sekrit|user|frag/);
  expect(JSON.parse(text).configuredPeers).toEqual([
    { member: "b", url: "ws://127.0.0.1:9/sync [credentials redacted]", connected: false },
  ]);
}, 20_000);

test("secure by default: beyond loopback without a secret exits 2; --insecure warns on every start", async () => {
  const refused = new ServeProcess(cli.file, [
    ...["serve", "--id", "a", "--port", "0", "--data", join(root, "refused"), "--host", "0.0.0.0"],
  ]);
  started.push(refused);
  expect(await refused.exited).toEqual({ code: 2, signal: null });
  expect(refused.stderr).toMatch(/refusing to listen on 0\.0\.0\.0 without a cluster secret/);
  const short = new ServeProcess(cli.file, [
    ...["serve", "--id", "a", "--port", "0", "--data", join(root, "short")],
    ...["--cluster-secret-file", join(root, "short.secret")],
  ]);
  writeFileSync(join(root, "short.secret"), "too short");
  started.push(short);
  expect((await short.exited).code).toBe(2);

  const data = join(root, "insecure");
  for (let run = 0; run < 2; run++) {
    const insecure = await startServe(cli.file, [
      "--id",
      "i",
      "--port",
      "0",
      "--data",
      data,
      "--insecure",
    ]);
    started.push(insecure.process);
    expect(insecure.process.events[0]).toMatchObject({ event: "warning" });
    expect(String(insecure.process.events[0]!.message)).toMatch(/^INSECURE/);
    insecure.process.child.kill("SIGTERM");
    await insecure.process.exited;
  }
}, 20_000);

/** A self-signed certificate for 127.0.0.1: openssl when installed, else none (test skipped). */
function selfSigned(dir: string): { cert: string; key: string } | undefined {
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  try {
    execFileSync(
      "openssl",
      [
        ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"],
        ...["-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1"],
        ...["-addext", "subjectAltName=IP:127.0.0.1"],
      ],
      { stdio: "ignore" },
    );
  } catch {
    return undefined;
  }
  return existsSync(cert) ? { cert, key } : undefined;
}

test("TLS: peers sync over wss:// with a private CA; /health over https://", async (context) => {
  const tls = selfSigned(root);
  if (tls === undefined) {
    // node:crypto generates keys but cannot issue X.509 certificates; this machine has openssl.
    context.skip();
    return;
  }
  const tlsArgs = ["--tls-cert", tls.cert, "--tls-key", tls.key, "--tls-ca", tls.cert];
  const a = await start("a", [...tlsArgs, "--cluster-secret-file", secretFile, "--members", "b"]);
  expect(a.sync).toMatch(/^wss:\/\//);
  expect(a.http).toMatch(/^https:\/\//);
  const b = await start("b", [
    ...tlsArgs,
    "--cluster-secret-file",
    secretFile,
    "--peers",
    `a=${a.sync}`,
  ]);
  await a.process.waitForEvent((e) => e.event === "peer-connected" && e.peer === "b");
  const status = await new Promise<number>((resolve, reject) => {
    request(
      `${a.http}/debug/put?key=tls&level=all`,
      { method: "POST", ca: readFileSync(tls.cert) },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    )
      .on("error", reject)
      .end(JSON.stringify("over wss"));
  });
  expect(status).toBe(200);
  const atB = await new Promise<string>((resolve, reject) => {
    request(`${b.http}/debug/get?key=tls`, { ca: readFileSync(tls.cert) }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve(body));
    })
      .on("error", reject)
      .end();
  });
  expect(JSON.parse(atB)).toMatchObject({ found: true, value: "over wss" });
  // A plain ws:// dial to a TLS port never completes a handshake.
  const plain = dial(a.sync.replace("wss:", "ws:"), "b", { secret: SECRET });
  await closedWith(plain.closes);
  expect(plain.connected).toEqual([]);
}, 30_000);
