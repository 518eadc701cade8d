/**
 * Replicas in separate Node processes talking over loopback, through the built package (the
 * fixture imports dist/transports/websocket-node.js, so the test builds first when dist is stale).
 */
import { type ChildProcess, execFileSync, fork } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, expect, test } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));
const packageRoot = join(here, "..", "..");
const built = join(packageRoot, "dist", "transports", "websocket-node.js");
const fixture = join(here, "test-support", "ws-peer.mjs");

function newestSource(): number {
  return Math.max(
    ...readdirSync(here)
      .filter((name) => name.endsWith(".ts") && !name.endsWith(".test.ts"))
      .map((name) => statSync(join(here, name)).mtimeMs),
  );
}

beforeAll(() => {
  let stale = true;
  try {
    stale = statSync(built).mtimeMs < newestSource();
  } catch {
    stale = true;
  }
  if (stale) {
    const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
    execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], {
      cwd: packageRoot,
      stdio: "pipe",
    });
  }
}, 60_000);

interface Running {
  child: ChildProcess;
  messages: unknown[];
  exited: Promise<number | null>;
}

const children: ChildProcess[] = [];

function start(...args: string[]): Running {
  const child = fork(fixture, args, {
    cwd: packageRoot,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  children.push(child);
  const messages: unknown[] = [];
  child.on("message", (message) => messages.push(message));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, messages, exited };
}

async function until<T>(running: Running, predicate: (m: unknown) => m is T, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = running.messages.find(predicate);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error("no message from the child process");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const hasKey =
  <K extends string>(key: K) =>
  (m: unknown): m is Record<K, unknown> & Record<string, unknown> =>
    typeof m === "object" && m !== null && key in m;

test("two processes exchange frames over loopback and both exit cleanly after close()", async () => {
  try {
    const server = start("server", "proc-server");
    const { url } = await until(server, hasKey("url"));
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    const client = start("client", "proc-client", String(url), "300");
    const report = await until(client, hasKey("echoes"));
    expect(await client.exited).toBe(0);
    server.child.send("stop");
    const serverReport = await until(server, hasKey("frames"));
    expect(await server.exited).toBe(0);

    expect(report.serverId).toBe("proc-server");
    const expected = Array.from({ length: 300 }, (_, i) => [
      "proc-server",
      i & 0xff,
      i >> 8,
      0x42,
      0xee,
    ]);
    expect(report.echoes).toEqual(expected);
    expect(report.stats).toMatchObject({ framesSent: 300, framesReceived: 300, framesDropped: 0 });
    expect(serverReport).toMatchObject({ frames: 300, peers: ["proc-client"] });
  } finally {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill();
  }
}, 30_000);
