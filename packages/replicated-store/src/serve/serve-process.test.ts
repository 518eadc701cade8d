/**
 * Real `convergent serve` processes on 127.0.0.1: three replicas dialling each other, writes
 * through the --debug endpoint, convergence, /metrics and /health, SIGTERM and SIGINT with clean
 * exits, a health transition while a peer is down, and a restart that reads back its data.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { afterAll, beforeAll, expect, test } from "vitest";
import {
  bundleCli,
  eventually,
  ServeProcess,
  type Started,
  startServe,
} from "./test-support/serve-process.js";

let cli: { file: string; remove: () => void };
let root: string;
const started: ServeProcess[] = [];

beforeAll(async () => {
  cli = await bundleCli();
  root = mkdtempSync(join(tmpdir(), "convergent-serve-"));
});

afterAll(async () => {
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

async function put(server: Started, key: string, value: unknown, level = "one"): Promise<void> {
  const query = `key=${encodeURIComponent(key)}&level=${level}`;
  const response = await fetch(`${server.http}/debug/put?${query}`, {
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

function converged(server: Started, key: string, expected: unknown) {
  return eventually(
    async () => {
      const value = await get(server, key);
      return isDeepStrictEqual(value, expected) ? true : undefined;
    },
    10_000,
    `${key} = ${JSON.stringify(expected)} at ${server.http}`,
  );
}

async function health(
  server: Started,
): Promise<{ status: number; body: { healthy: boolean; reasons: string[] } }> {
  const response = await fetch(`${server.http}/health`);
  return {
    status: response.status,
    body: (await response.json()) as { healthy: boolean; reasons: string[] },
  };
}

async function stop(server: Started, signal: "SIGTERM" | "SIGINT"): Promise<void> {
  server.process.child.kill(signal);
  expect(await server.process.exited).toEqual({ code: 0, signal: null });
  expect(server.process.events.at(-1)).toMatchObject({ event: "closed" });
  expect(server.process.stderr).toBe("");
}

function sample(text: string, line: RegExp): number {
  const match = text.split("\n").find((l) => line.test(l));
  expect(match, `no line matching ${line}`).toBeDefined();
  return Number(match!.slice(match!.lastIndexOf(" ") + 1));
}

test("three processes converge, report metrics and health, shut down cleanly and keep their data", async () => {
  const dataA = join(root, "a");
  const dataB = join(root, "b");
  // a dials nobody; b and c dial in, as configured members (N = 3 for a's level-all write).
  const a = await start([
    "--id",
    "a",
    "--port",
    "0",
    "--data",
    dataA,
    "--debug",
    "--members",
    "b,c",
  ]);
  const bArgs = [
    "--id",
    "b",
    "--data",
    dataB,
    "--debug",
    "--peers",
    `a=${a.sync}`,
    "--members",
    "c",
  ];
  let b = await start([...bArgs, "--port", "0"]);
  // c watches b with a short divergence window, to see health change while b is down.
  const c = await start([
    ...["--id", "c", "--port", "0", "--data", join(root, "c"), "--debug"],
    ...["--peers", `a=${a.sync},b=${b.sync}`, "--max-lag-ms", "1500"],
  ]);
  await c.process.waitForEvent((e) => e.event === "peer-connected" && e.peer === "b");
  await a.process.waitForEvent((e) => e.event === "peer-connected" && e.peer === "c");

  // a write on a reaches b (which dialled a) and c; a write on c reaches a and b.
  await put(a, "greeting", "hello");
  await put(c, "profile", { name: "Ada", tags: ["x", "y"], n: 1.5 });
  for (const server of [a, b, c]) {
    await converged(server, "greeting", "hello");
    await converged(server, "profile", { name: "Ada", tags: ["x", "y"], n: 1.5 });
  }
  expect(await get(b, "absent")).toBeUndefined();
  // At level all, a's write resolves only once b and c hold it durably: no waiting needed.
  await put(a, "acknowledged", "by all", "all");
  expect(await get(b, "acknowledged")).toBe("by all");
  expect(await get(c, "acknowledged")).toBe("by all");

  const metrics = await fetch(`${a.http}/metrics`);
  expect(metrics.status).toBe(200);
  expect(metrics.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  const text = await metrics.text();
  expect(sample(text, /^convergent_writes_total\{replica="a",level="one"\} /)).toBe(1);
  expect(
    sample(text, /^convergent_peer_bytes_total\{replica="a",peer="b",direction="out"\} /),
  ).toBeGreaterThan(0);
  expect(
    sample(text, /^convergent_peer_messages_total\{replica="a",peer="c",direction="in"\} /),
  ).toBeGreaterThan(0);
  expect(sample(text, /^convergent_healthy\{replica="a"\} /)).toBe(1);
  expect(text).toContain("# TYPE convergent_replication_lag_seconds summary");
  // b applied LWW writes from a and c: their HLC write times give its replication lag.
  const atB = await (await fetch(`${b.http}/metrics`)).text();
  expect(sample(atB, /^convergent_replication_lag_seconds_count\{replica="b"\} /)).toBeGreaterThan(
    0,
  );
  expect(
    sample(atB, /^convergent_peer_last_sync_timestamp_seconds\{replica="b",peer="a"\} /),
  ).toBeGreaterThan(0);

  for (const server of [a, b, c])
    expect(await health(server)).toMatchObject({ status: 200, body: { healthy: true } });

  // SIGTERM: b exits 0 after a graceful shutdown; c, which dials b, turns unhealthy.
  await stop(b, "SIGTERM");
  const sick = await eventually(
    async () => {
      // Under CI load another peer's gossip may also run late; wait for b's reason itself.
      const h = await health(c);
      return h.status === 503 && /member b /.test(h.body.reasons.join("\n")) ? h : undefined;
    },
    8_000,
    "c unhealthy because of b",
  );
  expect(sick.status).toBe(503);
  // a only accepted b's connection, so b leaving is not a fault of a's.
  const atA = await health(a);
  expect(atA.status === 200 || !/member b /.test(atA.body.reasons.join("\n"))).toBe(true);
  await put(a, "while-b-down", 42);

  // b restarted alone (no peers, another port): what it acknowledged before is on disk.
  const alone = await start(["--id", "b", "--port", "0", "--data", dataB, "--debug"]);
  expect(alone.keys).toBe(3);
  expect(await get(alone, "greeting")).toBe("hello");
  expect(await get(alone, "profile")).toEqual({ name: "Ada", tags: ["x", "y"], n: 1.5 });
  expect(await get(alone, "while-b-down")).toBeUndefined();
  await stop(alone, "SIGINT");

  // b back on its port with its peers: it catches up, and c recovers.
  b = await start([...bArgs, "--port", String(b.port)]);
  await converged(b, "while-b-down", 42);
  await eventually(
    async () => ((await health(c)).status === 200 ? true : undefined),
    8_000,
    "c healthy",
  );

  await Promise.all([stop(a, "SIGTERM"), stop(b, "SIGINT"), stop(c, "SIGTERM")]);
}, 45_000);

test("bad arguments exit with code 2 and say what is wrong", async () => {
  const cases: [string[], RegExp][] = [
    [
      ["serve", "--id", "a", "--port", "99999", "--data", root],
      /--port must be an integer from 0 to 65535/,
    ],
    [["serve", "--port", "0", "--data", root], /--id is required/],
    [["serve", "--id", "a", "--port", "0", "--data", root, "--peers", "http://x"], /ws:\/\//],
    [["frobnicate"], /unknown command/],
  ];
  await Promise.all(
    cases.map(async ([args, message]) => {
      const serve = new ServeProcess(cli.file, args);
      started.push(serve);
      expect(await serve.exited).toEqual({ code: 2, signal: null });
      expect(serve.stderr).toMatch(message);
      expect(serve.events).toEqual([]);
    }),
  );
});

test("a second process on the same data directory is refused with code 2", async () => {
  const dir = join(root, "shared");
  const first = await start(["--id", "s", "--port", "0", "--data", dir]);
  const second = new ServeProcess(cli.file, ["serve", "--id", "s", "--port", "0", "--data", dir]);
  started.push(second);
  expect(await second.exited).toEqual({ code: 2, signal: null });
  expect(second.stderr).toMatch(/in use by process \d+/);
  expect(first.process.running).toBe(true);
  await stop(first, "SIGTERM");
});

test("a hub relays a write at once: two nodes that only know the hub see each other's writes", async () => {
  // a and c each dial only the hub; nothing but the hub's relay (or a gossip round) links them.
  const hub = await start([
    ...["--id", "hub", "--port", "0", "--data", join(root, "hub"), "--debug"],
    ...["--members", "edge-a,edge-c"],
  ]);
  const edge = (id: string) =>
    start([
      ...["--id", id, "--port", "0", "--data", join(root, id), "--debug"],
      ...["--peers", `hub=${hub.sync}`],
    ]);
  const [a, c] = [await edge("edge-a"), await edge("edge-c")];
  await hub.process.waitForEvent((e) => e.event === "peer-connected" && e.peer === "edge-a");
  await hub.process.waitForEvent((e) => e.event === "peer-connected" && e.peer === "edge-c");
  for (let i = 0; i < 10; i++) await put(a, `relayed-${i}`, i);
  await put(c, "back", "from c");
  for (let i = 0; i < 10; i++) await converged(c, `relayed-${i}`, i);
  await converged(a, "back", "from c");
  const text = await (await fetch(`${hub.http}/metrics`)).text();
  // Each write crossed the hub as a relayed delta, not only at the next gossip round.
  expect(sample(text, /^convergent_deltas_relayed_total\{/)).toBeGreaterThanOrEqual(11);
  expect(sample(text, /^convergent_pushes_received_total\{/)).toBeGreaterThanOrEqual(11);
}, 60_000);
