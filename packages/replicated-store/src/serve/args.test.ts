import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, test } from "vitest";
import { parseCommand, UsageError } from "./args.js";
import { openDataDir } from "./data-dir.js";

const base = ["serve", "--id", "eu-1", "--port", "7000", "--data", "/var/lib/convergent"];

function usageError(argv: string[]): string {
  try {
    parseCommand(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as UsageError).message;
  }
  throw new Error(`accepted ${argv.join(" ")}`);
}

test("a full command line parses into a config with defaults", () => {
  expect(parseCommand(base)).toEqual({
    kind: "serve",
    config: {
      id: "eu-1",
      port: 7000,
      host: "127.0.0.1",
      peers: [],
      data: "/var/lib/convergent",
      maxLagMs: 30_000,
      syncPath: "/sync",
      debug: false,
    },
  });
  const parsed = parseCommand([
    ...base,
    "--peers",
    "ws://10.0.0.2:7000/sync, wss://eu-2.example.com/sync",
    "--host",
    "0.0.0.0",
    "--max-lag-ms",
    "5000",
    "--sync-path",
    "/replicate",
    "--debug",
  ]);
  expect(parsed.kind === "serve" && parsed.config).toMatchObject({
    peers: ["ws://10.0.0.2:7000/sync", "wss://eu-2.example.com/sync"],
    host: "0.0.0.0",
    maxLagMs: 5000,
    syncPath: "/replicate",
    debug: true,
  });
  expect(parseCommand(["serve", "--port", "0", "--id", "x", "--data", "d"]).kind).toBe("serve");
});

test("help is a command, not an error", () => {
  expect(parseCommand(["--help"])).toEqual({ kind: "help" });
  expect(parseCommand(["serve", "-h"])).toEqual({ kind: "help" });
});

test("each mistake names the flag and what it wants", () => {
  expect(usageError([])).toMatch(/missing command/);
  expect(usageError(["start"])).toMatch(/unknown command "start"/);
  expect(usageError(["serve", "--port", "1", "--data", "d"])).toBe("--id is required");
  expect(usageError(["serve", "--id", "a", "--data", "d"])).toBe("--port is required");
  expect(usageError(["serve", "--id", "a", "--port", "1"])).toBe("--data is required");
  expect(usageError(["serve", "--id", "", "--port", "1", "--data", "d"])).toBe("--id is required");
  expect(usageError(["serve", "--id", "a".repeat(65), "--port", "1", "--data", "d"])).toMatch(
    /^--id: /,
  );
  expect(usageError(["serve", "--id", "a", "--port=-1", "--data", "d"])).toBe(
    '--port must be an integer from 0 to 65535, got "-1"',
  );
  expect(usageError(["serve", "--id", "a", "--port", "-1", "--data", "d"])).toMatch(/--port/);
  for (const port of ["65536", "80.5", "http", "1e3", " 1"]) {
    expect(usageError(["serve", "--id", "a", "--port", port, "--data", "d"])).toBe(
      `--port must be an integer from 0 to 65535, got "${port}"`,
    );
  }
  expect(usageError([...base, "--peers", "http://x:1/sync"])).toMatch(/must start with ws:\/\//);
  expect(usageError([...base, "--peers", "not a url"])).toMatch(/is not a URL/);
  expect(usageError([...base, "--peers", "ws://a:1/sync,ws://a:1/sync"])).toMatch(/twice/);
  expect(usageError([...base, "--max-lag-ms", "0"])).toMatch(/--max-lag-ms must be an integer/);
  expect(usageError([...base, "--sync-path", "/metrics"])).toMatch(/--sync-path/);
  expect(usageError([...base, "--sync-path", "sync"])).toMatch(/--sync-path/);
  expect(usageError([...base, "--verbose"])).toMatch(/verbose/);
  expect(usageError([...base, "extra"])).toMatch(/extra/);
});

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

test("a data directory is locked: a second open fails until the first is released", () => {
  const dir = mkdtempSync(join(tmpdir(), "convergent-lock-"));
  dirs.push(dir);
  const first = openDataDir(join(dir, "replica"));
  expect(first.database).toBe(join(dir, "replica", "replica.db"));
  expect(() => openDataDir(join(dir, "replica"))).toThrow(/already open in this process/);
  first.release();
  first.release();
  openDataDir(join(dir, "replica")).release();
});

test("a lock left by a live process is refused; one left by a dead process is taken over", () => {
  const dir = mkdtempSync(join(tmpdir(), "convergent-lock-"));
  dirs.push(dir);
  // The parent of this test runner is alive and is not us.
  writeFileSync(join(dir, "LOCK"), `${process.ppid}\n`);
  expect(() => openDataDir(dir)).toThrow(/in use by process/);
  writeFileSync(join(dir, "LOCK"), "2147483646\n");
  openDataDir(dir).release();
  writeFileSync(join(dir, "LOCK"), "garbage");
  openDataDir(dir).release();
});
